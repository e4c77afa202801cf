/// Every path of the bundle format, version 1, in one place (see docs/bundle-format.md).
public enum BundlePaths {
    /// The signed index of the bundle; always the first entry.
    public static let index = "bundle.json"
    /// The signature of `bundle.json`; always the second entry.
    public static let indexSignature = "bundle.json.sig"
    /// `sha256sum -c` input for every other entry; the third entry.
    public static let checksums = "checksums.sha256"
    /// The software bill of materials (CycloneDX JSON).
    public static let sbom = "sbom/bom.cdx.json"
    /// Chart archives (`NAME-VERSION.tgz`).
    public static let charts = "charts/"
    /// Extra files shipped to the site.
    public static let files = "files/"
    /// A standard OCI image layout.
    public static let images = "images/"
    /// What deploy needs besides charts: the site-value declarations and each component's values files.
    public static let deploy = "deploy/"
    /// The manifest's `siteValues:` as JSON (a list of declarations, in manifest order).
    public static let siteValues = "deploy/site-values.json"
    /// A component's values files: `deploy/values/COMPONENT/NN-FILE`, merged in order.
    public static func values(component: String, position: Int, file: String) -> String {
        "deploy/values/\(component)/" + String(format: "%02d-", position + 1) + file
    }
    /// Optional in a staged directory: the components in install order (written by `build`).
    public static let stagedComponents = "components.json"

    /// Entries `pack` computes itself; a staged directory must not hold them.
    public static let computed: Set<String> = [index, indexSignature, checksums, sbom]

    /// The format version `pack` writes by default: 2, zstd's seekable format (one frame per
    /// entry, a seek table at the end); 1 is one zstd frame (or gzip, or plain tar).
    public static let formatVersion = 2
    /// The format versions this code reads and writes.
    public static let formatVersions = 1...2
}
