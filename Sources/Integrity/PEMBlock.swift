/// Finds the one PEM block a key file must hold, refusing anything else in the file.
enum PEMBlock {
    /// The bytes of the single `-----BEGIN LABEL-----` … `-----END LABEL-----` block in `text`.
    /// Only white space may stand before or after it; a second block of any label is refused.
    static func single(in text: [UInt8], label: String) throws -> [UInt8] {
        let begin = Array("-----BEGIN \(label)-----".utf8), end = Array("-----END \(label)-----".utf8)
        let anyBegin = Array("-----BEGIN ".utf8)
        guard let start = text.firstRange(of: begin) else {
            throw SigningError(message: "not a PEM \(label.lowercased()): no -----BEGIN \(label)----- line")
        }
        guard let stop = text[start.upperBound...].firstRange(of: end) else {
            throw SigningError(message: "not a PEM \(label.lowercased()): no -----END \(label)----- line")
        }
        let before = text[..<start.lowerBound], after = text[stop.upperBound...]
        if after.firstRange(of: anyBegin) != nil || before.firstRange(of: anyBegin) != nil {
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
}
