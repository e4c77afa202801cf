#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file-system failure, naming the path.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let reason: String

    public var description: String { "cannot \(operation) \(path): \(reason)" }

    static func errno(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(path: path, operation: operation, reason: String(cString: strerror(Glibc.errno)))
    }
}

/// Small POSIX file operations with errors that name the path.
public enum PosixFile {
    /// Creates a directory and its parents (like `mkdir -p`).
    public static func makeDirectories(_ path: String) throws(FileSystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0, Glibc.errno != EEXIST { throw .errno("create directory", current) }
        }
    }

    /// Whether a path exists, and its size when it is a regular file.
    public static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Reads a whole small file (JSON documents, never blobs).
    public static func readAll(_ path: String, limit: Int = 64 << 20) throws(FileSystemError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open", path) }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if Glibc.errno == EINTR { continue }; throw .errno("read", path) }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
            if result.count > limit { throw FileSystemError(path: path, operation: "read", reason: "larger than \(limit) bytes") }
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file beside it, then rename.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(FileSystemError) {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .errno("create", temporary) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                let error = FileSystemError.errno("write", temporary)
                close(fd); unlink(temporary)
                throw error
            }
            written += n
        }
        if fsync(fd) != 0 || close(fd) != 0 { let e = FileSystemError.errno("write", temporary); unlink(temporary); throw e }
        guard rename(temporary, path) == 0 else { let e = FileSystemError.errno("rename into place", path); unlink(temporary); throw e }
    }

    public static func remove(_ path: String) { unlink(path) }

    /// Names in a directory (not `.` or `..`); empty when it does not exist.
    public static func listDirectory(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
