import Foundation
import Rendering
import Yams

/// The site values file `setup` fills in, written again (atomic, 0600) after every answer, so an
/// interrupted setup resumes at the next value it does not hold.
public struct SetupValuesFile: Sendable {
    public let path: String
    /// Dotted name → text, for every declared value the file gives (an empty plain scalar is not given).
    public private(set) var given: [String: String]
    public private(set) var disabled: Set<String>
    /// Keys that are not site values of the bundle, by name and line: setup refuses rather than drop them.
    public private(set) var unknown: [String] = []

    /// Reads `path` (a missing file holds nothing).
    public static func read(_ path: String, declarations: [SiteValueDeclaration]) throws -> SetupValuesFile {
        guard FileManager.default.fileExists(atPath: path) else { return SetupValuesFile(path: path, given: [:], disabled: [], unknown: []) }
        guard let data = FileManager.default.contents(atPath: path) else { throw InstallError.io("cannot read the site values \(path)") }
        let root: Node?
        do { root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self)) } catch {
            throw InstallError.bundle("\(path) is not valid YAML: fix it or move it away, then run setup again")
        }
        let names = Set(declarations.map(\.name))
        var given: [String: String] = [:]
        var disabled = Set<String>()
        var unknown: [String] = []
        func walk(_ node: Node, _ name: String, line: Int) {
            if let mapping = node.mapping, !names.contains(name) {
                if mapping.isEmpty, !names.contains(where: { $0.hasPrefix(name + ".") }) { unknown.append("\(name) (line \(line))") }
                for (key, value) in mapping {
                    walk(value, name.isEmpty ? key.string ?? "" : name + "." + (key.string ?? ""), line: (key.mark?.line ?? line))
                }
            } else if let scalar = node.scalar, names.contains(name) {
                if !(scalar.string.isEmpty && scalar.style == .plain) { given[name] = scalar.string }
            } else {
                unknown.append("\(name) (line \(line))")
            }
        }
        for (key, value) in root?.mapping ?? [:] {
            let line = key.mark?.line ?? 0
            if key.string == "components" {
                for (component, settings) in value.mapping ?? [:] {
                    guard let flag = settings.mapping?["enabled"]?.bool, settings.mapping?.count == 1 else {
                        unknown.append("components.\(component.string ?? "") (line \(component.mark?.line ?? line))")
                        continue
                    }
                    if !flag { disabled.insert(component.string ?? "") }
                }
            } else {
                walk(value, key.string ?? "", line: line)
            }
        }
        return SetupValuesFile(path: path, given: given, disabled: disabled, unknown: unknown)
    }

    /// Records `text` for `name` and writes the whole file again.
    public mutating func answer(
        _ name: String, _ text: String, bundle: String, declarations: [SiteValueDeclaration], components: [(name: String, optional: Bool)]
    ) throws {
        given[name] = text
        try write(bundle: bundle, declarations: declarations, components: components)
    }

    /// Writes the file as it stands: `SiteValuesTemplate` with the answers so far.
    public func write(bundle: String, declarations: [SiteValueDeclaration], components: [(name: String, optional: Bool)]) throws {
        let text = SiteValuesTemplate.text(bundle: bundle, declarations: declarations, components: components, filled: given, disabled: disabled)
        try StateFiles.write(Array(text.utf8), to: path, mode: 0o600)
    }

    /// The declarations the file does not hold yet, in manifest order.
    public func unanswered(_ declarations: [SiteValueDeclaration]) -> [SiteValueDeclaration] {
        declarations.filter { given[$0.name] == nil }
    }
}
