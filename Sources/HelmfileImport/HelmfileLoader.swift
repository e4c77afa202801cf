import Foundation

/// Reads a helmfile and the helmfiles it names, for one environment, into releases in install
/// order: each `helmfiles:` entry in order (with the values it passes down), then the file's own
/// `releases:` in order, moved only as far as `needs:` requires.
struct HelmfileLoader {
    let environment: String
    /// Declared site values (dotted names) and the environment values they had.
    var siteValueNames: Set<String>
    private(set) var siteValueDefaults: [String: TemplateValue] = [:]
    private var depth = 0

    init(environment: String, siteValues: Set<String>) {
        self.environment = environment
        self.siteValueNames = siteValues
    }

    /// The releases of `file` and everything it includes.
    mutating func releases(of file: String, passed: TemplateValue?) throws -> [ImportedRelease] {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 16 else { throw HelmfileImportError(file: file, line: 0, "helmfiles nested more than 16 deep (a loop?)") }
        let text = try Self.readText(file)
        let parent = (file as NSString).deletingLastPathComponent
        let directory = parent.isEmpty ? "." : parent
        // First pass (as helmfile's): the environments section, before the values exist.
        let firstRoot = root(values: passed ?? .map([]))
        let first = try HelmfileState(
            file: file, top: try reader(file).read(try TemplateEvaluator.render(text, file: file, root: firstRoot, lenient: true)))
        var values = TemplateValue.map([])
        if let entries = try first.environmentValues(environment) {
            for entry in entries { values = ValuesMerge.merge(values, try valuesEntry(entry, base: directory, file: file, values: values)) }
        } else if depth == 1 {
            throw HelmfileImportError(
                file: file, line: 0,
                "environment \"\(environment)\" is not declared (declared: \(first.environmentNames.joined(separator: ", ")))")
        }
        if let passed { values = ValuesMerge.merge(values, passed) }
        if depth == 1 { values = try declareSiteValues(in: values, file: file) }
        let state = try HelmfileState(
            file: file, top: try reader(file).read(try TemplateEvaluator.render(text, file: file, root: root(values: values))))
        var releases: [ImportedRelease] = []
        for entry in try state.list("helmfiles") {
            let (path, passedDown) = try nestedHelmfile(entry, base: directory, file: file, values: values)
            releases += try self.releases(of: path, passed: passedDown)
        }
        let repositories = try state.repositories()
        let own = try state.list("releases").map { try release($0, state: state, repositories: repositories, values: values, directory: directory) }
        return releases + (try ReleaseOrder.sorted(own, file: file))
    }

    static func readText(_ file: String) throws -> String {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else {
            throw HelmfileImportError(file: file, line: 0, "cannot read it (no such file?)")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= YAMLValues.limits.maximumBytes else {
            throw HelmfileImportError(file: file, line: 0, "is \(size) bytes, over the limit of \(YAMLValues.limits.maximumBytes)")
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw HelmfileImportError(file: file, line: 0, "cannot read it as UTF-8 text")
        }
        return text
    }

    private func reader(_ file: String) -> YAMLValues { YAMLValues(file: file, siteValues: siteValueNames) }

    func root(values: TemplateValue, release: TemplateValue? = nil) -> TemplateValue {
        var pairs: [(key: String, value: TemplateValue)] = [
            ("Values", values), ("StateValues", values),
            ("Environment", .map([("Name", .string(environment)), ("Values", values)])),
        ]
        if let release { pairs.append(("Release", release)) }
        return .map(pairs)
    }

    /// Each `--site-value` must name a single value of the environment; it becomes a site value.
    private mutating func declareSiteValues(in values: TemplateValue, file: String) throws -> TemplateValue {
        var result = values
        for name in siteValueNames.sorted() {
            let path = name.split(separator: ".").map(String.init)
            guard let current = ValuesMerge.lookup(path, in: result) else {
                throw HelmfileImportError(file: file, line: 0, "site value \(name) is not in environment \"\(environment)\"'s values")
            }
            switch current {
            case .list, .map:
                throw HelmfileImportError(
                    file: file, line: 0, "site value \(name) is a \(current.kind) in the environment's values: it must be a single value")
            default: break
            }
            siteValueDefaults[name] = current
            result = ValuesMerge.replacing(path, in: result, with: .siteValue(.init(name: name, quoted: false)))!
        }
        return result
    }

    /// One entry of a `values:` list: an inline map, or a file (rendered when it ends in `.gotmpl`).
    private func valuesEntry(_ entry: TemplateValue, base: String, file: String, values: TemplateValue) throws -> TemplateValue {
        switch entry {
        case .map: return entry
        case .string(let path):
            let absolute = path.hasPrefix("/") ? path : base + "/" + path
            var text = try Self.readText(absolute)
            if path.hasSuffix(".gotmpl") { text = try TemplateEvaluator.render(text, file: absolute, root: root(values: values)) }
            return try reader(absolute).read(text)
        case .null: return .map([])
        default: throw HelmfileImportError(file: file, line: 0, "a values entry must be a file name or a mapping, not a \(entry.kind)")
        }
    }

    /// `helmfiles:` entry: `path` (or the path alone) and the values it passes down.
    private func nestedHelmfile(_ entry: TemplateValue, base: String, file: String, values: TemplateValue) throws -> (String, TemplateValue?) {
        let path: String
        var passed: TemplateValue?
        switch entry {
        case .string(let text): path = text
        case .map:
            guard case .string(let text)? = entry["path"] else { throw HelmfileImportError(file: file, line: 0, "a helmfiles: entry needs path") }
            path = text
            for (key, _) in entry.sortedPairs where !["path", "values"].contains(key) {
                throw HelmfileImportError(file: file, line: 0, "helmfiles: entry \(path): \(key) is not read by import-helmfile")
            }
            if case .list(let items)? = entry["values"] {
                passed = try items.reduce(.map([])) { ValuesMerge.merge($0, try valuesEntry($1, base: base, file: file, values: values)) }
            }
        default: throw HelmfileImportError(file: file, line: 0, "a helmfiles: entry must be a path or {path, values}")
        }
        guard !path.contains("::"), !path.contains("*") else {
            throw HelmfileImportError(file: file, line: 0, "helmfiles: \(path): remote helmfiles and globs are not read by import-helmfile")
        }
        return (path.hasPrefix("/") ? path : base + "/" + path, passed)
    }
}
