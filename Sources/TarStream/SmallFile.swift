#if canImport(Glibc)
    import Glibc
#endif

/// Reads small files (keys, signatures, passphrases) with a size limit: a directory, FIFO or device
/// is refused without waiting on it, and no more than `limit` bytes are ever read.
public enum SmallFile {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// Nothing exists at the path.
        case missing
        /// The path is not a regular file (the words say what it is).
        case notRegular(String)
        case tooLarge(limit: Int)
        case system(String)

        public var description: String {
            switch self {
            case .missing: return "no such file"
            case .notRegular(let kind): return "is \(kind), not a regular file"
            case .tooLarge(let limit): return "is larger than \(limit) bytes"
            case .system(let reason): return reason
            }
        }
    }

    public static func read(_ path: String, limit: Int) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw errno == ENOENT ? .missing : .system(String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .system(String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegular(FileKind.describe(mode: status.st_mode)) }
        guard status.st_size <= off_t(limit) else { throw .tooLarge(limit: limit) }
        var bytes = [UInt8](repeating: 0, count: limit + 1)
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw .system(String(cString: strerror(errno))) }
            if n == 0 { break }
            count += n
        }
        guard count <= limit else { throw .tooLarge(limit: limit) }
        return Array(bytes.prefix(count))
    }
}
