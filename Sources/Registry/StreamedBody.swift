import NIOCore

/// A request body that can be read only once: the bytes of a blob as they stream out of an
/// archive. `next` hands the next piece and nil at the end; throwing aborts the request, so the
/// registry never completes what it received. A request with such a body is never resent: the
/// caller decides what to do when it fails.
public struct StreamedBody: Sendable {
    let next: @Sendable () async throws -> [UInt8]?

    public init(next: @escaping @Sendable () async throws -> [UInt8]?) { self.next = next }
}

/// The pieces of a `StreamedBody` as `ByteBuffer`s, for AsyncHTTPClient.
struct StreamedBodyBuffers: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: StreamedBody

    func makeAsyncIterator() -> Iterator { Iterator(next: body.next) }

    struct Iterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> [UInt8]?

        mutating func next() async throws -> ByteBuffer? {
            guard let bytes = try await next() else { return nil }
            return ByteBuffer(bytes: bytes)
        }
    }
}
