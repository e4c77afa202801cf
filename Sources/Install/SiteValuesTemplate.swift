import Rendering

/// `init-values`: a commented `site.yaml` to fill in, nested by dotted name; with `filled`, the
/// file `setup` writes after every answer (other values left empty: not given yet).
public enum SiteValuesTemplate {
    public static func text(
        bundle: String, declarations: [SiteValueDeclaration], components: [(name: String, optional: Bool)], filled: [String: String]? = nil,
        disabled: Set<String> = []
    ) -> String {
        var lines =
            filled == nil
            ? [
                "# Site values for \(bundle). Fill in every value marked REQUIRED, then:",
                "#   airgap-install plan BUNDLE --values site.yaml",
                "# Values with a default may be left as they are.",
            ]
            : [
                "# Site values for \(bundle), written by airgap-install setup after every answer.",
                "# A value left empty is not given yet: setup asks for it when run again.",
            ]
        var open: [String] = []
        for declaration in declarations.sorted(by: { $0.name < $1.name }) {
            let parts = declaration.name.split(separator: ".").map(String.init)
            var shared = 0
            while shared < min(open.count, parts.count - 1), open[shared] == parts[shared] { shared += 1 }
            open = Array(open.prefix(shared))
            for part in parts[shared..<(parts.count - 1)] {
                lines.append(String(repeating: "  ", count: open.count) + part + ":")
                open.append(part)
            }
            let indent = String(repeating: "  ", count: open.count)
            lines.append("")
            lines.append(indent + "# " + note(declaration))
            let text = filled.map { $0[declaration.name] } ?? declaration.defaultValue
            let value = text.map { ValuesTemplate.goQuoted($0) } ?? ""
            lines.append(indent + parts.last! + ":" + (value.isEmpty ? "" : " " + value))
        }
        let optional = components.filter(\.optional)
        if !optional.isEmpty {
            lines.append("")
            lines.append("# Optional components; set enabled: false to leave one out.")
            lines.append("components:")
            for component in optional { lines.append("  \(component.name): {enabled: \(!disabled.contains(component.name))}") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `text` to `path` (0600 from the first byte, only if nothing is there, never through a link).
    public static func write(_ text: String, to path: String) throws {
        try StateFiles.createExclusive(Array(text.utf8), at: path)
    }

    /// `NFS server (hostname: a host name … or an IP address, REQUIRED)`.
    public static func note(_ declaration: SiteValueDeclaration) -> String {
        var note = "\(declaration.description) (\(declaration.type.rawValue)"
        if declaration.type != .string || declaration.pattern != nil { note += ": \(declaration.expectation)" }
        if declaration.required { note += ", REQUIRED" }
        if declaration.secret { note += ", secret" }
        return note + ")"
    }
}
