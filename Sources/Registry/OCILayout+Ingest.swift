import NIOCore
import OCI
import System

extension OCILayout {
    /// Writes a blob's bytes as they arrive into the layout: about 1 MiB at a time through
    /// `BlockingWork` (off the cooperative thread pool), hashed as written; the blob appears only
    /// when whole and matching its digest (`BlobWriter.commit`). A failure leaves nothing behind.
    public func ingest<Body: AsyncSequence>(_ descriptor: Descriptor, from body: Body) async throws where Body.Element == ByteBuffer {
        let writer = try await BlockingWork.run { try self.blobWriter(for: descriptor) }
        do {
            try await ChunkBatch.write(body) { chunks in
                try await BlockingWork.run {
                    for chunk in chunks { try chunk.withUnsafeReadableBytes { try writer.write($0) } }
                }
            }
            try await BlockingWork.run { try writer.commit() }
        } catch {
            writer.discard()
            throw error
        }
    }
}
