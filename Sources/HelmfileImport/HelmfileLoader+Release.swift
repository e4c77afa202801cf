import Foundation
import Rendering

extension HelmfileLoader {
    /// One `releases:` entry: its chart, namespace, labels, values (rendered), and whether this
    /// environment installs it (`condition:`, `installed:`).
    func release(
        _ entry: TemplateValue, state: HelmfileState, repositories: [String: (url: String, oci: Bool)], values: TemplateValue, directory: String
    ) throws -> ImportedRelease {
        let file = state.file
        guard case .string(let name)? = entry["name"], !name.isEmpty else { throw HelmfileImportError(file: file, line: 0, "a release has no name") }
        func fail(_ message: String) -> HelmfileImportError { HelmfileImportError(file: file, line: 0, "release \(name): \(message)") }
        for (key, _) in entry.sortedPairs where !HelmfileState.releaseFields.contains(key) {
            throw fail("\(key): is not read by import-helmfile")
        }
        let namespace = try text(entry["namespace"], "namespace", fail) ?? "default"
        guard let chartText = try text(entry["chart"], "chart", fail) else { throw fail("no chart") }
        let version = try text(entry["version"], "version", fail)
        let chart = try Self.chart(chartText, version: version, base: directory, repositories: repositories, fail: fail)
        // The release's own labels and Helm settings replace the file's, and come last.
        func overriding(_ base: [(key: String, value: String)], _ own: [(key: String, value: String)]) -> [(key: String, value: String)] {
            base.filter { pair in !own.contains { $0.key == pair.key } } + own
        }
        let labels = overriding(state.top["commonLabels"]?.printedPairs ?? [], entry["labels"]?.printedPairs ?? [])
        let settings = overriding(state.helmDefaults(), HelmfileState.helmSettings.compactMap { key in entry[key].map { (key, $0.printed) } })
        var offReason: String?
        if let condition = try text(entry["condition"], "condition", fail) {
            switch ValuesMerge.lookup(condition.split(separator: ".").map(String.init), in: values) {
            case .bool(true)?: break
            case .bool(false)?: offReason = "condition \(condition) is false in environment \(environment)"
            case nil, .null?: offReason = "condition \(condition) is not set in environment \(environment)"
            case .siteValue?: throw fail("condition \(condition) is a site value; the site switches optional components off in site.yaml instead")
            case let other?: throw fail("condition \(condition) must be true or false, it is a \(other.kind)")
            }
        }
        if let installed = entry["installed"], offReason == nil {
            switch installed {
            case .bool(false): offReason = "installed: false in environment \(environment)"
            case .bool(true): break
            default: throw fail("installed must be true or false")
            }
        }
        var files: [ImportedRelease.ValuesFile] = []
        if offReason == nil {
            let release = TemplateValue.map([
                ("Name", .string(name)), ("Namespace", .string(namespace)), ("Chart", .string(chartText)),
                ("Labels", .map(labels.map { ($0.key, .string($0.value)) })),
            ])
            for (index, item) in (try state.list("values", of: (name, entry))).enumerated() {
                files.append(try valuesFile(item, index: index, release: release, values: values, directory: directory, fail: fail))
            }
        }
        let needs = try state.list("needs", of: (name, entry)).map { item in
            guard case .string(let need) = item else { throw fail("needs: entries are release names") }
            return need
        }
        return ImportedRelease(
            name: name, namespace: namespace, chart: chart, values: files, labels: labels, optional: entry["condition"] != nil, offReason: offReason,
            helmSettings: settings, helmfile: file, needs: needs)
    }

    private func text(_ value: TemplateValue?, _ field: String, _ fail: (String) -> HelmfileImportError) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case .number(let text)?: return text
        default: throw fail("\(field) must be a single value")
        }
    }

    /// A values entry as the file Helm gets: a `.gotmpl` rendered, a plain file as it is, an inline map written out.
    private func valuesFile(
        _ item: TemplateValue, index: Int, release: TemplateValue, values: TemplateValue, directory: String, fail: (String) -> HelmfileImportError
    ) throws -> ImportedRelease.ValuesFile {
        let number = index < 9 ? "0\(index + 1)" : "\(index + 1)"
        switch item {
        case .map: return .init(name: "\(number)-inline.yaml", text: YAMLWriter.document(item))
        case .string(let path):
            let absolute = path.hasPrefix("/") ? path : directory + "/" + path
            var text = try Self.readText(absolute)
            var base = (path as NSString).lastPathComponent
            if path.hasSuffix(".gotmpl") {
                text = SiteValueScalarQuoting.quoted(
                    try TemplateEvaluator.render(text, file: absolute, root: root(values: values, release: release)))
                base = String(base.dropLast(".gotmpl".count))
            }
            try Self.checkReadable(text, file: absolute)
            if !base.hasSuffix(".yaml"), !base.hasSuffix(".yml") { base += ".yaml" }
            return .init(name: "\(number)-\(base)", text: text)
        default: throw fail("a values entry must be a file name or a mapping")
        }
    }

    /// Helm must be able to read the file once the site's values are in: checked with a
    /// placeholder for each site value (our values template's own check runs at `lock`).
    static func checkReadable(_ text: String, file: String) throws {
        let filled: String
        do { filled = try ValuesTemplate.render(text, file: file) { _ in "site-value" } } catch {
            throw HelmfileImportError(file: file, line: 0, "renders to a values file the manifest cannot take: \(error)")
        }
        _ = try YAMLValues(file: file).read(filled)
    }

    /// helmfile's reading of `chart:`: `./x`, `../x`, `/x` and names that are not `repo/name`
    /// are folders beside the helmfile; `oci://…` is OCI; `repo/name` needs the repository.
    static func chart(
        _ text: String, version: String?, base: String, repositories: [String: (url: String, oci: Bool)], fail: (String) -> HelmfileImportError
    ) throws -> ImportedRelease.Chart {
        if text.hasPrefix("oci://") { return .oci(reference: text, version: version) }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        let isLocal = text.hasPrefix("./") || text.hasPrefix("../") || text.hasPrefix("/") || parts.count != 2
        guard isLocal else {
            guard let repository = repositories[String(parts[0])] else {
                throw fail("chart \(text): no repositories: entry named \(parts[0])")
            }
            if repository.oci {
                let url = repository.url.hasPrefix("oci://") ? repository.url : "oci://" + repository.url
                return .oci(reference: url.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/" + parts[1], version: version)
            }
            return .repository(url: repository.url, name: String(parts[1]), version: version)
        }
        let absolute = text.hasPrefix("/") ? text : (base + "/" + text)
        let standardized = (absolute as NSString).standardizingPath
        guard FileManager.default.fileExists(atPath: standardized + "/Chart.yaml") else {
            throw fail(
                "chart \(text) is read as a local folder (helmfile's rule for names that are not repo/name) but \(standardized) has no Chart.yaml")
        }
        return .local(standardized)
    }
}
