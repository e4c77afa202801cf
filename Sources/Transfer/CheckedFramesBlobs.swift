import Bundle
import OCI
import System

/// The bundle archive by random access as a source of the copy (the engine's one random-access
/// backing of a format-2 archive, the reader `serve` answers from): a blob is read whole through
/// the same checked 256 KiB chunks, as blocking work a chunk at a time, and its last chunk is
/// handed out only once the blob's SHA-256 matched the signed `bundle.json` (so the copy need not
/// hash it again).
extension CheckedFrames: BlobOpening {
    package func blob(_ descriptor: Descriptor) async throws -> BlobBody {
        guard let location = archive.location(ofBlob: descriptor.digest), location.entry.size == descriptor.size else {
            throw TransferError("\(archive.path): the bundle holds no blob \(descriptor.digest) of \(descriptor.size) bytes")
        }
        let read = startRead(location, range: 0..<location.entry.size)
        // An empty blob has no chunk to prove: the copy hashes its (no) bytes itself.
        return BlobBody(checkedBySource: location.entry.size > 0) {
            guard !read.isDone else { return nil }
            return try await BlockingWork.run { try self.nextPiece(read, maximum: CheckedFrames.chunkSize) }
        }
    }
}
