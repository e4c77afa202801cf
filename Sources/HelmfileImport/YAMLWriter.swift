import Foundation
import Rendering

/// Writes a value as YAML the way helmfile's `toYaml` (go-yaml's Marshal) does: map keys sorted,
/// two-space indentation, lists under a key not indented, strings quoted only where YAML would
/// read them as something else, multi-line strings as literal blocks. A site value is written as
/// the quoted template (`"{{ .Values.name }}"`) our values files take.
enum YAMLWriter {
    /// A whole document, ending in a newline.
    static func document(_ value: TemplateValue) -> String {
        isNonEmptyCollection(value) ? lines(value, indent: 0).joined(separator: "\n") + "\n" : inline(value, indent: 0) + "\n"
    }

    private static func lines(_ value: TemplateValue, indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var out: [String] = []
        switch value {
        case .map:
            for (key, child) in value.sortedPairs {
                let head = pad + scalar(key) + ":"
                switch child {
                case .map(let pairs) where !pairs.isEmpty:
                    out.append(head)
                    out += lines(child, indent: indent + 2)
                case .list(let items) where !items.isEmpty:
                    out.append(head)
                    out += lines(child, indent: indent)
                default: out.append(head + " " + inline(child, indent: indent + 2))
                }
            }
        case .list(let items):
            for item in items {
                if isNonEmptyCollection(item) {
                    let nested = lines(item, indent: indent + 2)
                    out.append(pad + "- " + nested[0].dropFirst(indent + 2))
                    out += nested.dropFirst()
                } else {
                    out.append(pad + "- " + inline(item, indent: indent + 2))
                }
            }
        default: out.append(pad + inline(value, indent: indent))
        }
        return out
    }

    private static func isNonEmptyCollection(_ value: TemplateValue) -> Bool {
        switch value {
        case .map(let pairs): return !pairs.isEmpty
        case .list(let items): return !items.isEmpty
        default: return false
        }
    }

    /// A scalar, or an empty collection, on the line of its key.
    private static func inline(_ value: TemplateValue, indent: Int) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text): return text
        case .string(let text):
            guard text.contains("\n") else { return scalar(text) }
            let pad = String(repeating: " ", count: indent)
            let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
            let header = text.hasSuffix("\n") ? "|" : "|-"
            if body.hasPrefix(" ") || text.hasSuffix("\n\n") { return ValuesTemplate.goQuoted(text) }
            return header + "\n"
                + body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
        case .list: return "[]"
        case .map: return "{}"
        case .siteValue(let use): return "\"" + use.template.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }

    /// The words YAML 1.1 reads as a boolean or null.
    private static let plainWords = YAMLValues.trueWords.union(YAMLValues.falseWords).union(YAMLValues.nullWords)

    /// A string as a plain scalar when YAML reads it back as the same string, else double-quoted.
    static func scalar(_ text: String) -> String {
        let first = text.unicodeScalars.first
        let needsQuotes =
            plainWords.contains(text) || looksNumeric(text) || first.map { "-?:,[]{}#&*!|>'\"%@` ".unicodeScalars.contains($0) } ?? true
            || text.hasSuffix(" ") || text.hasSuffix(":") || text.contains(": ") || text.contains(" #")
            || text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
        guard needsQuotes else { return text }
        return ValuesTemplate.goQuoted(text)
    }

    /// Whether YAML 1.1 would read the text as a number.
    static func looksNumeric(_ text: String) -> Bool {
        text.range(of: #"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil
            || text.range(of: #"^[-+]?0x[0-9a-fA-F_]+$"#, options: .regularExpression) != nil
            || [".inf", ".Inf", ".INF", "-.inf", ".nan", ".NaN", ".NAN"].contains(text)
    }
}
