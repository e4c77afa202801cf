import Foundation

/// The template forms a component's values file may use to take a site value, the ones the
/// platform's helmfile values already use: `{{ .Values.nfs.server }}`,
/// `{{ .Values.x | default "y" }}` and `| quote` (a Go-quoted string). Anything else between
/// `{{` and `}}` is an error naming the file and line: nothing is half-rendered.
///
/// Lines that are YAML comments (`# …`) are left as they are.
///
/// Inside a double-quoted YAML scalar (`"{{ .Values.x }}"`, `"http://{{ .Values.ip }}:80"`) the
/// value is escaped for that scalar, so a password with `"` or `\` stays one string.
public enum ValuesTemplate {
    /// One `{{ … }}` of a values file.
    public struct Expression: Sendable, Hashable {
        /// The site value's dotted name (`nfs.server`).
        public var name: String
        /// `default "y"`'s literal, if given.
        public var defaultValue: String?
        public var quote: Bool
        public var line: Int
        public var column: Int
    }

    /// Every expression of `text`, in order; throws on any other form.
    public static func expressions(in text: String, file: String) throws -> [Expression] {
        try scan(text, file: file).map(\.expression)
    }

    /// `text` with every expression replaced by the value `lookup` gives (nil: not set). A value
    /// that is not set and has no `default` is an error naming the file, line and value — never
    /// the value of another setting.
    public static func render(_ text: String, file: String, lookup: (String) -> String?) throws -> String {
        let found = try scan(text, file: file)
        var output = ""
        var position = text.startIndex
        for item in found {
            output += text[position..<item.range.lowerBound]
            guard let value = lookup(item.expression.name) ?? item.expression.defaultValue else {
                throw ValuesTemplateError(
                    file: file, line: item.expression.line,
                    message: "site value \"\(item.expression.name)\" is not set and the template gives no default")
            }
            let inQuotes =
                item.range.lowerBound > text.startIndex && text[text.index(before: item.range.lowerBound)] == "\""
                && item.range.upperBound < text.endIndex && text[item.range.upperBound] == "\""
            if item.expression.quote {
                output += goQuoted(value)
            } else if inQuotes {
                output += value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            } else {
                output += value
            }
            position = item.range.upperBound
        }
        output += text[position...]
        return output
    }

    /// `"…"` with `\`, `"` and control characters escaped, as Go's `%q` (Sprig's `quote`) writes them.
    public static func goQuoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private struct Found { var expression: Expression; var range: Range<String.Index> }

    private static func scan(_ text: String, file: String) throws -> [Found] {
        var found: [Found] = []
        var searchFrom = text.startIndex
        while let open = text.range(of: "{{", range: searchFrom..<text.endIndex) {
            let line = text[text.startIndex..<open.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
            let lineStart = text[text.startIndex..<open.lowerBound].lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex
            if text[lineStart..<open.lowerBound].trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                // A YAML comment line: left as it is (comments may show template syntax).
                searchFrom = open.upperBound
                continue
            }
            let column = text.distance(from: lineStart, to: open.lowerBound) + 1
            func fail(_ message: String) -> ValuesTemplateError {
                ValuesTemplateError(
                    file: file, line: line,
                    message: message + " (supported: {{ .Values.a.b }}, {{ .Values.a.b | default \"x\" }}, {{ .Values.a.b | quote }})")
            }
            guard let close = text.range(of: "}}", range: open.upperBound..<text.endIndex),
                !text[open.upperBound..<close.lowerBound].contains("\n")
            else { throw fail("\"{{\" without \"}}\" on the same line") }
            let body = text[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            let parts = splitPipes(body)
            guard let head = parts.first, head.hasPrefix(".Values."),
                SiteValueDeclaration.isValidName(String(head.dropFirst(".Values.".count)))
            else { throw fail("\"{{ \(body) }}\" is not a supported template") }
            var expression = Expression(name: String(head.dropFirst(".Values.".count)), defaultValue: nil, quote: false, line: line, column: column)
            for part in parts.dropFirst() {
                if part == "quote", !expression.quote {
                    expression.quote = true
                } else if part.hasPrefix("default "), expression.defaultValue == nil, !expression.quote,
                    let literal = literal(String(part.dropFirst("default ".count)).trimmingCharacters(in: .whitespaces))
                {
                    expression.defaultValue = literal
                } else {
                    throw fail("\"| \(part)\" in \"{{ \(body) }}\" is not a supported template function")
                }
            }
            found.append(Found(expression: expression, range: open.lowerBound..<close.upperBound))
            searchFrom = close.upperBound
        }
        return found
    }

    /// Splits on `|` outside double quotes, trimming each part.
    private static func splitPipes(_ body: String) -> [String] {
        var parts: [String] = [], current = "", quoted = false, escaped = false
        for character in body {
            if quoted, escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == "|", !quoted {
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    /// A `default` argument: a double-quoted string, a decimal number, `true` or `false`.
    private static func literal(_ text: String) -> String? {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            guard let data = text.data(using: .utf8), let value = try? JSONDecoder().decode(String.self, from: data) else { return nil }
            return value
        }
        if Int(text) != nil || text == "true" || text == "false" { return text }
        return nil
    }
}

/// A values file uses a template form we do not support, or a site value it needs is not set.
public struct ValuesTemplateError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let message: String
    public var description: String { "\(file):\(line): \(message)" }
}
