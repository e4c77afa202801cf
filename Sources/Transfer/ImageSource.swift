import OCI

/// Where blobs come from: a registry, an OCI layout, a bundle archive (read as one stream, or by
/// random access). Manifests are small values read up front by whoever plans the copy; blobs
/// stream.
public protocol ImageSource: Sendable {
    /// Reads each of `blobs` once, in the order this source reads best, and hands each one's
    /// bytes to `receive`, with at most `concurrency` bodies open at once. Returns when every
    /// `receive` has returned. `pass` counts from 0: a later pass reads again what failed.
    func readBlobs(
        _ blobs: [Descriptor], pass: Int, concurrency: Int, receive: @escaping @Sendable (Descriptor, BlobBody) async -> Void
    ) async throws
}

/// A source that can open any blob on its own (a registry, a layout): the copy chooses the order.
public protocol BlobOpening: ImageSource {
    func blob(_ descriptor: Descriptor) async throws -> BlobBody
}

extension BlobOpening {
    public func readBlobs(
        _ blobs: [Descriptor], pass: Int, concurrency: Int, receive: @escaping @Sendable (Descriptor, BlobBody) async -> Void
    ) async throws {
        _ = await boundedMap(blobs, limit: concurrency) { blob in
            let body: BlobBody
            do { body = try await self.blob(blob) } catch { body = .failing(error) }
            await receive(blob, body)
        }
    }
}

/// Maps `items` with at most `limit` running at once; results keep the input order.
public func boundedMap<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, _ transform: @escaping @Sendable (Item) async -> Output
) async -> [Output] {
    await withTaskGroup(of: (Int, Output).self) { group in
        var results = [Output?](repeating: nil, count: items.count)
        var next = 0
        while next < min(max(1, limit), items.count) {
            let index = next
            group.addTask { (index, await transform(items[index])) }
            next += 1
        }
        while let (index, output) = await group.next() {
            results[index] = output
            if next < items.count {
                let index = next
                group.addTask { (index, await transform(items[index])) }
                next += 1
            }
        }
        return results.map { $0! }
    }
}
