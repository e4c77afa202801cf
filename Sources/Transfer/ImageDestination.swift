import OCI

/// Where blobs go: a registry, an OCI layout, a bundle stage.
public protocol ImageDestination: Sendable {
    /// Whether the destination holds the blob already (digest and size).
    func hasBlob(_ descriptor: Descriptor) async throws -> Bool
    /// Stores a blob from its body. Must not keep anything unless the body ended without throwing.
    func writeBlob(_ descriptor: Descriptor, _ body: BlobBody) async throws
    /// True when `writeBlob` itself hashes every byte and refuses a blob that does not match its
    /// digest (an OCI layout's `BlobWriter`): the copy then hashes nothing a second time.
    var checksDigests: Bool { get }
    /// Makes a blob of `source` available here without its bytes passing through the copy (a
    /// hard link from a layout on the same file system); false when it cannot.
    func mountBlob(_ descriptor: Descriptor, from source: any ImageSource) async throws -> Bool
}

extension ImageDestination {
    public var checksDigests: Bool { false }

    public func mountBlob(_ descriptor: Descriptor, from source: any ImageSource) async throws -> Bool { false }

    /// The blobs among `blobs` the destination holds already, asked `lookups` at a time.
    public func blobsPresent(_ blobs: [Descriptor], lookups: Int) async throws -> Set<Digest> {
        let destination = self
        let found = try await withThrowingTaskGroup(of: Digest?.self) { group in
            var pending = unique(blobs)[...]
            var found = Set<Digest>()
            func next(_ group: inout ThrowingTaskGroup<Digest?, Error>) {
                guard let blob = pending.popFirst() else { return }
                group.addTask { try await destination.hasBlob(blob) ? blob.digest : nil }
            }
            for _ in 0..<max(1, lookups) { next(&group) }
            while let digest = try await group.next() {
                if let digest { found.insert(digest) }
                next(&group)
            }
            return found
        }
        return found
    }
}
