/// Splits a Go template into text and actions (`{{ … }}`), honouring the trim markers
/// (`{{-` and `-}}` drop the white space beside them) and dropping comments (`{{/* … */}}`).
/// Each action's inside is cut into tokens; a string or raw string may hold `}}`.
struct TemplateLexer {
    enum Piece: Equatable {
        case text(String)
        case action([Token], line: Int)
    }

    struct Token: Equatable {
        enum Kind: Equatable {
            /// `.Name` (one step of a field chain; `.` alone is `dot`).
            case field(String)
            case dot
            /// `$name`, or `$` itself.
            case variable(String)
            case identifier(String)
            case string(String)
            case number(String)
            case pipe, leftParen, rightParen, declare, assign, comma
        }
        var kind: Kind
        var line: Int
    }

    let file: String

    func pieces(_ text: String) throws -> [Piece] {
        let chars = Array(text.unicodeScalars)
        var pieces: [Piece] = []
        var index = 0
        var line = 1
        var trimNextText = false
        var textStart = 0
        func lineOf(_ range: Range<Int>) -> Int { chars[range].reduce(0) { $0 + ($1 == "\n" ? 1 : 0) } }
        while index <= chars.count {
            let atOpen = index + 1 < chars.count && chars[index] == "{" && chars[index + 1] == "{"
            guard atOpen || index == chars.count else {
                index += 1
                continue
            }
            var piece = String(String.UnicodeScalarView(chars[textStart..<index]))
            let trimLeft = atOpen && index + 3 < chars.count && chars[index + 2] == "-" && chars[index + 3].properties.isWhitespace
            if trimNextText { piece = String(piece.drop { $0.isWhitespace }) }
            if trimLeft { piece = String(piece.reversed().drop { $0.isWhitespace }.reversed()) }
            if !piece.isEmpty { pieces.append(.text(piece)) }
            line += lineOf(textStart..<index)
            guard atOpen else { break }
            let actionLine = line
            var cursor = index + (trimLeft ? 3 : 2)
            var tokens: [Token] = []
            var closed = false
            trimNextText = false
            while cursor < chars.count {
                let c = chars[cursor]
                if c == "\n" { line += 1 }
                if c.properties.isWhitespace {
                    if cursor + 3 < chars.count, chars[cursor + 1] == "-", chars[cursor + 2] == "}", chars[cursor + 3] == "}" {
                        cursor += 4
                        trimNextText = true
                        closed = true
                        break
                    }
                    cursor += 1
                    continue
                }
                if c == "}", cursor + 1 < chars.count, chars[cursor + 1] == "}" {
                    cursor += 2
                    closed = true
                    break
                }
                if c == "/", cursor + 1 < chars.count, chars[cursor + 1] == "*" {
                    guard let end = find("*/", in: chars, from: cursor + 2) else {
                        throw HelmfileImportError(file: file, line: line, "unclosed comment")
                    }
                    line += lineOf(cursor..<end)
                    cursor = end + 2
                    continue
                }
                let (token, next) = try lexToken(chars, at: cursor, line: line)
                tokens.append(token)
                line += lineOf(cursor..<next)
                cursor = next
            }
            guard closed else { throw HelmfileImportError(file: file, line: actionLine, "unclosed action: {{ without }}") }
            if !tokens.isEmpty { pieces.append(.action(tokens, line: actionLine)) }
            index = cursor
            textStart = cursor
        }
        return pieces
    }

    private func find(_ needle: String, in chars: [Unicode.Scalar], from start: Int) -> Int? {
        chars[start...].firstRange(of: Array(needle.unicodeScalars))?.lowerBound
    }

    private func lexToken(_ chars: [Unicode.Scalar], at start: Int, line: Int) throws -> (Token, Int) {
        let c = chars[start]
        func isName(_ s: Unicode.Scalar) -> Bool { s.properties.isAlphabetic || s == "_" || ("0"..."9").contains(s) }
        func name(from index: Int) -> (String, Int) {
            var end = index
            while end < chars.count, isName(chars[end]) { end += 1 }
            return (String(String.UnicodeScalarView(chars[index..<end])), end)
        }
        let punctuation: [Unicode.Scalar: Token.Kind] = ["|": .pipe, "(": .leftParen, ")": .rightParen, ",": .comma, "=": .assign]
        if let kind = punctuation[c] { return (Token(kind: kind, line: line), start + 1) }
        switch c {
        case ":":
            guard start + 1 < chars.count, chars[start + 1] == "=" else { break }
            return (Token(kind: .declare, line: line), start + 2)
        case ".":
            let (field, end) = name(from: start + 1)
            if field.isEmpty { return (Token(kind: .dot, line: line), start + 1) }
            return (Token(kind: .field(field), line: line), end)
        case "$":
            let (variable, end) = name(from: start + 1)
            return (Token(kind: .variable(variable), line: line), end)
        case "\"":
            var index = start + 1
            var value = ""
            while index < chars.count, chars[index] != "\"" {
                if chars[index] == "\n" { break }
                if chars[index] == "\\", index + 1 < chars.count {
                    index += 1
                    switch chars[index] {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    case "r": value += "\r"
                    case "\\": value += "\\"
                    case "\"": value += "\""
                    default: throw HelmfileImportError(file: file, line: line, "escape \\\(chars[index]) in a string is not supported")
                    }
                } else {
                    value.unicodeScalars.append(chars[index])
                }
                index += 1
            }
            guard index < chars.count, chars[index] == "\"" else { throw HelmfileImportError(file: file, line: line, "unterminated string") }
            return (Token(kind: .string(value), line: line), index + 1)
        case "`":
            guard let end = find("`", in: chars, from: start + 1) else {
                throw HelmfileImportError(file: file, line: line, "unterminated raw string")
            }
            return (Token(kind: .string(String(String.UnicodeScalarView(chars[(start + 1)..<end]))), line: line), end + 1)
        default:
            if ("0"..."9").contains(c) || ((c == "-" || c == "+") && start + 1 < chars.count && ("0"..."9").contains(chars[start + 1])) {
                var end = start + 1
                while end < chars.count, isName(chars[end]) || chars[end] == "." { end += 1 }
                return (Token(kind: .number(String(String.UnicodeScalarView(chars[start..<end]))), line: line), end)
            }
            if c.properties.isAlphabetic || c == "_" {
                let (word, end) = name(from: start)
                return (Token(kind: .identifier(word), line: line), end)
            }
        }
        throw HelmfileImportError(file: file, line: line, "unexpected \"\(c)\" in an action")
    }
}
