import NIOCore
import OCI
import Registry

/// An OCI image layout as an image destination: each blob written through a `BlobWriter`, which
/// hashes it and puts it in place only when whole and matching (`OCILayout.ingest`).
public struct LayoutDestination: ImageDestination {
    public let layout: OCILayout

    public init(layout: OCILayout) { self.layout = layout }

    public var checksDigests: Bool { true }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool { layout.hasBlob(descriptor) }

    public func writeBlob(_ descriptor: Descriptor, _ body: BlobBody) async throws {
        try await layout.ingest(descriptor, from: body)
    }
}

/// An OCI image layout as an image source: each blob read from its file, 1 MiB at a time.
public struct LayoutSource: BlobOpening {
    public let layout: OCILayout

    public init(layout: OCILayout) { self.layout = layout }

    public func blob(_ descriptor: Descriptor) async throws -> BlobBody {
        BlobBody(FileChunks(path: layout.blobPath(descriptor.digest)))
    }
}
