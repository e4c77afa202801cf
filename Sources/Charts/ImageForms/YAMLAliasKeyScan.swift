/// Whether YAML text may use an alias inside a mapping key.
///
/// Yams hashes every mapping key while it composes a document (to refuse duplicate keys). An
/// alias composes to a copy of its anchored node, so a key that is an alias of a nested
/// "billion laughs" node costs time exponential in the text's size before any of our limits can
/// act. Aliases in values are safe: composing shares the anchored node, and `BoundedYAML`
/// counts every node it expands. So text with an alias and any place where a key could hold one
/// (an explicit `?` key, an alias followed by `:`, a flow collection followed by `:`) is refused.
///
/// The scan is lexical and errs towards "may": it skips comments, quoted scalars and block
/// scalars' content, and is linear in the text.
enum YAMLAliasKeyScan {
    static func mayUseAliasAsKey(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var hasAlias = false, keyMayHoldAlias = false
        var index = 0
        var lineIndent = 0, atLineStart = true
        var blockScalarIndent: Int?  // inside a block scalar's content: lines indented more than this
        var previous: UInt8 = UInt8(ascii: "\n")
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        func isTokenStart(_ before: UInt8) -> Bool {
            isBlank(before) || before == UInt8(ascii: "\n") || before == UInt8(ascii: "[") || before == UInt8(ascii: "{")
                || before == UInt8(ascii: ",") || before == UInt8(ascii: ":")
        }
        func isAnchorCharacter(_ byte: UInt8) -> Bool {
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
        /// Index of the first non-blank byte at or after `start`, on the same line.
        func skipBlanks(_ start: Int) -> Int {
            var position = start
            while position < bytes.count, isBlank(bytes[position]) { position += 1 }
            return position
        }
        while index < bytes.count {
            let byte = bytes[index]
            if atLineStart {
                let first = skipBlanks(index)
                let indent = first - index
                let blank = first >= bytes.count || bytes[first] == UInt8(ascii: "\n") || bytes[first] == UInt8(ascii: "\r")
                if let parent = blockScalarIndent {
                    if blank || indent > parent {  // block scalar content: skip the line
                        while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                        index += 1
                        continue
                    }
                    blockScalarIndent = nil
                }
                lineIndent = indent
                atLineStart = false
                index = first
                previous = UInt8(ascii: " ")
                continue
            }
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
                previous = byte
                index += 1
                continue
            }
            guard isTokenStart(previous) else {
                if byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") {
                    let next = skipBlanks(index + 1)
                    if next < bytes.count, bytes[next] == UInt8(ascii: ":") { keyMayHoldAlias = true }
                }
                previous = byte
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "#"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                index = endOfQuoted(bytes, from: index)
                previous = byte
                continue
            case UInt8(ascii: "*"):
                var end = index + 1
                while end < bytes.count, isAnchorCharacter(bytes[end]) { end += 1 }
                if end > index + 1 {
                    hasAlias = true
                    let next = skipBlanks(end)
                    if next < bytes.count, bytes[next] == UInt8(ascii: ":") { keyMayHoldAlias = true }
                }
                previous = UInt8(ascii: "a")
                index = end
                continue
            case UInt8(ascii: "?"):
                let next = index + 1
                if next >= bytes.count || isBlank(bytes[next]) || bytes[next] == UInt8(ascii: "\n") { keyMayHoldAlias = true }
            case UInt8(ascii: "|"), UInt8(ascii: ">"):
                var end = index + 1
                while end < bytes.count, bytes[end] == UInt8(ascii: "-") || bytes[end] == UInt8(ascii: "+") || (48...57).contains(bytes[end]) {
                    end += 1
                }
                let rest = skipBlanks(end)
                if rest >= bytes.count || bytes[rest] == UInt8(ascii: "\n") || bytes[rest] == UInt8(ascii: "\r") || bytes[rest] == UInt8(ascii: "#") {
                    blockScalarIndent = lineIndent
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                let next = skipBlanks(index + 1)
                if next < bytes.count, bytes[next] == UInt8(ascii: ":") { keyMayHoldAlias = true }
            default:
                break
            }
            previous = byte
            index += 1
        }
        return hasAlias && keyMayHoldAlias
    }

    /// The index just past a quoted scalar starting at `start` (`''` escapes in single quotes,
    /// `\` escapes in double quotes); the end of the text when it is not closed.
    private static func endOfQuoted(_ bytes: [UInt8], from start: Int) -> Int {
        let quote = bytes[start]
        var index = start + 1
        while index < bytes.count {
            if quote == UInt8(ascii: "\""), bytes[index] == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if bytes[index] == quote {
                if quote == UInt8(ascii: "'"), index + 1 < bytes.count, bytes[index + 1] == quote {
                    index += 2
                    continue
                }
                return index + 1
            }
            index += 1
        }
        return bytes.count
    }
}
