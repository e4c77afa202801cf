#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Errors from reading files while hashing them.
public struct FileReadError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "cannot read \(path): \(reason)" }
}

extension SHA256Hasher {
    /// Streams a file through SHA-256 in 1 MiB reads; returns the hex digest and the byte count.
    public static func hashFile(atPath path: String) throws -> (hex: String, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let hasher = SHA256Hasher()
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let n = read(fd, buffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileReadError(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            hasher.update(UnsafeRawPointer(buffer), count: n)
            total += Int64(n)
        }
        return (hasher.finalizeHex(), total)
    }
}
