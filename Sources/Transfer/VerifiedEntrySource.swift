import Bundle
import NIOCore

/// What the HTTP handler reads the bundle's entries through: given an entry (an image blob or
/// manifest, by its place in the archive) and a byte range, it yields the bytes a piece at a
/// time, each piece checked against the entry's SHA-256 in the signed `bundle.json` before it is
/// handed out (ADR 0019). The one implementation is `CheckedFrames`, which is also the transfer
/// engine's random-access backing of a bundle archive (a `BlobOpening`).
package protocol VerifiedEntrySource: Sendable {
    /// Starts a read of `range` of the entry at `location`.
    func startRead(_ location: BundleArchive.Location, range: Range<Int64>) -> EntryRead

    /// The next piece of `read` (at most `maximum` bytes, never past one chunk), on the calling
    /// (pool) thread; the read moves past it. Throws when the archive no longer holds the bytes
    /// `bundle.json` lists: the caller must then cut the response off.
    func nextPiece(_ read: EntryRead, maximum: Int) throws -> ByteBuffer

    /// The next piece of `read` if it is at hand without waiting for a lock, the disk or a
    /// decompression (an event loop may call it); nil: call `nextPiece` on the pool instead.
    func nextPieceIfReady(_ read: EntryRead, maximum: Int) throws -> ByteBuffer?
}

/// One response's read of one entry: where it is, and the proof generation its bytes so far
/// were checked against. Used by one piece read at a time, in order.
package final class EntryRead: @unchecked Sendable {
    package let location: BundleArchive.Location
    package let range: Range<Int64>
    /// The next byte to hand out (an offset into the entry's data).
    package var offset: Int64
    /// The generation of the entry's proof every piece so far was checked against (nil before
    /// the first piece). A proof that fails starts a new generation, and a read that began under
    /// the old one fails: it never completes with bytes from two different archives.
    package var generation: Int?
    private let ended: @Sendable () -> Void

    package init(location: BundleArchive.Location, range: Range<Int64>, ended: @escaping @Sendable () -> Void) {
        self.location = location
        self.range = range
        offset = range.lowerBound
        self.ended = ended
    }

    package var isWholeEntry: Bool { range == 0..<location.entry.size }
    package var isDone: Bool { offset >= range.upperBound }

    deinit { ended() }
}
