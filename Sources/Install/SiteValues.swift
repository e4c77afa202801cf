import ChartFormat
import Foundation
import Outcomes
import Rendering
import Yams

/// The admin's `site.yaml` (nested: `nfs: {server: …}`) checked against the bundle's declarations,
/// by dotted name; `components: {NAME: {enabled: false}}` switches an optional component off.
public struct SiteValues: Sendable {
    /// Dotted name → text, for every declared value given or defaulted.
    public private(set) var values: [String: String]
    /// The names of secret values: never printed, logged or journaled.
    public let secretNames: Set<String>
    public let disabledComponents: Set<String>
    /// Values given that nothing installed uses (or only switched-off components), by name and
    /// line, never by value: warnings, as a component may be switched back on.
    public var unusedWarnings: [String] = []

    public func value(_ name: String) -> String? { values[name] }

    /// `text` with every secret value replaced by `***`, longest first (a secret inside another).
    public func redacted(_ text: String) -> String {
        let secrets = secretNames.compactMap { values[$0] }.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        return secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// Reads and checks `file`, every problem at once (`SiteValuesError`), never by value. `uses`:
    /// each component's site values (a required one only switched-off components use is not).
    public static func load(
        _ file: String, declarations: [SiteValueDeclaration], components: [(name: String, optional: Bool)], uses: [String: Set<String>]
    ) throws -> SiteValues {
        let data: Data
        do { data = try BoundedYAML.readFile(file, limits: .siteValues) } catch let refusal as BoundedYAML.Refusal {
            throw SiteValuesError(file: file, problems: ["not read: \(refusal)"])
        } catch { throw InstallError.io("cannot read the site values \(file)") }
        return try parse(String(decoding: data, as: UTF8.self), file: file, declarations: declarations, components: components, uses: uses)
    }

    public static func parse(
        _ text: String, file: String, declarations: [SiteValueDeclaration], components: [(name: String, optional: Bool)],
        uses: [String: Set<String>]
    ) throws -> SiteValues {
        var problems: [String] = []
        let root: Node?
        do { root = try BoundedYAML.compose(text, limits: .siteValues) } catch {
            // A parser's message may quote the line, and a line may hold a secret: say where only.
            guard case .invalid(_, let line) = error else { throw SiteValuesError(file: file, problems: ["not read: \(error)"]) }
            throw SiteValuesError(file: file, problems: ["not valid YAML\(line.map { " (near line \($0))" } ?? "")"])
        }
        let declared = Dictionary(declarations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var given: [String: (text: String, line: Int)] = [:]
        var invalid = Set<String>()
        var disabled = Set<String>()
        /// Walks nested maps down to leaves, by dotted name.
        func collect(_ node: Node, path: String, line: Int) {
            if let mapping = node.mapping {
                if let declaration = declared[path] {
                    problems.append("\(path) (line \(line)) must be a single value, not a mapping: \(declaration.description)")
                    invalid.insert(path)
                    return
                }
                if mapping.isEmpty, !declared.keys.contains(where: { $0.hasPrefix(path + ".") }) {
                    problems.append("\(path) (line \(line)) is not a site value of this bundle")
                }
                for (key, value) in mapping { collect(value, path: path + "." + (key.string ?? ""), line: key.mark?.line ?? line) }
            } else if let scalar = node.scalar {
                guard declared[path] != nil else {
                    problems.append("\(path) (line \(line)) is not a site value of this bundle")
                    return
                }
                if scalar.string.isEmpty, scalar.style == .plain {
                    return  // `nfs: {server: }` is a value not given yet (init-values writes them so)
                }
                given[path] = (scalar.string, line)
            } else {
                problems.append("\(path) (line \(line)) must be a single value, not a list")
                invalid.insert(path)
            }
        }
        if let root {
            guard let mapping = root.mapping else { throw SiteValuesError(file: file, problems: ["the file must be a mapping (nfs: {server: …})"]) }
            for (key, value) in mapping {
                let name = key.string ?? ""
                if name == "components" {
                    disabled = readComponents(value, components: components, problems: &problems)
                } else {
                    collect(value, path: name, line: key.mark?.line ?? 0)
                }
            }
        }
        var values: [String: String] = [:]
        let needed = Set(
            components.filter { !disabled.contains($0.name) }.flatMap { uses[$0.name] ?? [] })
        let usedAnywhere = Set(uses.values.flatMap { $0 })
        for declaration in declarations where !invalid.contains(declaration.name) {
            if let (text, line) = given[declaration.name] {
                if let problem = declaration.problem(with: text) {
                    problems.append("\(declaration.name) (line \(line)) must be \(problem): \(declaration.description)")
                    continue
                }
                values[declaration.name] = text
            } else if let value = declaration.defaultValue {
                values[declaration.name] = value
            } else if declaration.required, needed.contains(declaration.name) || !usedAnywhere.contains(declaration.name) {
                problems.append("\(declaration.name) is required: \(declaration.description)")
            }
        }
        guard problems.isEmpty else { throw SiteValuesError(file: file, problems: problems) }
        let unused = given.sorted(by: { $0.value.line < $1.value.line }).filter { !needed.contains($0.key) }.map { name, given in
            let users = components.filter { uses[$0.name]?.contains(name) == true }.map(\.name)
            return users.isEmpty
                ? "\(name) (line \(given.line)) is given but no component of this bundle uses it"
                : "\(name) (line \(given.line)) is given but only switched-off components use it (\(users.joined(separator: ", ")))"
        }
        return SiteValues(
            values: values, secretNames: Set(declarations.filter(\.secret).map(\.name)), disabledComponents: disabled, unusedWarnings: unused)
    }

    private static func readComponents(_ node: Node, components: [(name: String, optional: Bool)], problems: inout [String]) -> Set<String> {
        var disabled = Set<String>()
        guard let mapping = node.mapping else {
            problems.append("components (line \(node.mark?.line ?? 0)) must be a mapping: components: {gpu-operator: {enabled: false}}")
            return disabled
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            let line = key.mark?.line ?? 0
            guard let component = components.first(where: { $0.name == name }) else {
                problems.append(
                    "components.\(name) (line \(line)) is not a component of this bundle (its components: \(components.map(\.name).joined(separator: ", ")))"
                )
                continue
            }
            guard let settings = value.mapping, settings.count == 1, let flag = settings["enabled"]?.bool else {
                problems.append("components.\(name) (line \(line)) takes only enabled: true or false")
                continue
            }
            if !flag {
                if component.optional {
                    disabled.insert(name)
                } else {
                    problems.append("components.\(name) (line \(line)) is required and cannot be switched off")
                }
            }
        }
        return disabled
    }
}

/// `site.yaml`'s problems, by dotted name and description (never a value); exit status 1.
public struct SiteValuesError: ExitStatusError, Sendable {
    public var exitStatus: ExitStatus { .failed }
    public let file: String
    public let problems: [String]
    public var description: String {
        "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s") with the site values:\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
