import Foundation

/// A directory of one's own for files that may hold secrets: made 0700 (by `mkdir`, never
/// widened), its files created 0600 and exclusively, never through a link.
package struct PrivateScratch: Sendable {
    package let path: String

    /// A new directory `PARENT/helm-UUID`.
    package init(in parent: String) throws {
        path = parent + "/helm-" + UUID().uuidString
        guard mkdir(path, 0o700) == 0 else {
            throw HelmError(message: "cannot create the private directory \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// An empty file `name` in it, open for writing.
    package func create(_ name: String) throws -> FileHandle {
        let fd = open(path + "/" + name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HelmError(message: "cannot create \(path)/\(name): \(String(cString: strerror(errno)))") }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    /// Removes it and everything in it (best effort: it is only scratch space).
    package func remove() { try? FileManager.default.removeItem(atPath: path) }
}
