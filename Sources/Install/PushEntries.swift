import Bundle
import Foundation
import OCI
import System
import Transfer

/// What a push keeps besides blobs: manifests in memory, for registration once all verified;
/// charts, files and deploy entries under the incoming directory.
struct PushEntries: ArchiveEntryKeeper {
    private enum Current: Sendable {
        case none
        case manifest(Digest, [UInt8])
        case file(LockedAtomicFile)
    }

    let manifests: Set<Digest>
    let incoming: String
    private(set) var manifestBytes: [Digest: [UInt8]] = [:]
    private(set) var stagedFiles: [String] = []
    private var current = Current.none

    init(manifests: Set<Digest>, incoming: String) {
        self.manifests = manifests
        self.incoming = incoming
    }

    mutating func begin(_ entry: BundleIndex.Entry) throws -> Bool {
        if let digest = BundlePaths.blobDigest(entry.path) {
            guard manifests.contains(digest) else { return false }
            current = .manifest(digest, [])
            return true
        }
        guard entry.path.hasPrefix(BundlePaths.charts) || entry.path.hasPrefix(BundlePaths.files) || entry.path.hasPrefix(BundlePaths.deploy)
        else { return false }
        let final = incoming + "/" + entry.path
        try StateFiles.makeDirectory((final as NSString).deletingLastPathComponent)
        do { current = .file(LockedAtomicFile(try AtomicFile(final))) } catch { throw InstallError.io("\(error)") }
        return true
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        switch current {
        case .manifest(let digest, var bytes):
            current = .none
            bytes.append(contentsOf: chunk)
            current = .manifest(digest, bytes)
        case .file(let file):
            do { try file.write(chunk) } catch { throw InstallError.io("\(error)") }
        case .none:
            break
        }
    }

    mutating func finish(_ entry: BundleIndex.Entry) throws {
        defer { current = .none }
        switch current {
        case .manifest(let digest, let bytes):
            manifestBytes[digest] = bytes
        case .file(let file):
            do { try file.commit() } catch { throw InstallError.io("cannot write \(file.path): \(error.reason)") }
            stagedFiles.append(entry.path)
        case .none:
            break
        }
    }

    mutating func abandon() {
        if case .file(let file) = current { file.abandon() }
        current = .none
    }
}
