import NIOCore
import Synchronization

/// A small least-recently-used cache of buffers keyed by their place in the stream (a chunk's or
/// a frame's first byte, or a frame index): `CheckedFrames` keeps checked chunks of hot entries
/// here (entries more than one response reads at once, such as base layers every node pulls), so
/// a chunk many clients read at about the same time is read and hashed once.
///
/// What the chunk cache may hold (the safety argument, ADR 0019): only a chunk's bytes that
/// matched the digest the entry's proof recorded for that chunk (or were hashed into the chain as
/// it was recorded), tagged with the entry and the proof's generation. A generation's recorded
/// digests are either proven (the entry's bytes hashed to `bundle.json`'s SHA-256) or still being
/// proven; a proof that fails drops its generation's chunks from here (`drop`) before any read can
/// finish under it. So a hit hands out bytes equal to what the proof hashed, never bytes read
/// after the file changed.
package final class FrameCache: Sendable {
    struct Frame {
        var bytes: ByteBuffer
        var entry: String
        var generation: Int
        var used: UInt64
    }

    private struct State {
        var frames: [Int: Frame] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The most bytes kept.
    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = capacity }

    /// The buffer kept at `index` for `entry` in `generation`; nil if none.
    func frame(_ index: Int, entry: String, generation: Int) -> ByteBuffer? {
        state.withLock { state in
            guard var frame = state.frames[index], frame.entry == entry, frame.generation == generation else { return nil }
            state.clock += 1
            frame.used = state.clock
            state.frames[index] = frame
            return frame.bytes
        }
    }

    /// Keeps `bytes` at `index`, dropping the least recently used to stay within `capacity`.
    func keep(_ index: Int, bytes: ByteBuffer, entry: String, generation: Int) {
        guard bytes.readableBytes <= capacity else { return }
        state.withLock { state in
            if let old = state.frames.removeValue(forKey: index) { state.bytes -= old.bytes.readableBytes }
            while state.bytes + bytes.readableBytes > capacity, let oldest = state.frames.min(by: { $0.value.used < $1.value.used }) {
                state.frames[oldest.key] = nil
                state.bytes -= oldest.value.bytes.readableBytes
            }
            state.clock += 1
            state.frames[index] = Frame(bytes: bytes, entry: entry, generation: generation, used: state.clock)
            state.bytes += bytes.readableBytes
        }
    }

    /// Forgets everything kept for `entry` (its proof failed).
    func drop(entry: String) {
        state.withLock { state in
            for (index, frame) in state.frames where frame.entry == entry {
                state.frames[index] = nil
                state.bytes -= frame.bytes.readableBytes
            }
        }
    }

    /// Bytes held now (for tests).
    package var heldBytes: Int { state.withLock { $0.bytes } }
}
