import Bundle
import OCI

/// A format-2 bundle archive as a source of single blobs by random access (`BundleArchive`):
/// what `serve` and a copy of a few blobs need. Each blob is read as blocking work, only its
/// frames decompressed, and its body ends only after its SHA-256 matched the signed bundle.json.
public struct BundleArchiveBlobs: BlobOpening {
    public let archive: BundleArchive
    public var pieceSize = 1 << 20

    public init(archive: BundleArchive) { self.archive = archive }

    public func blob(_ descriptor: Descriptor) async throws -> BlobBody {
        guard let location = archive.location(ofBlob: descriptor.digest), location.entry.size == descriptor.size else {
            throw TransferError("\(archive.path): the bundle holds no blob \(descriptor.digest) of \(descriptor.size) bytes")
        }
        let channel = PieceChannel(capacity: 4)
        let archive = self.archive, pieceSize = self.pieceSize
        // The reader runs while the body is read; a reader that gives up closes the channel, and
        // the read stops at its next piece.
        Task {
            do {
                try await BlockingWork.run {
                    var pieces = PieceBuffer(size: pieceSize)
                    try archive.read(location) { chunk in
                        guard pieces.append(chunk, to: channel) else { throw TransferError("blob \(descriptor.digest): nobody reads it") }
                    }
                    pieces.finish(to: channel)
                }
            } catch {
                channel.send(.abandoned)
            }
        }
        return channel.body(naming: "blob \(descriptor.digest)")
    }
}
