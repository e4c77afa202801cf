/// Finds the one PEM block a key file must hold, refusing anything else in the file.
enum PEMBlock {
    /// The bytes of the single `-----BEGIN LABEL-----` … `-----END LABEL-----` block in `text`.
    /// Only white space may stand before or after it; a second block of any label is refused.
    static func single(in text: [UInt8], label: String) throws -> [UInt8] {
        let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
        let anyBegin = Array("-----BEGIN ".utf8)
        guard let start = firstRange(of: begin, in: text, from: 0) else {
            throw SigningError(message: "not a PEM \(label.lowercased()): no -----BEGIN \(label)----- line")
        }
        guard let stop = firstRange(of: end, in: text, from: start.upperBound) else {
            throw SigningError(message: "not a PEM \(label.lowercased()): no -----END \(label)----- line")
        }
        let before = text[..<start.lowerBound], after = text[stop.upperBound...]
        if firstRange(of: anyBegin, in: text, from: stop.upperBound) != nil || firstRange(of: anyBegin, in: Array(before), from: 0) != nil {
            throw SigningError(message: "the file holds more than one key or PEM block; give one key per file")
        }
        guard before.allSatisfy(isWhiteSpace) else {
            throw SigningError(message: "unexpected text before the \(label.lowercased()) (leading data in the key file)")
        }
        guard after.allSatisfy(isWhiteSpace) else {
            throw SigningError(message: "trailing data after the \(label.lowercased()) in the key file")
        }
        return Array(text[start.lowerBound..<stop.upperBound]) + [0x0a]
    }

    private static func isWhiteSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0a || byte == 0x0d }

    private static func firstRange(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Range<Int>? {
        guard needle.count <= haystack.count, from <= haystack.count - needle.count else { return nil }
        for index in from...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if haystack[index..<(index + needle.count)].elementsEqual(needle) { return index..<(index + needle.count) }
        }
        return nil
    }
}
