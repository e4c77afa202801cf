import Bundle
import Integrity
import NIOCore
import NIOPosix
import OCI

/// What every connection of the server shares: the archive, the names it answers, the pool that
/// reads the archive off the event loops, and the access log.
struct ServedBundle: Sendable {
    let archive: BundleArchive
    let repositories: ServedRepositories
    let pool: NIOThreadPool
    let log: @Sendable (AccessRecord) -> Void

    /// Bytes read and sent at a time: a piece never spans two of the archive's 4 MiB frames, and
    /// a connection holds at most one piece unsent, so memory stays bounded per connection.
    static let pieceSize: Int64 = 1 << 20

    /// Where the piece starting at `offset` of `location`'s data ends (within `range`).
    static func pieceEnd(_ location: BundleArchive.Location, offset: Int64, limit: Int64) -> Int64 {
        let position = location.dataOffset + offset - location.headerOffset
        return min(limit, offset + (pieceSize - position % pieceSize))
    }

    /// Reads bytes `range` of `location` into a buffer, on the calling (pool) thread; `check`,
    /// when given, hashes them and, at the entry's last byte, throws if its digest differs.
    func readPiece(_ location: BundleArchive.Location, _ range: Range<Int64>, check: DigestCheck?) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: Int(range.count))
        try archive.read(location, range: range) { chunk in buffer.writeBytes(chunk) }
        guard buffer.readableBytes == range.count else {
            throw ServeError.bundle("\(archive.path): entry \(location.entry.path) gave \(buffer.readableBytes) bytes for \(range)")
        }
        if let check {
            buffer.withUnsafeReadableBytes { check.hasher.update($0) }
            if range.upperBound == location.entry.size {
                let actual = check.hasher.finalizeHex()
                guard actual == location.entry.sha256 else {
                    throw ServeError.bundle(
                        "\(archive.path): entry \(location.entry.path) was changed after serve started: its SHA-256 is \(actual), bundle.json says \(location.entry.sha256)"
                    )
                }
            }
        }
        return buffer
    }
}

/// The running hash of one whole-entry response; used by one piece read at a time, in order.
final class DigestCheck: @unchecked Sendable {
    let hasher = SHA256Hasher()
}
