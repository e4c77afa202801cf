/// Where a `{{ … }}` of a values file stands in the YAML around it, found by one lexical pass
/// over the whole text (quoted scalars may span lines; comments and block scalars are known).
/// It decides how a value is escaped when it is inserted (`ValuesTemplate.render`), and which
/// forms are refused because no escaping can keep every value one string.
enum ValuesTemplatePlace: Sendable, Equatable {
    /// The whole scalar (`key: {{ … }}`, `- {{ … }}`, `{a: {{ … }}}`): written as a YAML
    /// double-quoted scalar (a decimal integer, `true` or `false` as it is).
    case wholeScalar
    /// Inside a double-quoted scalar (`"http://{{ … }}:80"`): escaped for it.
    case doubleQuoted
    /// Inside a single-quoted scalar: a newline cannot be written there. Refused.
    case singleQuoted
    /// Part of an unquoted scalar (`url: http://{{ … }}`): no escaping can keep it one string. Refused.
    case partOfPlainScalar
    /// Inside a block scalar (`|` or `>`): refused (a newline would end or fold it).
    case blockScalar
    /// In a comment: left as it is.
    case comment

    /// One `{{ … }}` found: its byte range in the text's UTF-8 and its place.
    struct Occurrence: Sendable {
        var start: Int
        var end: Int
        var place: ValuesTemplatePlace
    }

    /// Every `{{ … }}` of `bytes` whose `}}` is on the same line (others are reported by the caller
    /// from `start` with `end` = -1).
    static func occurrences(in bytes: [UInt8]) -> [Occurrence] {
        var found: [Occurrence] = []
        enum State { case outside, double, single, comment }
        var state = State.outside
        var index = 0
        var inPlain = false  // a plain scalar has started at the current position (outside quotes)
        var flowDepth = 0
        var lineIndent = 0, atLineStart = true
        var blockIndent: Int?  // inside a block scalar's content: lines indented more than this
        let space = UInt8(ascii: " "), newline = UInt8(ascii: "\n"), tab = UInt8(ascii: "\t")
        func isBlank(_ byte: UInt8) -> Bool { byte == space || byte == tab || byte == UInt8(ascii: "\r") }
        func expressionEnd(_ start: Int) -> Int {
            var position = start + 2
            while position + 1 < bytes.count, bytes[position] != newline {
                if bytes[position] == UInt8(ascii: "}"), bytes[position + 1] == UInt8(ascii: "}") { return position + 2 }
                position += 1
            }
            return -1
        }
        func isExpressionStart(_ position: Int) -> Bool {
            position + 1 < bytes.count && bytes[position] == UInt8(ascii: "{") && bytes[position + 1] == UInt8(ascii: "{")
        }
        /// What follows a whole-scalar candidate ending at `position` ends the scalar.
        func endsScalar(_ position: Int) -> Bool {
            var next = position
            while next < bytes.count, isBlank(bytes[next]) { next += 1 }
            guard next < bytes.count, bytes[next] != newline else { return true }
            let byte = bytes[next]
            if byte == UInt8(ascii: "#") { return next > position }
            if flowDepth > 0, [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(byte) { return true }
            if byte == UInt8(ascii: ":") { return next + 1 >= bytes.count || isBlank(bytes[next + 1]) || bytes[next + 1] == newline }
            return false
        }
        while index < bytes.count {
            let byte = bytes[index]
            if atLineStart {
                var first = index
                while first < bytes.count, bytes[first] == space || bytes[first] == tab { first += 1 }
                let indent = first - index
                let blank = first >= bytes.count || bytes[first] == newline || bytes[first] == UInt8(ascii: "\r")
                if let parent = blockIndent {
                    if blank || indent > parent {
                        var end = first
                        while end < bytes.count, bytes[end] != newline {
                            if isExpressionStart(end) {
                                let close = expressionEnd(end)
                                found.append(Occurrence(start: end, end: close, place: .blockScalar))
                                if close < 0 { break }
                                end = close
                                continue
                            }
                            end += 1
                        }
                        index = end + 1
                        continue
                    }
                    blockIndent = nil
                }
                atLineStart = false
                if state == .outside {
                    lineIndent = indent
                    inPlain = false
                }
                index = state == .outside ? first : index
                continue
            }
            if byte == newline {
                if state == .comment { state = .outside }
                atLineStart = true
                index += 1
                continue
            }
            if isExpressionStart(index), state != .comment {
                let close = expressionEnd(index)
                let place: ValuesTemplatePlace
                switch state {
                case .double: place = .doubleQuoted
                case .single: place = .singleQuoted
                default: place = !inPlain && close >= 0 && endsScalar(close) ? .wholeScalar : .partOfPlainScalar
                }
                found.append(Occurrence(start: index, end: close, place: place))
                if close < 0 { return found }
                if state == .outside { inPlain = true }
                index = close
                continue
            }
            switch state {
            case .comment:
                if isExpressionStart(index) {
                    let close = expressionEnd(index)
                    found.append(Occurrence(start: index, end: close, place: .comment))
                    index = close < 0 ? index + 2 : close
                    continue
                }
            case .double:
                if byte == UInt8(ascii: "\\") {
                    index += 2
                    continue
                }
                if byte == UInt8(ascii: "\"") {
                    state = .outside
                    inPlain = true
                }
            case .single:
                if byte == UInt8(ascii: "'") {
                    if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") {
                        index += 2
                        continue
                    }
                    state = .outside
                    inPlain = true
                }
            case .outside:
                let previous = index > 0 ? bytes[index - 1] : newline
                let next = index + 1 < bytes.count ? bytes[index + 1] : newline
                let indicator = isBlank(next) || next == newline
                let closesFlow = byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
                if byte == UInt8(ascii: "#"), isBlank(previous) || previous == newline {
                    state = .comment
                } else if isBlank(byte) {
                    break
                } else if flowDepth > 0, closesFlow {
                    flowDepth -= 1
                    inPlain = true
                } else if flowDepth > 0, byte == UInt8(ascii: ",") {
                    inPlain = false
                } else if byte == UInt8(ascii: ":"), indicator || flowDepth > 0 {
                    inPlain = false
                } else if !inPlain {
                    switch byte {
                    case UInt8(ascii: "\""): state = .double
                    case UInt8(ascii: "'"): state = .single
                    case UInt8(ascii: "["), UInt8(ascii: "{"): flowDepth += 1
                    case UInt8(ascii: "-"), UInt8(ascii: "?"): inPlain = !indicator
                    case UInt8(ascii: "|"), UInt8(ascii: ">"):
                        if flowDepth == 0 {
                            blockIndent = lineIndent
                            state = .comment  // the rest of the indicator line holds no scalar
                        } else {
                            inPlain = true
                        }
                    default: inPlain = true
                    }
                }
            }
            index += 1
        }
        return found
    }
}
