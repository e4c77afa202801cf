import Foundation

/// What a name inside a bundle may be. `pack` and `verify` apply the same rules, so nothing
/// `pack` writes is refused by `verify`, and nothing `verify` accepts can surprise an extractor,
/// a terminal or `sha256sum -c`.
public enum EntryNamePolicy {
    /// The longest name (bytes) and path component accepted: Linux's PATH_MAX and NAME_MAX.
    public static let maximumNameBytes = 4096
    public static let maximumComponentBytes = 255

    /// Why `path` is not an acceptable entry name, or nil.
    public static func problem(with path: String) -> String? {
        let bytes = Array(path.utf8)
        if bytes.isEmpty { return "has an empty name" }
        if bytes.count > maximumNameBytes { return "has a name of \(bytes.count) bytes, longer than the \(maximumNameBytes) allowed" }
        if path.hasPrefix("/") { return "has an absolute path" }
        if path.hasPrefix("-") { return "starts with '-' (a tool would read it as an option)" }
        if path.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "has a control character in its name (newlines, escapes and the like are refused)"
        }
        if path.contains("\\") { return "has a backslash in its name" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "climbs out of the bundle with '..'" }
        if components.contains(where: { $0.isEmpty || $0 == "." }) { return "has an empty or '.' path component" }
        if let long = components.first(where: { $0.utf8.count > maximumComponentBytes }) {
            return "has a path component of \(long.utf8.count) bytes, longer than the \(maximumComponentBytes) allowed"
        }
        return nil
    }

    /// The first pair of names that differ only by case or Unicode normalization: that a
    /// case-insensitive or normalizing file system (macOS, Windows shares) would store as one file.
    public static func firstCollision<Names: Sequence>(in names: Names) -> (String, String)? where Names.Element == String {
        var seen: [String: String] = [:]
        for name in names {
            let key = name.precomposedStringWithCanonicalMapping.lowercased()
            if let other = seen[key], Array(other.utf8) != Array(name.utf8) { return (other, name) }
            seen[key] = name
        }
        return nil
    }
}
