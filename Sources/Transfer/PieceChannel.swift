import Dispatch
import NIOCore
import Synchronization

/// Hands the pieces of one blob from the thread that reads an archive (blocking work, never the
/// cooperative pool) to the task that sends them, with back-pressure: the reader blocks while
/// `capacity` pieces wait, so memory stays at `capacity × piece size` per blob whatever the
/// destination's speed. One sender, one receiver.
final class PieceChannel: Sendable {
    enum Item: Sendable {
        case piece(ByteBuffer)
        /// The blob's bytes are complete and matched their digest.
        case end
        /// Verification failed or the pass was abandoned: the blob must not be completed.
        case abandoned
    }

    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<Item, Never>?
        var closedByReceiver = false
        var senderWaiting = false
        var ended = false
    }

    private let state = Mutex(State())
    private let space = DispatchSemaphore(value: 0)
    private let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Blocks while the channel is full. Returns false when the receiver has stopped listening
    /// (its destination failed), so the reader can go on without sending.
    @discardableResult
    func send(_ item: Item) -> Bool {
        while true {
            enum Step { case refused, handed(CheckedContinuation<Item, Never>?), full }
            let step: Step = state.withLock { state in
                if state.closedByReceiver { return .refused }
                if let waiter = state.waiter {
                    state.waiter = nil
                    if case .end = item { state.ended = true }
                    return .handed(waiter)
                }
                guard state.items.count >= capacity else {
                    state.items.append(item)
                    return .handed(nil)
                }
                state.senderWaiting = true
                return .full
            }
            switch step {
            case .refused: return false
            case .handed(let waiter):
                waiter?.resume(returning: item)
                return true
            case .full: space.wait()
            }
        }
    }

    func receive() async -> Item {
        await withCheckedContinuation { continuation in
            let (ready, wakeSender): (Item?, Bool) = state.withLock { state in
                if state.ended { return (.end, false) }
                if state.closedByReceiver { return (.abandoned, false) }
                guard !state.items.isEmpty else {
                    state.waiter = continuation
                    return (nil, false)
                }
                let item = state.items.removeFirst()
                if case .end = item { state.ended = true }
                defer { state.senderWaiting = false }
                return (item, state.senderWaiting)
            }
            if wakeSender { space.signal() }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// The receiver gives up: pending and future sends are dropped, a blocked sender wakes, and a
    /// receive still waiting gets `.abandoned`.
    func closeReceiving() {
        let (waiter, wakeSender) = state.withLock { state in
            state.closedByReceiver = true
            state.items.removeAll()
            defer { state.waiter = nil; state.senderWaiting = false }
            return (state.waiter, state.senderWaiting)
        }
        if wakeSender { space.signal() }
        waiter?.resume(returning: .abandoned)
    }

    /// The blob as a body: pieces until `.end`; `.abandoned` throws.
    func body(naming blob: String) -> BlobBody {
        BlobBody(checkedBySource: true, abandon: { self.closeReceiving() }) {
            switch await self.receive() {
            case .piece(let bytes): return bytes
            case .end: return nil
            case .abandoned: throw TransferError("\(blob): the upload was abandoned")
            }
        }
    }
}

/// Bytes gathered into pieces of `size` for a `PieceChannel` (one allocation per piece; a full
/// piece is handed on at once).
struct PieceBuffer {
    let size: Int
    private var buffer = ByteBuffer()

    init(size: Int) { self.size = size }

    /// Appends `chunk`; hands each full piece to `send`, which returns false when nobody listens.
    mutating func append(_ chunk: UnsafeRawBufferPointer, to channel: PieceChannel) -> Bool {
        var rest = chunk
        while !rest.isEmpty {
            if buffer.capacity == 0 { buffer = ByteBufferAllocator().buffer(capacity: size) }
            let take = min(size - buffer.readableBytes, rest.count)
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: rest[0..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            if buffer.readableBytes == size {
                let piece = buffer
                buffer = ByteBuffer()
                guard channel.send(.piece(piece)) else { return false }
            }
        }
        return true
    }

    /// Hands on what is left, then the end.
    mutating func finish(to channel: PieceChannel) {
        if buffer.readableBytes > 0 { channel.send(.piece(buffer)) }
        buffer = ByteBuffer()
        channel.send(.end)
    }
}
