import NIOCore

/// A request body that can be read only once: the bytes of a blob as they stream out of an
/// archive. `next` hands the next piece (as the `ByteBuffer` the request writes, so nothing is
/// copied on the way) and nil at the end; throwing aborts the request, so the
/// registry never completes what it received. A request with such a body is never resent: the
/// caller decides what to do when it fails.
public struct StreamedBody: Sendable {
    let next: @Sendable () async throws -> ByteBuffer?

    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) { self.next = next }
}

/// The pieces of a `StreamedBody`, as the sequence AsyncHTTPClient reads.
struct StreamedBodyBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: StreamedBody

    func makeAsyncIterator() -> Iterator { Iterator(next: body.next) }

    struct Iterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> ByteBuffer?

        mutating func next() async throws -> ByteBuffer? { try await next() }
    }
}
