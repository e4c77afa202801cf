#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// A file read in 1 MiB `ByteBuffer`s, for streaming request bodies.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String

    func makeAsyncIterator() -> Iterator { Iterator(path: path) }

    final class Iterator: AsyncIteratorProtocol {
        private let path: String
        private var fd: Int32 = -1
        private var done = false

        init(path: String) { self.path = path }
        deinit { if fd >= 0 { close(fd) } }

        func next() async throws -> ByteBuffer? {
            if done { return nil }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FileSystemReadError(path: path, errno: errno) }
            }
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { raw in
                var n: Int
                repeat { n = read(fd, raw.baseAddress, raw.count) } while n < 0 && errno == EINTR
                return Swift.max(n, 0)
            }
            if count == 0 { done = true; close(fd); fd = -1; return nil }
            return buffer
        }
    }
}

struct FileSystemReadError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "cannot read \(path): \(String(cString: strerror(errno)))" }
}
