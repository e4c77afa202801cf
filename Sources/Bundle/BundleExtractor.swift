import Foundation
import Integrity
import OCI
import System

/// Unpacks a bundle while verifying it: every file is written under a temporary directory beside
/// the target, and that directory is renamed to the target only when the whole bundle verified.
/// On any failure the temporary directory is removed: nothing half-extracted remains, and nothing
/// is ever written outside it (paths are checked, files are created with `O_EXCL|O_NOFOLLOW`).
public enum BundleExtractor {
    @discardableResult
    public static func extract(_ archive: String, keys: [VerifyingKey], into target: String, requireArchiveSignature: Bool = false) throws
        -> VerifiedBundle
    {
        guard !FileManager.default.fileExists(atPath: target) else {
            throw BundleError.usage("\(target) already exists; extract into a new directory")
        }
        let partial = target.hasSuffix("/") ? String(target.dropLast()) + ".partial-\(getpid())" : target + ".partial-\(getpid())"
        do { try PosixFile.makeDirectories(partial) } catch { throw BundleError.io("\(error)") }
        var sink = ExtractingSink(root: partial)
        do {
            let verifier = BundleVerifier(keys: keys, requireArchiveSignature: requireArchiveSignature)
            let verified = try verifier.verify(archive, into: &sink)
            guard rename(partial, target) == 0 else {
                throw BundleError.io("cannot move \(partial) to \(target): \(String(cString: strerror(errno)))")
            }
            return verified
        } catch {
            // Best effort: the verification error is what the caller must see; a leftover
            // `.partial-PID` directory is never mistaken for a verified extraction.
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
    }
}

/// Writes verified entries under `root`.
struct ExtractingSink: BundleEntrySink {
    let root: String
    private var fd: Int32 = -1
    private var current = ""

    init(root: String) { self.root = root }

    mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws {
        try writeWhole(BundlePaths.index, signed.indexBytes)
        try writeWhole(BundlePaths.indexSignature, signed.signatureBytes)
    }

    mutating func begin(_ entry: BundleIndex.Entry) throws {
        // The verifier has already refused absolute paths, '..' and empty components.
        let destination = root + "/" + entry.path
        let parent = (destination as NSString).deletingLastPathComponent
        do { try PosixFile.makeDirectories(parent) } catch { throw BundleError.io("\(error)") }
        fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.io("cannot create \(destination): \(String(cString: strerror(errno)))") }
        current = destination
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < chunk.count {
            let n = Glibc.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
            if n < 0 { if errno == EINTR { continue }; throw BundleError.io("cannot write \(current): \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    mutating func finish(_ entry: BundleIndex.Entry) throws {
        if close(fd) != 0 { fd = -1; throw BundleError.io("cannot write \(current): \(String(cString: strerror(errno)))") }
        fd = -1
    }

    mutating func abandon() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    private func writeWhole(_ name: String, _ bytes: [UInt8]) throws {
        do { try PosixFile.writeAtomically(bytes, to: root + "/" + name) } catch { throw BundleError.io("\(error)") }
    }
}
