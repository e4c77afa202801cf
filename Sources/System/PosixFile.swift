#if canImport(Glibc)
    import Glibc
#endif

/// A file-system failure, naming the path.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let reason: String

    public var description: String { "cannot \(operation) \(path): \(reason)" }

    public init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
    }

    /// The failure `errno` holds now, naming `path`.
    public static func errno(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(path: path, operation: operation, reason: String(cString: strerror(Glibc.errno)))
    }
}

/// Small POSIX file operations with errors that name the path.
public enum PosixFile {
    /// Creates a directory and its parents (like `mkdir -p`), each new one with `mode`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileSystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0, Glibc.errno != EEXIST { throw .errno("create directory", current) }
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

    /// Writes `bytes` to `path` atomically and durably (`AtomicFile`). `mode` is the file's from
    /// its first byte (0600 for a private key: never chmod-ed afterwards).
    public static func writeAtomically(_ bytes: [UInt8], to path: String, temporaryDirectory: String? = nil, mode: mode_t = 0o644)
        throws(FileSystemError)
    {
        let file = try AtomicFile(path, mode: mode, temporaryDirectory: temporaryDirectory)
        try file.write(bytes)
        try file.commit()
    }

    /// `fsync`s the directory that holds `path`, so that a rename or a new name in it survives a crash.
    public static func syncDirectory(containing path: String) throws(FileSystemError) {
        try syncDirectory(parentDirectory(of: path))
    }

    /// `fsync`s a directory (its entries: names created, renamed or removed in it).
    public static func syncDirectory(_ directory: String) throws(FileSystemError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .errno("open directory", directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .errno("fsync directory", directory) }
    }

    /// The directory part of a path (`.` for a bare name, `/` for a name under the root).
    public static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// Removes a file; one that is already gone is not an error.
    public static func remove(_ path: String) throws(FileSystemError) {
        if unlink(path) != 0, Glibc.errno != ENOENT { throw .errno("remove", path) }
    }

    /// Names in a directory (not `.` or `..`); empty when it does not exist.
    public static func listDirectory(_ path: String) throws(FileSystemError) -> [String] {
        guard let dir = opendir(path) else {
            if Glibc.errno == ENOENT { return [] }
            throw .errno("list", path)
        }
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

    /// The device and inode of a path: what tells a directory from a copy of it.
    public static func identity(_ path: String) throws(FileSystemError) -> (device: UInt64, inode: UInt64) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .errno("stat", path) }
        return (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}
