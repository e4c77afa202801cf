import Foundation

/// A directory of one's own for files that may hold secrets: made 0700 (by `mkdir`, never
/// widened), its files created 0600 and exclusively, never through a link.
public struct PrivateScratch: Sendable {
    public let path: String

    /// A new directory `PARENT/helm-UUID`.
    public init(in parent: String) throws(FileSystemError) {
        path = parent + "/helm-" + UUID().uuidString
        guard mkdir(path, 0o700) == 0 else { throw .errno("create the private directory", path) }
    }

    /// An empty file `name` in it, open for writing.
    public func create(_ name: String) throws(FileSystemError) -> FileHandle {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .errno("create", path + "/" + name) }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Removes it and everything in it (best effort: it is only scratch space).
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
