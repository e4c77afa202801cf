import Dispatch

/// SHA-256 computed on a second thread, so hashing a file's raw bytes overlaps with decompressing
/// them. `update(borrowing:)` does not copy: the caller keeps the bytes alive and unchanged until
/// it has waited on the returned token.
// @unchecked: `hasher` is used only on `queue` (updates in order, then `finalize` through `queue.sync`).
public final class BackgroundSHA256: @unchecked Sendable {
    private let hasher = SHA256Hasher()
    private let queue = DispatchQueue(label: "airgap.background-sha256")

    /// Waiting on it means the bytes have been hashed and the buffer may be reused.
    public struct Token: Sendable {
        fileprivate let done: DispatchSemaphore
        public func wait() { done.wait(); done.signal() }
    }

    // @unchecked: a raw pointer is never `Sendable`; the caller keeps the bytes alive and unchanged until the token is waited on.
    private struct Borrowed: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }

    public init() {}

    public func update(borrowing buffer: UnsafeRawBufferPointer) -> Token {
        let done = DispatchSemaphore(value: 0)
        let borrowed = Borrowed(bytes: buffer)
        queue.async {
            self.hasher.update(borrowed.bytes)
            done.signal()
        }
        return Token(done: done)
    }

    /// Waits for the queued bytes and returns the 32-byte digest.
    public func finalize() -> [UInt8] { queue.sync { hasher.finalize() } }
}
