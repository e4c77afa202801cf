/// A value as Go templates see it in a helmfile: what YAML decodes to (maps, lists, strings,
/// numbers as written, booleans, null) and a site value that is given at the site, not here.
public indirect enum TemplateValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A plain YAML number, kept as written (`600`, `1.5`).
    case number(String)
    case string(String)
    case list([TemplateValue])
    /// Keys in the order read; Go prints and ranges over them sorted.
    case map([(key: String, value: TemplateValue)])
    /// A declared site value (`--site-value`): printed as our values template takes it.
    case siteValue(SiteValueUse)

    /// How a values file takes a site value: `{{ .Values.name }}`, with `| default LITERAL`
    /// and `| quote` when the helmfile's template applied them.
    public struct SiteValueUse: Sendable, Equatable {
        public var name: String
        public var quoted = false
        /// `default`'s argument as our values template writes it (`"x"`, `3`, `true`).
        public var defaultLiteral: String?

        /// The text our values template reads at the site.
        public var template: String {
            "{{ .Values.\(name)" + (defaultLiteral.map { " | default \($0)" } ?? "") + (quoted ? " | quote" : "") + " }}"
        }
    }

    public static func == (lhs: TemplateValue, rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)), (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.map(let a), .map(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.siteValue(let a), .siteValue(let b)): return a == b
        default: return false
        }
    }

    /// The value under `key` of a map (nil: no such key, or not a map).
    public subscript(key: String) -> TemplateValue? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.last { $0.key == key }?.value
    }

    /// Go's truth (text/template `if`): false, 0, nil and empty strings, lists and maps are false.
    var isTrue: Bool {
        switch self {
        case .null: return false
        case .bool(let flag): return flag
        case .number(let text): return Double(text).map { $0 != 0 } ?? true
        case .string(let text): return !text.isEmpty
        case .list(let items): return !items.isEmpty
        case .map(let pairs): return !pairs.isEmpty
        case .siteValue: return true
        }
    }

    /// Sprig's `empty` (what `default` tests): the same as Go's falsehood.
    var isEmpty: Bool { !isTrue }

    /// Keys sorted, as Go ranges over and prints a map.
    var sortedPairs: [(key: String, value: TemplateValue)] {
        guard case .map(let pairs) = self else { return [] }
        return Dictionary(pairs.map { ($0.key, $0.value) }) { _, last in last }.sorted { $0.key < $1.key }
    }

    /// `sortedPairs` with each value printed.
    var printedPairs: [(key: String, value: String)] { sortedPairs.map { ($0.key, $0.value.printed) } }

    /// What `{{ value }}` prints (fmt's `%v`): `<no value>` for nil, `map[a:1]`, `[a b]`.
    var printed: String {
        switch self {
        case .null: return "<no value>"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let text), .string(let text): return text
        case .list(let items): return "[" + items.map(\.nestedPrinted).joined(separator: " ") + "]"
        case .map: return "map[" + sortedPairs.map { "\($0.key):\($0.value.nestedPrinted)" }.joined(separator: " ") + "]"
        case .siteValue(let use): return use.template
        }
    }

    /// `%v` of a value inside a list or map: nil is `<nil>` there.
    private var nestedPrinted: String {
        if case .null = self { return "<nil>" }
        return printed
    }

    /// The kind, for messages.
    var kind: String {
        switch self {
        case .null: return "nil"
        case .bool: return "bool"
        case .number: return "number"
        case .string: return "string"
        case .list: return "list"
        case .map: return "map"
        case .siteValue(let use): return "site value \(use.name)"
        }
    }
}
