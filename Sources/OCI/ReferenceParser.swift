import Integrity

/// The grammar of `github.com/distribution/reference`, written out by hand so each failure can say why.
enum ReferenceParser {
    static let maxNameLength = 255

    static func parse(_ input: String) throws(ReferenceError) -> ImageReference {
        func fail(_ reason: String) -> ReferenceError { ReferenceError(input: input, reason: reason) }
        if input.isEmpty { throw fail("the reference is empty") }
        if input.contains(where: { $0.isWhitespace }) { throw fail("it contains whitespace") }
        if input.hasPrefix("docker://") || input.contains("://") {
            throw fail("give the reference without a scheme (e.g. registry.example/repo:tag)")
        }

        // Split off the digest first: everything after the first '@'.
        var remainder = Substring(input)
        var digest: Digest?
        if let at = remainder.firstIndex(of: "@") {
            let digestText = String(remainder[remainder.index(after: at)...])
            do { digest = try Digest(digestText) } catch { throw fail("the digest is malformed: \(error.reason)") }
            remainder = remainder[..<at]
        }

        // The tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
        var tag: String?
        let lastSlash = remainder.lastIndex(of: "/")
        if let colon = remainder.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let tagText = String(remainder[remainder.index(after: colon)...])
            try validateTag(tagText, fail)
            tag = tagText
            remainder = remainder[..<colon]
        }
        let fullName = String(remainder)
        if fullName.isEmpty { throw fail("the repository name is empty") }

        let (registry, path) = try splitRegistry(fullName, fail)
        try validatePath(path, fail)
        if fullName.count > maxNameLength { throw fail("the name is longer than \(maxNameLength) characters") }
        if fullName.utf8.count == 64, fullName.utf8.allSatisfy(Hex.isLowercaseDigit) {
            throw fail("a 64-character hex string is an image ID, not a repository name")
        }
        if tag == nil, digest == nil { tag = "latest" }
        return ImageReference(registry: registry, repository: path, tag: tag, digest: digest)
    }

    /// Docker's rule: the first component is a registry if it contains '.' or ':', is `localhost`,
    /// or has an uppercase letter (and then fails later as an invalid host if it is not one).
    private static func splitRegistry(_ name: String, _ fail: (String) -> ReferenceError) throws(ReferenceError) -> (String, String) {
        guard let slash = name.firstIndex(of: "/") else { return ("docker.io", "library/" + name) }
        let first = String(name[..<slash])
        let rest = String(name[name.index(after: slash)...])
        let looksLikeHost = first.contains(".") || first.contains(":") || first == "localhost" || first.lowercased() != first
        guard looksLikeHost else { return ("docker.io", name) }
        try validateHost(first, fail)
        var registry = first
        if registry == "index.docker.io" || registry == "registry-1.docker.io" { registry = "docker.io" }
        if registry == "docker.io", !rest.contains("/") { return (registry, "library/" + rest) }
        return (registry, rest)
    }

    private static func validateHost(_ host: String, _ fail: (String) -> ReferenceError) throws(ReferenceError) {
        var hostPart = Substring(host)
        var port: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else { throw fail("the registry \"\(host)\" has an unclosed IPv6 bracket") }
            let inside = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
            guard !inside.isEmpty, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("the registry \"\(host)\" is not a valid IPv6 address")
            }
            let after = hostPart[hostPart.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("the registry \"\(host)\" has junk after the IPv6 address") }
                port = after.dropFirst()
            }
            hostPart = ""
        } else if let colon = hostPart.firstIndex(of: ":") {
            port = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }
        if let port {
            guard !port.isEmpty, port.allSatisfy(\.isASCIIDigit), let value = Int(port), value <= 65535 else {
                throw fail("the registry port \"\(port)\" is not a number from 0 to 65535")
            }
        }
        for label in hostPart.split(separator: ".", omittingEmptySubsequences: false) where !hostPart.isEmpty {
            let ok =
                !label.isEmpty && label.allSatisfy({ $0.isASCIIAlnum || $0 == "-" })
                && label.first != "-" && label.last != "-"
            guard ok else { throw fail("the registry \"\(host)\" is not a valid host name") }
        }
    }

    /// Path components: lowercase alphanumerics separated by `.`, `_`, `__` or runs of `-`.
    private static func validatePath(_ path: String, _ fail: (String) -> ReferenceError) throws(ReferenceError) {
        if path.contains(where: { $0.isUppercase }) { throw fail("repository names must be lowercase") }
        for component in path.split(separator: "/", omittingEmptySubsequences: false) {
            guard component.wholeMatch(of: /[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*/) != nil else {
                let shown = component.isEmpty ? "an empty path component" : "path component \"\(component)\""
                throw fail("\(shown) is invalid: use lowercase letters and digits, separated by '.', '_', '__' or '-'")
            }
        }
    }

    /// Tags: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    private static func validateTag(_ tag: String, _ fail: (String) -> ReferenceError) throws(ReferenceError) {
        guard !tag.isEmpty else { throw fail("the tag after ':' is empty") }
        guard tag.utf8.count <= 128 else { throw fail("the tag is longer than 128 characters") }
        guard tag.wholeMatch(of: /[A-Za-z0-9_][A-Za-z0-9_.-]*/) != nil else {
            throw fail("the tag \"\(tag)\" is invalid: use letters, digits, '_', '.' and '-', not starting with '.' or '-'")
        }
    }

}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIIAlnum: Bool { isASCII && (isLetter || isNumber) }
}
