/// A helmfile template may put a site value anywhere in a line (`url: http://{{ .Values.ip }}:80`).
/// Our values templates take a site value inside a longer scalar only when that scalar is
/// double-quoted, where every character the site gives can be escaped (docs/manifest.md). So a
/// plain scalar of a rendered values file that holds a site value and other text is written
/// double-quoted: its own `\` and `"` escaped, the site-value expressions kept as they are. YAML
/// reads the quoted scalar as the same string the plain one was.
enum SiteValueScalarQuoting {
    static func quoted(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { quotedLine(String($0)) }.joined(separator: "\n")
    }

    private static func quotedLine(_ line: String) -> String {
        guard line.contains("{{ .Values.") else { return line }
        let chars = Array(line)
        var start = 0
        while start < chars.count, chars[start] == " " { start += 1 }
        // List markers, then a plain key (a key holding a template is left alone).
        while start + 1 < chars.count, chars[start] == "-", chars[start + 1] == " " {
            start += 2
            while start < chars.count, chars[start] == " " { start += 1 }
        }
        if let colon = keySeparator(chars, from: start) {
            start = colon + 2
            while start < chars.count, chars[start] == " " { start += 1 }
        }
        guard start < chars.count, !"\"'|>{[&*!".contains(chars[start]) else { return line }
        var end = chars.count
        if let comment = commentStart(chars, from: start) { end = comment }
        while end > start, chars[end - 1] == " " { end -= 1 }
        let value = String(chars[start..<end])
        guard let onlyTemplate = wholeExpression(value), !onlyTemplate else { return line }
        return String(chars[..<start]) + "\"" + escapedOutsideExpressions(value) + "\"" + String(chars[end...])
    }

    /// The `: ` after a plain key, when the key holds no template.
    private static func keySeparator(_ chars: [Character], from start: Int) -> Int? {
        var index = start
        while index + 1 < chars.count {
            if chars[index] == "{" && chars[index + 1] == "{" { return nil }
            if chars[index] == ":" && chars[index + 1] == " " { return index }
            index += 1
        }
        return nil
    }

    /// Where ` #` starts a comment, outside `{{ }}`.
    private static func commentStart(_ chars: [Character], from start: Int) -> Int? {
        var depth = 0
        var index = start
        while index < chars.count {
            if index + 1 < chars.count, chars[index] == "{", chars[index + 1] == "{" { depth += 1; index += 2; continue }
            if index + 1 < chars.count, chars[index] == "}", chars[index + 1] == "}", depth > 0 { depth -= 1; index += 2; continue }
            if depth == 0, chars[index] == "#", index > start, chars[index - 1] == " " { return index - 1 }
            index += 1
        }
        return nil
    }

    /// true when the value is exactly one `{{ }}` expression, false when it holds one among other
    /// text, nil when it holds none.
    private static func wholeExpression(_ value: String) -> Bool? {
        guard let open = value.range(of: "{{") else { return nil }
        guard value.hasPrefix("{{"), value.hasSuffix("}}"), open.lowerBound == value.startIndex else { return false }
        return value.dropFirst(2).range(of: "{{") == nil
    }

    private static func escapedOutsideExpressions(_ value: String) -> String {
        var out = ""
        var rest = Substring(value)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            out += escaped(rest[..<open.lowerBound]) + rest[open.lowerBound..<close.upperBound]
            rest = rest[close.upperBound...]
        }
        return out + escaped(rest)
    }

    private static func escaped(_ text: Substring) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
