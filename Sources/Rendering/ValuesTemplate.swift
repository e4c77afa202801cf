import Foundation

/// The template forms a component's values file may use to take a site value, the ones the
/// platform's helmfile values already use: `{{ .Values.nfs.server }}`,
/// `{{ .Values.x | default "y" }}` and `| quote` (a Go-quoted string). Anything else between
/// `{{` and `}}` is an error naming the file and line: nothing is half-rendered. Comments are
/// left as they are. Every value lands as the string given, whatever it holds (`"`, `\`,
/// newlines, `: `, `#`, a leading `*`, `&` or `!`): where the expression stands decides how it
/// is escaped, or refuses the form where no escaping can (`ValuesTemplatePlace`); `| quote`
/// always writes it quoted.
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
            if item.place == .doubleQuoted {
                output += String(goQuoted(value).dropFirst().dropLast())
            } else if !item.expression.quote, value.wholeMatch(of: Self.typedLiteral) != nil {
                output += value
            } else {
                output += goQuoted(value)
            }
            position = item.range.upperBound
        }
        output += text[position...]
        return output
    }

    /// A value written bare as the whole scalar: a decimal integer, `true` or `false` (YAML reads
    /// it as the same number or flag; no leading zero, which YAML 1.1 reads as octal).
    nonisolated(unsafe) static let typedLiteral = /0|-?[1-9][0-9]{0,17}|true|false/

    /// `"…"` with `\`, `"` and control characters escaped, as Go's `%q` (Sprig's `quote`) writes
    /// them; also the characters YAML reads as line breaks or a byte order mark (U+0085, U+2028,
    /// U+2029, U+FEFF) and C1 controls, as `\uXXXX`: a valid YAML double-quoted scalar holding
    /// exactly `value`.
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
                } else if (0x80...0x9f).contains(scalar.value) || [0x2028, 0x2029, 0xfeff].contains(scalar.value) {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private struct Found { var expression: Expression; var range: Range<String.Index>; var place: ValuesTemplatePlace }

    private static func scan(_ text: String, file: String) throws -> [Found] {
        var found: [Found] = []
        let bytes = Array(text.utf8)
        var line = 1, counted = 0, lineStartByte = 0
        for occurrence in ValuesTemplatePlace.occurrences(in: bytes) where occurrence.place != .comment {
            while counted < occurrence.start {
                if bytes[counted] == UInt8(ascii: "\n") {
                    line += 1
                    lineStartByte = counted + 1
                }
                counted += 1
            }
            let openStart = text.utf8.index(text.startIndex, offsetBy: occurrence.start)
            let open = openStart..<text.utf8.index(openStart, offsetBy: 2)
            let column = text.distance(from: text.utf8.index(text.startIndex, offsetBy: lineStartByte), to: openStart) + 1
            func fail(_ message: String) -> ValuesTemplateError {
                ValuesTemplateError(
                    file: file, line: line,
                    message: message + " (supported: {{ .Values.a.b }}, {{ .Values.a.b | default \"x\" }}, {{ .Values.a.b | quote }})")
            }
            guard occurrence.end >= 0 else { throw fail("\"{{\" without \"}}\" on the same line") }
            let close = text.utf8.index(text.startIndex, offsetBy: occurrence.end - 2)..<text.utf8.index(text.startIndex, offsetBy: occurrence.end)
            if let reason = refusal(occurrence.place) {
                throw ValuesTemplateError(file: file, line: line, message: "\"\(text[open.lowerBound..<close.upperBound])\" \(reason)")
            }
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
            if expression.quote, occurrence.place == .doubleQuoted {
                throw ValuesTemplateError(
                    file: file, line: line,
                    message: "\"{{ \(body) }}\" uses | quote inside a double-quoted scalar, which would put quotes into the value: drop one of them")
            }
            found.append(Found(expression: expression, range: open.lowerBound..<close.upperBound, place: occurrence.place))
        }
        return found
    }

    /// Why a value cannot be escaped at `place`, or nil when it can.
    private static func refusal(_ place: ValuesTemplatePlace) -> String? {
        let advice = "write the whole scalar in double quotes (\"http://{{ .Values.ip }}:80\") or as the whole value"
        switch place {
        case .wholeScalar, .doubleQuoted, .comment: return nil
        case .singleQuoted: return "is inside a single-quoted scalar, where a value's newline cannot be escaped: \(advice)"
        case .partOfPlainScalar: return "is part of an unquoted scalar, where a value's \"#\", \": \" or newline cannot be escaped: \(advice)"
        case .blockScalar: return "is inside a block scalar (| or >), where a value's newline cannot be escaped: \(advice)"
        }
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
