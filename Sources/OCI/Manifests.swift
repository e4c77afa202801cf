/// An OCI image index or Docker manifest list (the two share one shape).
public struct ImageIndex: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(schemaVersion: Int = 2, mediaType: String? = MediaType.ociIndex, manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.manifests = manifests
        self.annotations = annotations
    }
}

/// An OCI image manifest or Docker schema 2 manifest (one shape).
public struct ImageManifest: Hashable, Sendable, Codable {
    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var subject: Descriptor?
    public var annotations: [String: String]?

    public init(
        schemaVersion: Int = 2, mediaType: String? = MediaType.ociManifest, config: Descriptor, layers: [Descriptor],
        annotations: [String: String]? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.mediaType = mediaType
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    /// Every blob the manifest needs: config first, then layers in order.
    public var blobs: [Descriptor] { [config] + layers }
}

/// The parts of an image configuration this tool reads (the platform).
public struct ImageConfiguration: Hashable, Sendable, Codable {
    public var architecture: String?
    public var os: String?
    public var variant: String?

    public var platform: Platform? {
        guard let architecture, let os else { return nil }
        return Platform(os: os, architecture: architecture, variant: variant)
    }
}
