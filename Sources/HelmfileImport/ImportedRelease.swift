/// One helmfile release as the manifest takes it: a component.
public struct ImportedRelease: Sendable {
    /// Where its chart comes from.
    public enum Chart: Sendable, Equatable {
        /// A chart folder (absolute).
        case local(String)
        /// `repo/name` with the `repositories:` entry's URL.
        case repository(url: String, name: String, version: String?)
        /// `oci://host/path/name` (also `repo/name` of an `oci: true` repository).
        case oci(reference: String, version: String?)
    }

    /// A values file for the component: its file name and the text Helm gets.
    public struct ValuesFile: Sendable, Equatable {
        public var name: String
        public var text: String
    }

    public var name: String
    public var namespace: String
    public var chart: Chart
    public var values: [ValuesFile]
    public var labels: [(key: String, value: String)]
    /// `condition:` given: the helmfile lets the release be switched, so the site may leave it out.
    public var optional: Bool
    /// Why the release is switched off in this environment (nil: it is installed).
    public var offReason: String?
    /// Helm settings from `helmDefaults` and the release (`wait`, `timeout`, `waitForJobs`), as written.
    public var helmSettings: [(key: String, value: String)]
    /// The helmfile that declares it.
    public var helmfile: String
    /// `needs:` as written (`name`, `namespace/name`).
    var needs: [String]
}
