import OCI

/// `bundle.json`: what the bundle holds. Signing it signs everything, because it lists every
/// other entry with its size and SHA-256.
public struct BundleIndex: Codable, Sendable, Hashable {
    public var apiVersion = "airgap.astrago.io/v1"
    public var kind = "BundleIndex"
    public var formatVersion: Int
    public var name: String
    public var version: String
    /// RFC 3339 UTC; from `--created`, `SOURCE_DATE_EPOCH`, or the newest file of the staged directory.
    public var created: String
    public var builder: Builder
    /// Components in install order (empty until `build` writes them).
    public var components: [Component]
    public var charts: [Chart]
    public var images: [Image]
    public var files: [File]
    /// Every entry after `bundle.json.sig`, in archive order.
    public var entries: [Entry]
    /// For a delta bundle: the bundle it builds on. Its images' layers that the base carried are
    /// listed in `images[].blobs` but not shipped; the site must have pushed the base first.
    public var base: Base?

    /// The bundle a delta builds on, and the SHA-256 of its exact `bundle.json`.
    public struct Base: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public var bundleJSON: String
        public init(name: String, version: String, bundleJSON: String) {
            self.name = name
            self.version = version
            self.bundleJSON = bundleJSON
        }
    }

    public struct Builder: Codable, Sendable, Hashable {
        public var name: String
        public var version: String
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    public struct Component: Codable, Sendable, Hashable {
        public var name: String
        public var namespace: String?
        public var releaseName: String?
        public var chart: String?
        public var optional: Bool?
        /// The component's values files in the bundle (`deploy/values/…`), merged in order;
        /// they may take site values (`{{ .Values.nfs.server }}`). Absent before airgap-bundle 0.3.
        public var values: [String]?
        /// The manifest's `images.exclude`: images the charts name that are never pulled, left
        /// as they are by deploy's image rewriting.
        public var excludedImages: [String]?

        public init(
            name: String, namespace: String?, releaseName: String?, chart: String?, optional: Bool?, values: [String]? = nil,
            excludedImages: [String]? = nil
        ) {
            self.name = name
            self.namespace = namespace
            self.releaseName = releaseName
            self.chart = chart
            self.optional = optional
            self.values = values
            self.excludedImages = excludedImages
        }
    }

    public struct Chart: Codable, Sendable, Hashable {
        public var path: String
        public var name: String?
        public var version: String?
        public var size: Int64
        public var sha256: String

        package init(path: String, name: String?, version: String?, size: Int64, sha256: String) {
            self.path = path
            self.name = name
            self.version = version
            self.size = size
            self.sha256 = sha256
        }
    }

    public struct Image: Codable, Sendable, Hashable {
        /// The full normalized reference, as pulled.
        public var reference: String
        /// The manifest or index digest stored in `images/`.
        public var digest: Digest
        public var mediaType: String
        public var platforms: [String]
        /// Bytes of the image's manifests and blobs.
        public var size: Int64
        /// The reference pinned to the digest fetched from the source registry.
        public var sourceReference: String?
        /// The image's manifests, children of an index first and the image's own digest last:
        /// the order a registry accepts them in. With `blobs`, what a push straight from the
        /// archive needs to know before the blobs stream past. (Absent in bundles of 0.1.)
        public var manifests: [Content]?
        /// Every config and layer blob of the image's manifests, each once.
        public var blobs: [Content]?

        package init(
            reference: String, digest: Digest, mediaType: String, platforms: [String], size: Int64, sourceReference: String?,
            manifests: [BundleIndex.Content]?,
            blobs: [BundleIndex.Content]?
        ) {
            self.reference = reference
            self.digest = digest
            self.mediaType = mediaType
            self.platforms = platforms
            self.size = size
            self.sourceReference = sourceReference
            self.manifests = manifests
            self.blobs = blobs
        }
    }

    /// One manifest or blob of an image, stored at `images/blobs/sha256/<hex>`.
    public struct Content: Codable, Sendable, Hashable {
        public var digest: Digest
        public var mediaType: String
        public var size: Int64
        public init(digest: Digest, mediaType: String, size: Int64) {
            self.digest = digest
            self.mediaType = mediaType
            self.size = size
        }
    }

    /// A file shipped to the site (`files/…`): its path, size and SHA-256, as an entry has them.
    public typealias File = Entry

    public struct Entry: Codable, Sendable, Hashable {
        public var path: String
        public var size: Int64
        public var sha256: String

        package init(path: String, size: Int64, sha256: String) {
            self.path = path
            self.size = size
            self.sha256 = sha256
        }
    }

    /// Total bytes of every entry (uncompressed), `bundle.json` and its signature excluded.
    package init(
        formatVersion: Int, name: String, version: String, created: String, builder: Builder, components: [Component], charts: [Chart],
        images: [Image], files: [File], entries: [Entry]
    ) {
        self.formatVersion = formatVersion
        self.name = name
        self.version = version
        self.created = created
        self.builder = builder
        self.components = components
        self.charts = charts
        self.images = images
        self.files = files
        self.entries = entries
    }

    public var entriesSize: Int64 { entries.reduce(0) { $0 + $1.size } }
}

/// `bundle.json.sig`: which key signed `bundle.json`, and the signature.
public struct BundleIndexSignature: Codable, Sendable, Hashable {
    /// `ecdsa-p256-sha256` (DER signature) or `ed25519` (64 bytes).
    public var algorithm: String
    /// `sha256:` + hex of the signer's DER public key.
    public var keyFingerprint: String
    /// Base64 of the signature bytes over the exact bytes of `bundle.json`.
    public var signature: String

    package init(algorithm: String, keyFingerprint: String, signature: String) {
        self.algorithm = algorithm
        self.keyFingerprint = keyFingerprint
        self.signature = signature
    }
}
