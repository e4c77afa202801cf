import OCI
import Rendering

/// A bundle manifest (`manifests/astrago.yaml`): what to bundle, component by component, in
/// install order. See docs/manifest.md.
public struct BundleManifest: Sendable {
    /// The manifest file; relative paths inside it resolve against its folder.
    public var file: String
    public var name: String
    public var version: String
    public var platforms: [Platform]
    public var components: [Component]
    /// The settings each site gives (`siteValues:`), in file order.
    public var siteValues: [SiteValueDeclaration] = []
    /// Files and per-platform tools shipped under `files/` (tools at `files/tools/OS-ARCH/NAME`).
    public var files: [BundledFile] = []
    /// Components listed with `installed: false` (kept from an imported helmfile, with the
    /// reason): never resolved, bundled or deployed.
    public var switchedOff: [Component] = []

    /// A file the bundle ships to the site: from a local path or an https URL, with its SHA-256.
    public struct BundledFile: Sendable {
        public enum Source: Sendable, CustomStringConvertible {
            /// An absolute path on the vendor's machine.
            case local(String)
            case url(String)
            public var description: String {
                switch self {
                case .local(let path): return path
                case .url(let url): return url
                }
            }
        }
        /// The path under `files/` in the bundle.
        public var name: String
        public var source: Source
        /// Lowercase hex; required for URLs, checked when given for local files.
        public var sha256: String?
        /// For tools: the platform the binary runs on (only tools of the build's platforms are bundled).
        public var platform: Platform?
        public var line: Int
    }

    public struct Component: Sendable {
        public var name: String
        public var namespace: String
        public var releaseName: String
        public var optional: Bool
        public var chart: ChartSource
        /// Values files, absolute, merged in order.
        public var values: [String]
        public var extraImages: [ImageReference]
        /// References (normalized) to leave out.
        public var excludedImages: [String]
        /// Where the component is declared, for messages.
        public var line: Int
        /// False for a component kept in the manifest but switched off (`installed: false`).
        public var installed = true
        /// Why it is switched off (`reason:`).
        public var reason: String?

        public init(
            name: String, namespace: String, releaseName: String, optional: Bool, chart: ChartSource, values: [String],
            extraImages: [ImageReference], excludedImages: [String], line: Int
        ) {
            self.name = name
            self.namespace = namespace
            self.releaseName = releaseName
            self.optional = optional
            self.chart = chart
            self.values = values
            self.extraImages = extraImages
            self.excludedImages = excludedImages
            self.line = line
        }
    }

    /// Where a component's chart comes from.
    public enum ChartSource: Sendable, CustomStringConvertible {
        /// An HTTP chart repository (`index.yaml`).
        case repository(url: String, name: String, version: VersionConstraint)
        /// An OCI chart: `oci://host/path/name` and a version.
        case oci(reference: String, version: VersionConstraint)
        /// A local chart directory (absolute).
        case path(String)

        public var description: String {
            switch self {
            case .repository(let url, let name, let version): return "\(name) \(version) from \(url)"
            case .oci(let reference, let version): return "\(reference) \(version)"
            case .path(let path): return path
            }
        }
    }
}

/// A manifest error with file, line and column, and a hint.
public struct ManifestError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String
    public let hint: String?

    public var description: String {
        "\(file):\(line):\(column): \(message)" + (hint.map { "\n  hint: \($0)" } ?? "")
    }
}

/// A manifest that is there but cannot be read (permissions, a disk error): an I/O failure, not
/// a mistake in the command line or the manifest.
public struct ManifestReadError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String
    public var description: String { "cannot read the manifest \(file): \(reason)" }
}
