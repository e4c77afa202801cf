import ChartFormat
import Yams

/// Reads helmfile YAML (a helmfile after rendering, an environment's values, a release's inline
/// values) through the project's bounded YAML reading — a helmfile is untrusted input — into
/// `TemplateValue`s with go-yaml's (YAML 1.1) reading of plain scalars. A string that is exactly
/// a declared site value's template (`{{ .Values.name }}`, as `toYaml` wrote it when values were
/// passed down to a nested helmfile) reads back as that site value.
struct YAMLValues {
    /// A chart values file's bounds (a hostile helmfile stops early), with room for more nodes.
    static let limits = {
        var limits = BoundedYAML.Limits.chartValues
        limits.maximumNodes = 1_000_000
        return limits
    }()

    let file: String
    var siteValues: Set<String> = []

    /// The one document of `text` (null when empty).
    func read(_ text: String) throws -> TemplateValue {
        let documents: [Node]
        do { documents = try BoundedYAML.composeAll(text, limits: Self.limits) } catch {
            throw HelmfileImportError(file: file, line: 0, "not read: \(error)")
        }
        guard documents.count <= 1 else {
            throw HelmfileImportError(file: file, line: 0, "holds \(documents.count) YAML documents; import-helmfile reads one")
        }
        return try documents.first.map { try value($0) } ?? .null
    }

    static let trueWords: Set<String> = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"]
    static let falseWords: Set<String> = ["false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"]
    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    func value(_ node: Node) throws -> TemplateValue {
        switch node {
        case .scalar(let scalar):
            guard scalar.style == .plain || scalar.style == .any else { return siteValue(scalar.string) ?? .string(scalar.string) }
            let text = scalar.string
            if Self.trueWords.contains(text) { return .bool(true) }
            if Self.falseWords.contains(text) { return .bool(false) }
            if Self.nullWords.contains(text) { return .null }
            if YAMLWriter.looksNumeric(text) { return .number(text) }
            return .string(text)
        case .sequence(let sequence): return .list(try sequence.map { try value($0) })
        case .mapping(let mapping):
            var pairs: [(key: String, value: TemplateValue)] = []
            for (key, child) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw HelmfileImportError(file: file, line: key.mark?.line ?? 0, "a mapping key must be a single value")
                }
                if keyScalar.string == "<<" { throw HelmfileImportError(file: file, line: key.mark?.line ?? 0, "YAML merge keys (<<) are not read") }
                pairs.removeAll { $0.key == keyScalar.string }
                pairs.append((keyScalar.string, try value(child)))
            }
            return .map(pairs)
        case .alias: return .null  // Yams resolves aliases while composing
        }
    }

    private func siteValue(_ text: String) -> TemplateValue? {
        for name in siteValues {
            for quoted in [false, true] where TemplateValue.SiteValueUse(name: name, quoted: quoted).template == text {
                return .siteValue(.init(name: name, quoted: quoted))
            }
        }
        return nil
    }
}
