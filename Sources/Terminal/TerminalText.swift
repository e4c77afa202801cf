/// Text from a bundle, a registry or a chart made safe to print: control characters (ESC, CR,
/// BEL, …) and the invisible bidirectional-text controls are shown as `\u{1B}` escapes, so
/// printed data cannot move the cursor, erase a line, fake a "verified" line or hide an `error:` one.
public enum TerminalText {
    /// Escapes every control character except the newline (which `keepNewlines: false` escapes too).
    public static func escaped(_ text: String, keepNewlines: Bool = true) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepNewlines: keepNewlines) }) else { return text }
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, keepNewlines: keepNewlines) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        if scalar == "\n" { return !keepNewlines }
        if scalar.properties.generalCategory == .control { return true }
        switch scalar.value {
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }
}
