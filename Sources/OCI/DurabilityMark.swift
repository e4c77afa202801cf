import Foundation
import Integrity
import System

/// The mark that a layout's blob files can be trusted by size: `ingest/durable-layout.json`,
/// written once every blob in the layout is known to be whole (see docs/adr/0005-durable-writes.md).
///
/// It names the layout directory's device and inode, so a copy of the layout (`cp -r`, `rsync`,
/// `tar`), whose blobs another program wrote, is not trusted. It lives in `ingest/`, which
/// `pack` leaves out of bundles, so a layout unpacked from a bundle is not marked either.
enum DurabilityMark {
    static let fileName = "durable-layout.json"

    struct Content: Codable, Equatable {
        var writer: String
        var durableWrites: Int
        var device: UInt64
        var inode: UInt64
    }

    /// Returns nil when the layout is marked as ours, or holds no blob. Otherwise re-hashes every
    /// blob file, removes those whose content does not hash to their name, marks the layout, and
    /// says what it found.
    static func adopt(root: String, blobs: String, markFile: String) throws(FileSystemError) -> OCILayout.Adoption? {
        let expected = try expected(for: root)
        if isPresent(expected, at: markFile) { return nil }

        var verified = 0
        var removed: [String] = []
        for name in try PosixFile.listDirectory(blobs).sorted() {
            let path = blobs + "/" + name
            // A name that is not a digest is never looked up as a blob, and a non-file never counts as one.
            guard let digest = try? Digest(sha256Hex: name), PosixFile.regularFileSize(path) != nil else { continue }
            let actual: String
            do { actual = try SHA256Hasher.hashFile(atPath: path).hex } catch {
                throw FileSystemError(path: path, operation: "re-hash", reason: "\(error)")
            }
            verified += 1
            if actual != digest.hex {
                try PosixFile.remove(path)
                removed.append("blobs/sha256/" + name)
            }
        }
        if !removed.isEmpty { try PosixFile.syncDirectory(blobs) }

        try write(expected, to: markFile)
        return verified == 0 ? nil : OCILayout.Adoption(verifiedBlobs: verified, removedBlobs: removed)
    }

    /// The mark `root` carries when it is ours.
    static func expected(for root: String) throws(FileSystemError) -> Content {
        let identity = try PosixFile.identity(root)
        return Content(writer: "airgap-bundle", durableWrites: 1, device: identity.device, inode: identity.inode)
    }

    static func write(_ mark: Content, to markFile: String) throws(FileSystemError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding plain Codable values cannot fail.
        let bytes = Array(try! encoder.encode(mark))
        try PosixFile.writeAtomically(bytes, to: markFile, temporaryDirectory: PosixFile.parentDirectory(of: markFile))
    }

    /// Whether `markFile` holds exactly `expected`. A missing, unreadable or garbled mark counts
    /// as absent: the layout is then re-hashed, which costs time but never trusts a bad blob.
    static func isPresent(_ expected: Content, at markFile: String) -> Bool {
        guard let bytes = try? PosixFile.readAll(markFile, limit: 4096),
            let found = try? JSONDecoder().decode(Content.self, from: Data(bytes))
        else { return false }
        return found == expected
    }
}
