import Foundation
import System

/// Files and directories of the state directory: private from the first byte (0700, 0600 unless
/// asked otherwise); a link planted where a state file belongs is refused, never followed.
enum StateFiles {
    /// The most bytes a state file read whole may have (`bundle.json` has its own, larger limit).
    static let readLimit = 64 << 20

    /// Atomic and durable write (`AtomicFile`).
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        do { try PosixFile.writeAtomically(bytes, to: path, mode: mode) } catch { throw InstallError.io(error.description) }
    }

    static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw InstallError.io("cannot encode \(path): \(error)") }
        try write(Array(data) + [0x0a], to: path)
    }

    /// Creates `bytes` at `path` only if nothing is there (not even a link); not atomic: for files
    /// a person asked for (`init-values --out`).
    static func createExclusive(_ bytes: [UInt8], at path: String, mode: mode_t = 0o600) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw InstallError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw InstallError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += n
        }
        guard fsync(fd) == 0 else { throw InstallError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    /// Reads a state file whole, opened with `O_NOFOLLOW` (a symbolic link is refused, never
    /// followed), refusing anything not a regular file and more than `limit` bytes. Nil when
    /// nothing is there.
    static func read(_ path: String, limit: Int = readLimit) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw InstallError.bundle(linkProblem(path) ?? "\(path) is a symbolic link: refused")
            default: throw InstallError.bundle("\(path) cannot be read: \(String(cString: strerror(errno)))")
            }
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw InstallError.bundle("\(path) is not a regular file: refused")
        }
        guard status.st_size <= off_t(limit) else { throw InstallError.bundle("\(path) is larger than \(limit) bytes: refused") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw InstallError.bundle("\(path) cannot be read: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            count += n
        }
        guard count <= Int(status.st_size) else { throw InstallError.bundle("\(path) grew while it was read: refused") }
        return Array(bytes.prefix(count))
    }

    /// Why `path` must not be used as a state file (it is a symbolic link), or nil.
    static func linkProblem(_ path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFLNK else { return nil }
        return "\(path) is a symbolic link; state files are never followed through links (remove it, then run push again)"
    }

    /// Makes `path` and any missing parent, each new one 0700 from its creation; an existing
    /// directory is left as it is. A link or file in the way is refused.
    static func makeDirectory(_ path: String) throws {
        if mkdir(path, 0o700) == 0 { return }
        let reason = errno
        if reason == ENOENT, case let parent = (path as NSString).deletingLastPathComponent, !parent.isEmpty, parent != path {
            try makeDirectory(parent)
            if mkdir(path, 0o700) == 0 || errno == EEXIST { return try checkDirectory(path) }
        } else if reason == EEXIST {
            return try checkDirectory(path)
        }
        throw InstallError.io("cannot create \(path): \(String(cString: strerror(errno)))")
    }

    private static func checkDirectory(_ path: String) throws {
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { throw InstallError.io("\(path) exists and is not a directory") }
    }

    /// The private directory (0700, inside the state directory) where helm runs for a render:
    /// its output, standard error and its own temporary files.
    static func helmScratch(_ stateDirectory: String) throws -> String {
        let path = stateDirectory + "/deploy/helm-scratch"
        try makeDirectory(path)
        return path
    }
}
