import NIOCore

/// The bytes of one blob, read once, in pieces: what a source hands to a destination.
///
/// `next` gives the next piece and nil at the end; throwing ends the blob as failed, and the
/// destination must not keep what it received. `checkedBySource`: the source hashes every byte
/// against the digest itself as it reads (a bundle's verifier) and ends the body only when it
/// matched, so the copy need not hash it again.
public struct BlobBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    public let checkedBySource: Bool
    let nextPiece: @Sendable () async throws -> ByteBuffer?
    let abandonReading: @Sendable () -> Void

    public init(
        checkedBySource: Bool = false, abandon: @escaping @Sendable () -> Void = {}, next: @escaping @Sendable () async throws -> ByteBuffer?
    ) {
        self.checkedBySource = checkedBySource
        self.nextPiece = next
        self.abandonReading = abandon
    }

    /// A body whose bytes come from any sequence of pieces (a download, a file).
    public init<Pieces: AsyncSequence & Sendable>(_ pieces: Pieces) where Pieces.Element == ByteBuffer, Pieces.AsyncIterator: Sendable {
        let iterator = IteratorBox(pieces.makeAsyncIterator())
        self.init { try await iterator.next() }
    }

    /// A body that fails at once (the source could not open the blob).
    public static func failing(_ error: Error) -> BlobBody { BlobBody { throw error } }

    /// The next piece; nil at the end.
    public func next() async throws -> ByteBuffer? { try await nextPiece() }

    /// The reader gives up: the source stops producing (a sender waiting to hand a piece wakes).
    public func abandon() { abandonReading() }

    public func makeAsyncIterator() -> Iterator { Iterator(body: self) }

    public struct Iterator: AsyncIteratorProtocol {
        let body: BlobBody
        public mutating func next() async throws -> ByteBuffer? { try await body.next() }
    }
}

/// Holds an iterator that one reader at a time advances (the `AsyncIteratorProtocol` contract);
/// the iterator is `Sendable`, its `var` is what the compiler cannot see is never shared.
private final class IteratorBox<Iterator: AsyncIteratorProtocol & Sendable>: @unchecked Sendable where Iterator.Element == ByteBuffer {
    private var iterator: Iterator
    init(_ iterator: Iterator) { self.iterator = iterator }
    func next() async throws -> ByteBuffer? { try await iterator.next() }
}
