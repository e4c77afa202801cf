import NIOCore
import OCI
import Synchronization
import System

#if canImport(Glibc)
    import Glibc
#endif

/// A file read in 1 MiB `ByteBuffer`s, for streaming request bodies. Each read runs through
/// `BlockingWork`, off the cooperative thread pool.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let path: String

    public init(path: String) { self.path = path }

    public func makeAsyncIterator() -> Iterator { Iterator(path: path) }

    /// Used by one consumer at a time; its state sits behind a lock only so that its reads can
    /// run through `BlockingWork`.
    public final class Iterator: AsyncIteratorProtocol, Sendable {
        private let path: String
        private struct State {
            var fd: Int32 = -1
            var done = false
        }
        private let state = Mutex(State())

        init(path: String) { self.path = path }
        deinit { state.withLock { if $0.fd >= 0 { close($0.fd) } } }

        public func next() async throws -> ByteBuffer? {
            if state.withLock({ $0.done }) { return nil }
            return try await BlockingWork.run { try self.state.withLock { try self.readChunk(&$0) } }
        }

        private func readChunk(_ state: inout State) throws -> ByteBuffer? {
            var fd = state.fd
            defer { state.fd = fd }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FileSystemReadError(path: path, errno: errno) }
            }
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            var failure: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { raw in
                var n: Int
                repeat { n = read(fd, raw.baseAddress, raw.count) } while n < 0 && errno == EINTR
                if n < 0 { failure = errno }
                return Swift.max(n, 0)
            }
            // A failed read is an error, not the end of the file: a short body would be uploaded as the blob.
            if failure != 0 { throw FileSystemReadError(path: path, errno: failure) }
            if count == 0 {
                state.done = true
                close(fd)
                fd = -1
                return nil
            }
            return buffer
        }
    }
}

struct FileSystemReadError: Error, CustomStringConvertible {
    let path: String
    let errno: Int32
    var description: String { "cannot read \(path): \(String(cString: strerror(errno)))" }
}
