import Integrity
import NIOCore
import OCI
import System

#if canImport(Glibc)
    import Glibc
#endif

/// A file being downloaded to `path`: bytes go to a temporary file beside it and are hashed as
/// they are written; `commit` makes them durable (`fsync`), renames the file into place and
/// `fsync`s the directory; `discard` removes the temporary file.
///
/// Used by one task at a time. It is `Sendable` only so that its blocking calls can run through
/// `BlockingWork`; they never overlap.
final class DownloadFile: @unchecked Sendable {
    let path: String
    private let temporary: String
    private var fd: Int32
    private let hasher = SHA256Hasher()
    private var digestHex: String?

    init(path: String) throws(FileSystemError) {
        self.path = path
        temporary = path + ".partial-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Self.failure("create", temporary) }
    }

    deinit { if fd >= 0 { discard() } }

    /// Hashes and writes chunks on a blocking-work thread.
    func write(_ chunks: [ByteBuffer]) async throws {
        guard !chunks.isEmpty else { return }
        try await BlockingWork.run { try self.writeNow(chunks) }
    }

    private func writeNow(_ chunks: [ByteBuffer]) throws(FileSystemError) {
        for chunk in chunks {
            try chunk.withUnsafeReadableBytes { (buffer: UnsafeRawBufferPointer) throws(FileSystemError) in
                guard let base = buffer.baseAddress else { return }
                hasher.update(buffer)
                var offset = 0
                while offset < buffer.count {
                    let n = Glibc.write(fd, base + offset, buffer.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw Self.failure("write", temporary)
                    }
                    offset += n
                }
            }
        }
    }

    /// The SHA-256 of everything written (call once writing is done).
    var sha256Hex: String {
        if let digestHex { return digestHex }
        let hex = hasher.finalizeHex()
        digestHex = hex
        return hex
    }

    /// Blocks: call it through `BlockingWork`.
    func commit() throws(FileSystemError) {
        guard fsync(fd) == 0 else { let error = Self.failure("fsync", temporary); discard(); throw error }
        let closed = close(fd)
        fd = -1
        guard closed == 0 else { let error = Self.failure("write", temporary); discard(); throw error }
        guard rename(temporary, path) == 0 else { let error = Self.failure("rename into place", path); discard(); throw error }
        try PosixFile.syncDirectory(containing: path)
    }

    /// Removes the temporary file (a file that cannot be removed only wastes space: it is never read).
    func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporary)
    }

    private static func failure(_ operation: String, _ path: String) -> FileSystemError {
        FileSystemError(path: path, operation: operation, reason: String(cString: strerror(errno)))
    }
}
