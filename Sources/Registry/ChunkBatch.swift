import NIOCore

/// Response body chunks are held until about 1 MiB has arrived, then written to disk in one
/// `BlockingWork` call: one hop off the cooperative thread pool per MiB, instead of a blocking
/// `write` per chunk on it. The chunks are kept, not copied.
enum ChunkBatch {
    static let limit = 1 << 20

    /// Hands `body`'s chunks to `write` in batches of about `limit` bytes, never an empty one.
    static func write<Body: AsyncSequence>(_ body: Body, to write: ([ByteBuffer]) async throws -> Void) async throws
    where Body.Element == ByteBuffer {
        var chunks: [ByteBuffer] = [], byteCount = 0
        for try await chunk in body {
            chunks.append(chunk)
            byteCount += chunk.readableBytes
            if byteCount >= limit {
                try await write(chunks)
                (chunks, byteCount) = ([], 0)
            }
        }
        if !chunks.isEmpty { try await write(chunks) }
    }
}
