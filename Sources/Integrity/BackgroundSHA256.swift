import Dispatch

/// SHA-256 computed on a second thread: `update` copies the bytes and returns at once (at most
/// eight chunks wait), so hashing a file's raw bytes overlaps with decompressing them.
public final class BackgroundSHA256: @unchecked Sendable {
    private let hasher = SHA256Hasher()
    private let queue = DispatchQueue(label: "airgap.background-sha256")
    private let slots = DispatchSemaphore(value: 8)

    public init() {}

    public func update(copying buffer: UnsafeRawBufferPointer) {
        guard !buffer.isEmpty else { return }
        slots.wait()
        let copy = [UInt8](buffer)
        queue.async {
            copy.withUnsafeBytes { self.hasher.update($0) }
            self.slots.signal()
        }
    }

    /// Waits for the queued bytes and returns the 32-byte digest.
    public func finalize() -> [UInt8] { queue.sync { hasher.finalize() } }
}
