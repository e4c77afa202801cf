import Bundle
import Foundation
import OCI
import Transfer

/// What a push keeps of the archive besides the blobs it uploads: every manifest, in memory, for
/// registration after the whole archive verified; charts, files and deploy entries, written
/// under the incoming directory (moved into the state directory only after the push).
struct PushEntries: ArchiveEntryKeeper {
    private enum Current: Sendable {
        case none
        case manifest(Digest, [UInt8])
        case file(fd: Int32, temporary: String, final: String)
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
        let temporary = final + ".partial"
        try StateFiles.makeDirectory((final as NSString).deletingLastPathComponent)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw InstallError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        current = .file(fd: fd, temporary: temporary, final: final)
        return true
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        switch current {
        case .manifest(let digest, var bytes):
            current = .none
            bytes.append(contentsOf: chunk)
            current = .manifest(digest, bytes)
        case .file(let fd, let temporary, _):
            var offset = 0
            while offset < chunk.count {
                let n = Foundation.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw InstallError.io("cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        case .none:
            break
        }
    }

    mutating func finish(_ entry: BundleIndex.Entry) throws {
        defer { current = .none }
        switch current {
        case .manifest(let digest, let bytes):
            manifestBytes[digest] = bytes
        case .file(let fd, let temporary, let final):
            let synced = fsync(fd) == 0
            let closed = close(fd) == 0
            guard synced, closed, rename(temporary, final) == 0 else {
                throw InstallError.io("cannot write \(final): \(String(cString: strerror(errno)))")
            }
            stagedFiles.append(entry.path)
        case .none:
            break
        }
    }

    mutating func abandon() {
        if case .file(let fd, let temporary, _) = current {
            close(fd)
            unlink(temporary)
        }
        current = .none
    }
}
