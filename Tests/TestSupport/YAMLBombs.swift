/// Hostile YAML texts for the bounded-reader tests: each is small (the alias bomb is about
/// 1.5 KB) and would cost gigabytes, or minutes, to a reader without limits.
public enum YAMLBombs {
    /// "Billion laughs": nine levels of nine aliases each, 9^10 nodes once expanded, under `key`.
    public static func aliases(key: String = "bomb") -> String {
        var lines = [
            "\(key):", "  l0: &l0 [\"lololololololololololololol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]",
        ]
        for level in 1...9 {
            lines.append("  l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]")
        }
        lines.append("  last: [" + Array(repeating: "*l9", count: 40).joined(separator: ", ") + "]")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Flow sequences nested `levels` deep under `key`.
    public static func depth(key: String = "deep", levels: Int = 5_000) -> String {
        "\(key): " + String(repeating: "[", count: levels) + "x" + String(repeating: "]", count: levels) + "\n"
    }

    /// `count` tiny documents.
    public static func documents(count: Int = 20_000) -> String {
        String(repeating: "---\na: 1\n", count: count)
    }

    /// About `bytes` bytes of one flow sequence of one-letter scalars: as many nodes as a text
    /// of that size can hold.
    public static func denseNodes(key: String = "dense", bytes: Int) -> String {
        "\(key): [" + String(repeating: "a,", count: bytes / 2) + "a]\n"
    }
}
