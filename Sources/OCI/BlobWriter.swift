import Integrity
import System

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes one blob to a temporary file while hashing it, and moves it into place only when its
/// size and digest match the descriptor: `fsync`, rename, `fsync` of the directory. So a file at a
/// blob's final name is always whole, even after a crash. A failed or abandoned write leaves
/// nothing behind.
///
/// One writer belongs to one stream. It is `Sendable` only so that its owner can hand the blocking
/// writes to `BlockingWork`, one call at a time: calls must never overlap.
public final class BlobWriter: @unchecked Sendable {
    public let expected: Descriptor
    public private(set) var bytesWritten: Int64 = 0
    private let temporaryPath: String
    private let finalPath: String
    private let hasher = SHA256Hasher()
    private var fd: Int32
    private var finished = false
    /// Bytes before this offset have been handed to the kernel's writeback (`sync_file_range`).
    private var writebackStart: Int64 = 0

    init(expected: Descriptor, temporaryPath: String, finalPath: String) throws(FileSystemError) {
        self.expected = expected
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .errno("create", temporaryPath) }
    }

    deinit { if !finished { discard() } }

    /// Appends bytes. Fails as soon as the blob grows past its declared size.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(BlobWriteError) {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        if bytesWritten + Int64(buffer.count) > expected.size {
            throw .sizeMismatch(digest: expected.digest, expected: expected.size, actual: bytesWritten + Int64(buffer.count), truncated: false)
        }
        hasher.update(base, count: buffer.count)
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, base + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(.errno("write", temporaryPath))
            }
            offset += n
        }
        bytesWritten += Int64(buffer.count)
        if bytesWritten - writebackStart >= Self.writebackStep {
            Writeback.start(fd, from: writebackStart, count: bytesWritten - writebackStart)
            writebackStart = bytesWritten
        }
    }

    /// Checks size and digest, makes the bytes durable (`fsync`), renames the blob into place and
    /// makes the new name durable (`fsync` of `blobs/sha256`). Blocks: call it through `BlockingWork`
    /// from async code.
    public func commit() throws(BlobWriteError) {
        precondition(!finished, "BlobWriter committed twice")
        defer { if !finished { discard() } }
        guard bytesWritten == expected.size else {
            throw .sizeMismatch(digest: expected.digest, expected: expected.size, actual: bytesWritten, truncated: true)
        }
        // A freshly computed SHA-256 hex string is always a valid digest.
        let actual = try! Digest(sha256Hex: hasher.finalizeHex())
        guard actual == expected.digest else { throw .digestMismatch(expected: expected.digest, actual: actual) }
        guard fsync(fd) == 0 else { throw .io(.errno("fsync", temporaryPath)) }
        guard close(fd) == 0 else { fd = -1; throw .io(.errno("close", temporaryPath)) }
        fd = -1
        guard rename(temporaryPath, finalPath) == 0 else { throw .io(.errno("rename into place", finalPath)) }
        finished = true
        // The blob is whole at its final name either way; without this the name may not survive a crash.
        do { try PosixFile.syncDirectory(containing: finalPath) } catch { throw .io(error) }
    }

    /// How much is written before the kernel is asked to start writing it to disk.
    static let writebackStep: Int64 = 8 << 20

    /// Abandons the write and removes the temporary file. A file that cannot be removed stays in
    /// `ingest/`, which is never trusted and is cleared when the layout is next opened.
    public func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
        finished = true
    }
}

/// Why a blob was not accepted.
public enum BlobWriteError: Error, Sendable, CustomStringConvertible {
    case digestMismatch(expected: Digest, actual: Digest)
    case sizeMismatch(digest: Digest, expected: Int64, actual: Int64, truncated: Bool)
    case io(FileSystemError)

    public var description: String {
        switch self {
        case .digestMismatch(let expected, let actual):
            return "content does not match its digest: expected \(expected), got \(actual)"
        case .sizeMismatch(let digest, let expected, let actual, let truncated):
            return truncated
                ? "blob \(digest.short) is truncated: got \(actual) of \(expected) bytes"
                : "blob \(digest.short) is larger than its declared \(expected) bytes"
        case .io(let error):
            return error.description
        }
    }
}
