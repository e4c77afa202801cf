import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The syntax checks behind the typed site values (`SiteValueDeclaration.ValueType`).
public enum SiteValueSyntax {
    /// 4 or 6 when `text` is an IPv4 address in dotted-quad form or an IPv6 address; else nil.
    public static func ipVersion(_ text: String) -> Int? {
        var v4 = in_addr()
        if text.range(of: #"^[0-9]{1,3}(\.[0-9]{1,3}){3}$"#, options: .regularExpression) != nil, inet_pton(AF_INET, text, &v4) == 1 { return 4 }
        var v6 = in6_addr()
        if text.contains(":"), inet_pton(AF_INET6, text, &v6) == 1 { return 6 }
        return nil
    }

    /// `ADDRESS/PREFIX` with a prefix that fits the address (0–32, 0–128).
    public static func isCIDR(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let version = ipVersion(String(parts[0])), parts[1].allSatisfy(\.isASCII),
            let prefix = Int(parts[1]), parts[1].first != "+", parts[1].first != "-"
        else { return false }
        return (0...(version == 4 ? 32 : 128)).contains(prefix)
    }

    /// A DNS name (RFC 1123): labels of letters, digits and `-`, 1 to 63 long, not starting or
    /// ending with `-`; 253 characters at most; a final dot allowed.
    public static func isHostname(_ text: String) -> Bool {
        var name = Substring(text)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.utf8.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
        }
    }

    /// `http://` or `https://`, a host name or IP (IPv6 in brackets), an optional port and path.
    public static func isURL(_ text: String) -> Bool {
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == " " }),
            let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if let port = components.port, !(1...65535).contains(port) { return false }
        return isHostname(bare) || ipVersion(bare) != nil
    }

    /// Whether the whole of `text` matches `pattern` (false when the pattern does not compile).
    public static func matches(_ text: String, pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Whether `pattern` compiles.
    public static func isValidPattern(_ pattern: String) -> Bool { (try? NSRegularExpression(pattern: "^(?:" + pattern + ")$")) != nil }
}
