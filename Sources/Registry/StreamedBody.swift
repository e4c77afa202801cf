import NIOCore

/// A request body that can be read only once: the bytes of a blob as they stream out of an
/// archive. `next` hands the next piece (as the `ByteBuffer` the request writes, so nothing is
/// copied on the way) and nil at the end; throwing aborts the request, so the
/// registry never completes what it received. A request with such a body is never resent: the
/// caller decides what to do when it fails.
public struct StreamedBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let next: @Sendable () async throws -> ByteBuffer?

    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) { self.next = next }

    /// The pieces, as the sequence AsyncHTTPClient reads.
    public func makeAsyncIterator() -> Iterator { Iterator(next: next) }

    public struct Iterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> ByteBuffer?

        public mutating func next() async throws -> ByteBuffer? { try await next() }
    }
}
