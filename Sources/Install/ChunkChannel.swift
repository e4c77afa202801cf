import Foundation
import NIOCore

/// Hands chunks of one blob from the thread that reads the archive to the task that uploads
/// them, with back-pressure: the reader blocks while `capacity` chunks wait, so memory stays at
/// `capacity × chunk size` per upload whatever the registry's speed.
final class ChunkChannel: @unchecked Sendable {
    enum Item: Sendable {
        case chunk(ByteBuffer)
        /// The entry's bytes are complete and their SHA-256 matched bundle.json.
        case end
        /// Verification failed or the push was abandoned: do not complete the upload.
        case abandoned
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var waiter: CheckedContinuation<Item, Never>?
    private var closedByReceiver = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Blocks while the channel is full. Returns false when the receiver has stopped listening
    /// (its upload failed), so the reader can go on without sending.
    @discardableResult
    func send(_ item: Item) -> Bool {
        condition.lock()
        while items.count >= capacity, !closedByReceiver { condition.wait() }
        if closedByReceiver {
            condition.unlock()
            return false
        }
        if let waiter {
            self.waiter = nil
            condition.unlock()
            waiter.resume(returning: item)
        } else {
            items.append(item)
            condition.unlock()
        }
        return true
    }

    func receive() async -> Item {
        await withCheckedContinuation { continuation in
            condition.lock()
            if closedByReceiver {
                condition.unlock()
                continuation.resume(returning: .abandoned)
            } else if !items.isEmpty {
                let item = items.removeFirst()
                condition.broadcast()
                condition.unlock()
                continuation.resume(returning: item)
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// The receiver gives up: pending and future sends are dropped, a blocked sender wakes, and a
    /// receive still waiting (the request body's reader) gets `.abandoned`.
    func closeReceiving() {
        condition.lock()
        closedByReceiver = true
        items.removeAll()
        let waiting = waiter
        waiter = nil
        condition.broadcast()
        condition.unlock()
        waiting?.resume(returning: .abandoned)
    }
}
