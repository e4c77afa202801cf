import NIOCore
import System

/// Response body chunks held until about 1 MiB has arrived, then written to disk in one
/// `BlockingWork` call: one hop off the cooperative thread pool per MiB, instead of a blocking
/// `write` per chunk on it. The chunks are kept, not copied.
struct ChunkBatch {
    static let limit = 1 << 20
    private(set) var chunks: [ByteBuffer] = []
    private(set) var byteCount = 0

    var isFull: Bool { byteCount >= Self.limit }
    var isEmpty: Bool { chunks.isEmpty }

    mutating func append(_ chunk: ByteBuffer) {
        chunks.append(chunk)
        byteCount += chunk.readableBytes
    }

    /// The chunks held so far; the batch is empty afterwards.
    mutating func take() -> [ByteBuffer] {
        defer { chunks = []; byteCount = 0 }
        return chunks
    }
}
