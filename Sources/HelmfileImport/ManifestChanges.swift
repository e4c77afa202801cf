/// What a re-import changes in a manifest: components added, removed or reordered, a chart,
/// namespace or values moved, a component switched on or off, site values added or removed.
public struct ManifestChanges: Sendable {
    /// One line per change, for people (`+ component x`, `~ x: chart …`).
    public var lines: [String]
    /// Whether anything on disk differs (the manifest's text or any values file), even when no line names it.
    public var outOfDate: Bool

    struct Component: Equatable {
        var name: String
        var namespace: String
        var chart: String
        var off: String?
        var values: [String]
    }

    /// Compares the manifest and values texts on disk (`old`, nil when there is none) with the new ones.
    static func compare(
        old: (manifest: String, values: [String: String])?, new: (manifest: String, values: [String: String]), file: String
    ) -> ManifestChanges {
        guard let old else { return ManifestChanges(lines: ["+ \(file) (new)"], outOfDate: true) }
        let before = summary(old.manifest, file: file), after = summary(new.manifest, file: file)
        var lines: [String] = []
        let beforeNames = before.components.map(\.name), afterNames = after.components.map(\.name)
        for (position, component) in after.components.enumerated() where !beforeNames.contains(component.name) {
            lines.append("+ component \(component.name) (position \(position + 1), chart \(component.chart))")
        }
        for component in before.components where !afterNames.contains(component.name) {
            lines.append("- component \(component.name) (chart \(component.chart))")
        }
        let keptBefore = beforeNames.filter(afterNames.contains), keptAfter = afterNames.filter(beforeNames.contains)
        if keptBefore != keptAfter {
            lines.append("~ order: \(keptBefore.joined(separator: ", ")) -> \(keptAfter.joined(separator: ", "))")
        }
        for component in after.components {
            guard let previous = before.components.first(where: { $0.name == component.name }) else { continue }
            if previous.chart != component.chart { lines.append("~ \(component.name): chart \(previous.chart) -> \(component.chart)") }
            if previous.namespace != component.namespace {
                lines.append("~ \(component.name): namespace \(previous.namespace) -> \(component.namespace)")
            }
            if previous.off != component.off {
                lines.append("~ \(component.name): " + (component.off.map { "switched off (\($0))" } ?? "switched on"))
            }
            let changed = Set(previous.values + component.values).sorted().filter { old.values[$0] != new.values[$0] }
            if previous.values != component.values || !changed.isEmpty {
                let names = changed.isEmpty ? "order" : changed.map { String($0.split(separator: "/").last ?? "") }.joined(separator: ", ")
                lines.append("~ \(component.name): values changed (\(names))")
            }
        }
        for name in after.siteValues where !before.siteValues.contains(name) { lines.append("+ site value \(name)") }
        for name in before.siteValues where !after.siteValues.contains(name) { lines.append("- site value \(name)") }
        let outOfDate = old.manifest != new.manifest || old.values != new.values
        if outOfDate, lines.isEmpty { lines.append("~ \(file): text changed (comments, metadata or site value settings)") }
        return ManifestChanges(lines: lines, outOfDate: outOfDate)
    }

    /// The components and site values a manifest's text lists (an unreadable one lists none).
    private static func summary(_ text: String, file: String) -> (components: [Component], siteValues: [String]) {
        guard let top = try? YAMLValues(file: file).read(text) else { return ([], []) }
        let items: [TemplateValue] = if case .list(let items)? = top["components"] { items } else { [] }
        let components = items.map { item in
            let chart = item["chart"]?.sortedPairs.map { "\($0.key)=\($0.value.printed)" }.joined(separator: " ") ?? ""
            let values: [String] = if case .list(let paths)? = item["values"] { paths.map(\.printed) } else { [] }
            return Component(
                name: item["name"]?.printed ?? "", namespace: item["namespace"]?.printed ?? "", chart: chart,
                off: item["installed"] == .bool(false) ? (item["reason"]?.printed ?? "") : nil, values: values)
        }
        return (components, top["siteValues"]?.sortedPairs.map(\.key) ?? [])
    }
}
