import Integrity
import Synchronization
import System

/// Writes one blob to an `AtomicFile` (in `ingest/`) while hashing it, and puts it in place only
/// when its size and digest match the descriptor: `fsync`, rename, `fsync` of the directory. So a
/// file at a blob's final name is always whole, even after a crash. A failed or abandoned write
/// leaves nothing behind.
///
/// One writer belongs to one stream; its state sits behind a lock only so that its owner can hand
/// the blocking writes to `BlockingWork`, one call at a time.
public final class BlobWriter: Sendable {
    public let expected: Descriptor
    private struct State: ~Copyable {
        let file: AtomicFile
        let hasher = SHA256Hasher()
        var written: Int64 = 0
        /// Bytes before this offset have been handed to the kernel's writeback (`sync_file_range`).
        var writebackStart: Int64 = 0
    }
    private let state: Mutex<State>

    init(expected: Descriptor, finalPath: String, temporaryDirectory: String) throws(FileSystemError) {
        self.expected = expected
        state = Mutex(State(file: try AtomicFile(finalPath, mode: 0o644, temporaryDirectory: temporaryDirectory)))
    }

    /// Appends bytes. Fails as soon as the blob grows past its declared size.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(BlobWriteError) {
        guard buffer.count > 0 else { return }
        // The caller's bytes go into the lock as an address (a raw pointer is never `Sendable`);
        // the caller keeps them alive for this call.
        let address = UInt(bitPattern: buffer.baseAddress), count = buffer.count, expected = expected
        try state.withLock { state throws(BlobWriteError) in
            let buffer = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: address), count: count)
            if state.written + Int64(buffer.count) > expected.size {
                throw .sizeMismatch(digest: expected.digest, expected: expected.size, actual: state.written + Int64(buffer.count), truncated: false)
            }
            state.hasher.update(buffer)
            do throws(FileSystemError) { try state.file.write(buffer) } catch { throw .io(error) }
            state.written += Int64(buffer.count)
            if state.written - state.writebackStart >= Self.writebackStep {
                Writeback.start(state.file.descriptor, from: state.writebackStart, count: state.written - state.writebackStart)
                state.writebackStart = state.written
            }
        }
    }

    /// Checks size and digest, then commits the file (`fsync`, rename into `blobs/sha256`, `fsync`
    /// of it). Blocks: call it through `BlockingWork` from async code.
    public func commit() throws(BlobWriteError) {
        let expected = expected
        try state.withLock { state throws(BlobWriteError) in
            guard state.written == expected.size else {
                state.file.abandon()
                throw .sizeMismatch(digest: expected.digest, expected: expected.size, actual: state.written, truncated: true)
            }
            // A freshly computed SHA-256 hex string is always a valid digest.
            let actual = try! Digest(sha256Hex: state.hasher.finalizeHex())
            guard actual == expected.digest else {
                state.file.abandon()
                throw .digestMismatch(expected: expected.digest, actual: actual)
            }
            do throws(FileSystemError) { try state.file.commit() } catch { throw .io(error) }
        }
    }

    /// How much is written before the kernel is asked to start writing it to disk.
    static let writebackStep: Int64 = 8 << 20

    /// Abandons the write and removes the temporary file. A file that cannot be removed stays in
    /// `ingest/`, which is never trusted and is cleared when the layout is next opened.
    public func discard() { state.withLock { $0.file.abandon() } }
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
