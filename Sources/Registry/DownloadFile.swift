import Integrity
import NIOCore
import Synchronization
import System

/// A file being downloaded to `path`: bytes go to an `AtomicFile` beside it (mode 0644) and are
/// hashed as they are written; `commit` makes them durable and puts them in place; `discard` (or
/// dropping it uncommitted) removes the temporary file. Its state sits behind a lock only so
/// that its blocking calls can run through `BlockingWork`: they never overlap.
final class DownloadFile: Sendable {
    let path: String
    private struct State: ~Copyable {
        let file: AtomicFile
        let hasher = SHA256Hasher()
    }
    private let state: Mutex<State>

    init(path: String) throws(FileSystemError) {
        self.path = path
        state = Mutex(State(file: try AtomicFile(path, mode: 0o644)))
    }

    /// Hashes and writes chunks on a blocking-work thread.
    func write(_ chunks: [ByteBuffer]) async throws {
        try await BlockingWork.run { () throws(FileSystemError) in
            try self.state.withLock { state throws(FileSystemError) in
                for chunk in chunks {
                    try chunk.withUnsafeReadableBytes { buffer in
                        state.hasher.update(buffer)
                        return Result { () throws(FileSystemError) in try state.file.write(buffer) }
                    }.get()
                }
            }
        }
    }

    /// The SHA-256 of everything written (read it once, when writing is done).
    var sha256Hex: String { state.withLock { $0.hasher.finalizeHex() } }

    /// Blocks: call it through `BlockingWork`.
    func commit() throws(FileSystemError) { try state.withLock { state throws(FileSystemError) in try state.file.commit() } }

    func discard() { state.withLock { $0.file.abandon() } }
}
