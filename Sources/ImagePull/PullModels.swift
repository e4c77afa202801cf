import OCI

/// One image stored in a layout by a pull.
public struct PulledImage: Sendable, Hashable, Codable {
    /// The normalized reference that was asked for.
    public var reference: String
    /// The digest of the top-level manifest or index stored in the layout (what `index.json` points at).
    public var digest: Digest
    public var mediaType: String
    /// Bytes of every manifest and blob this image needs (shared blobs counted for each image).
    public var size: Int64
    /// Platforms kept, e.g. `linux/amd64`.
    public var platforms: [String]
    /// Set when only some platforms of a multi-arch index were kept: the source index's digest.
    public var sourceIndexDigest: Digest?
    /// Things a person should know (e.g. an image built for another platform than asked for).
    public var warnings: [String]
}

/// What happened to one requested reference.
public struct PullOutcome: Sendable {
    public var reference: ImageReference
    public var result: Result<PulledImage, PullFailure>
}

/// A failed image, with a message that names the image, the registry and the cause.
public struct PullFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// Progress of a pull, for terminals and logs.
public enum PullEvent: Sendable {
    /// All manifests are resolved: this many bytes and blobs are to be fetched, and this many were present already.
    case planned(bytesToFetch: Int64, blobsToFetch: Int, bytesPresent: Int64, images: Int)
    /// More bytes arrived (negative when a transfer had to start over).
    case transferred(Int64)
}
