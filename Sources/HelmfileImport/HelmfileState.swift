/// The fields of one rendered helmfile that the import reads. Fields that change what Helm
/// installs and are not read (`bases`, `templates`, `secrets`, `set`, hooks, patches, …) are
/// errors naming the file and field, never dropped quietly; fields that change nothing in the
/// bundle (`missingFileHandler`, `lockFilePath`, Helm flags such as `atomic`) are ignored.
struct HelmfileState {
    static let topFields: Set<String> = [
        "environments", "repositories", "helmDefaults", "helmfiles", "releases", "commonLabels", "missingFileHandler", "lockFilePath",
        "apiVersions", "kubeVersion", "helmBinary",
    ]
    static let releaseFields: Set<String> = [
        "name", "namespace", "chart", "version", "values", "labels", "condition", "installed", "needs", "wait", "timeout", "waitForJobs",
        "createNamespace", "atomic", "force", "recreatePods", "historyMax", "skipDeps", "verify", "missingFileHandler", "devel",
        "disableValidation", "disableOpenAPIValidation", "cleanupOnFail", "reuseValues",
    ]
    static let helmSettings = ["wait", "timeout", "waitForJobs"]

    let file: String
    let top: TemplateValue

    init(file: String, top: TemplateValue) throws {
        self.file = file
        self.top = top
        guard case .map(let pairs) = top else {
            if top == .null { return }
            throw HelmfileImportError(file: file, line: 0, "a helmfile is a mapping (releases:, helmfiles:, …)")
        }
        for (key, _) in pairs where !Self.topFields.contains(key) {
            throw HelmfileImportError(
                file: file, line: 0, "\(key): is not read by import-helmfile (it reads \(Self.topFields.sorted().joined(separator: ", ")))")
        }
    }

    /// `repositories:` by name: URL and whether it is an OCI registry.
    func repositories() throws -> [String: (url: String, oci: Bool)] {
        var result: [String: (String, Bool)] = [:]
        for entry in try list("repositories") {
            guard case .string(let name)? = entry["name"], case .string(let url)? = entry["url"] else {
                throw HelmfileImportError(file: file, line: 0, "each repositories: entry needs name and url")
            }
            result[name] = (url, entry["oci"] == .bool(true))
        }
        return result
    }

    /// `helmDefaults`' wait, timeout and waitForJobs, as written.
    func helmDefaults() -> [(key: String, value: String)] {
        guard let defaults = top["helmDefaults"] else { return [] }
        return Self.helmSettings.compactMap { key in defaults[key].map { (key, $0.printed) } }
    }

    /// A list field of the helmfile, or of a release's `entry` (nil or missing: empty).
    func list(_ key: String, of release: (name: String, entry: TemplateValue)? = nil) throws -> [TemplateValue] {
        switch (release?.entry ?? top)[key] {
        case nil, .null?: return []
        case .list(let items)?: return items
        default: throw HelmfileImportError(file: file, line: 0, (release.map { "release \($0.name): " } ?? "") + "\(key): must be a list")
        }
    }

    /// The environment's `values:` entries (file paths or inline maps); nil when not declared.
    func environmentValues(_ name: String) throws -> [TemplateValue]? {
        guard let environments = top["environments"], environments != .null else { return nil }
        guard let environment = environments[name] else { return nil }
        for (key, _) in environment.sortedPairs where key != "values" {
            throw HelmfileImportError(file: file, line: 0, "environments.\(name).\(key) is not read by import-helmfile (only values)")
        }
        guard case .list(let items)? = environment["values"] else { return [] }
        return items
    }

    /// Names of the declared environments, for messages.
    var environmentNames: [String] { top["environments"]?.sortedPairs.map(\.key) ?? [] }
}
