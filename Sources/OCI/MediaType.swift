/// The manifest and blob media types this tool reads and writes.
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociConfig = "application/vnd.oci.image.config.v1+json"
    public static let ociLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerConfig = "application/vnd.docker.container.image.v1+json"
    public static let dockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    public static let dockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json"
    public static let dockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws"

    /// Every manifest type we can read, for an `Accept` header. Distribution 2.8 answers
    /// `MANIFEST_UNKNOWN` for an OCI index unless the OCI types are named here.
    public static let acceptedManifests = [ociIndex, ociManifest, dockerManifestList, dockerManifest]

    /// Index-like types: they list other manifests.
    public static func isIndex(_ type: String) -> Bool { type == ociIndex || type == dockerManifestList }
    /// Image-manifest-like types: they list a config and layers.
    public static func isImageManifest(_ type: String) -> Bool { type == ociManifest || type == dockerManifest }
    /// Image configuration types (the config blob of a runnable image, naming its platform).
    public static func isImageConfig(_ type: String) -> Bool { type == ociConfig || type == dockerConfig }
    /// Docker schema 1, which we refuse.
    public static func isSchema1(_ type: String) -> Bool { type == dockerSchema1 || type == dockerSchema1Signed }
}
