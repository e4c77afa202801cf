/// One setting a site must (or may) give, declared in the manifest's `siteValues:` under its
/// dotted path (`nfs.server`) and carried to the site in the bundle (`deploy/site-values.json`).
/// Its type (and, for strings, an optional pattern) is checked the same way wherever a value
/// meets it: `setup` as it is typed, `plan` and `deploy` when `site.yaml` is read, and the
/// comments `init-values` writes say what is expected.
public struct SiteValueDeclaration: Codable, Sendable, Hashable {
    /// The kinds of value a site may give. `int` and `bool` are the first spellings of
    /// `integer` and `boolean`, still accepted.
    public enum ValueType: String, Codable, Sendable, CaseIterable {
        case string, integer, boolean, ip, cidr, hostname, port, url, path
        case enumeration = "enum"
        case int, bool
    }

    /// The dotted path: `nfs.server` is `nfs: {server: …}` in the admin's `site.yaml`.
    public var name: String
    /// What it is, for people: shown by `init-values` and in every error about it.
    public var description: String
    public var type: ValueType
    /// A required value has no default; the admin must give it.
    public var required: Bool
    /// Used when the admin gives none (as text: `15d`, `3`, `true`).
    public var defaultValue: String?
    /// Never shown in plans, logs, journals or errors.
    public var secret: Bool
    /// `enum`: the values allowed, in the order shown.
    public var values: [String]?
    /// `string`: a regular expression the whole value must match (ICU syntax, as `NSRegularExpression`).
    public var pattern: String?
    /// `string` with `pattern`: what a matching value looks like, for people (`a duration such as 15d`).
    public var message: String?

    public init(
        name: String, description: String, type: ValueType, required: Bool, defaultValue: String?, secret: Bool, values: [String]? = nil,
        pattern: String? = nil, message: String? = nil
    ) {
        self.name = name
        self.description = description
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.secret = secret
        self.values = values
        self.pattern = pattern
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case name, description, type, required, secret, values, pattern, message
        case defaultValue = "default"
    }

    /// Whether `text` is a valid value of this declaration.
    public func accepts(_ text: String) -> Bool { problem(with: text) == nil }

    /// Why `text` is not a valid value, as the end of "NAME must be …" (`an IP address (IPv4 or
    /// IPv6)`); nil when it is. Never quotes `text`: it may be a secret. An empty text is refused
    /// only when the value is required (an optional value may be given empty).
    public func problem(with text: String) -> String? {
        if text.isEmpty { return required ? "non-empty (it is required)" : nil }
        let valid: Bool
        switch type {
        case .string:
            guard let pattern else { return nil }
            valid = SiteValueSyntax.matches(text, pattern: pattern)
        case .integer, .int: valid = Int(text) != nil
        case .boolean, .bool: valid = text == "true" || text == "false"
        case .ip: valid = SiteValueSyntax.ipVersion(text) != nil
        case .cidr: valid = SiteValueSyntax.isCIDR(text)
        case .hostname: valid = SiteValueSyntax.isHostname(text) || SiteValueSyntax.ipVersion(text) != nil
        case .port: valid = Int(text).map { (1...65535).contains($0) } ?? false
        case .url: valid = SiteValueSyntax.isURL(text)
        case .path: valid = text.hasPrefix("/") && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
        case .enumeration: valid = (values ?? []).contains(text)
        }
        return valid ? nil : expectation
    }

    /// What a valid value is, for people: `an IP address (IPv4 or IPv6)`, `one of: a, b`.
    public var expectation: String {
        switch type {
        case .string:
            guard let pattern else { return "a string" }
            return message ?? "a string matching \(pattern)"
        case .integer, .int: return "an integer"
        case .boolean, .bool: return "true or false"
        case .ip: return "an IP address (IPv4 such as 10.0.0.5, or IPv6)"
        case .cidr: return "an address range in CIDR form (10.0.0.0/16, fd00::/64)"
        case .hostname: return "a host name (nfs.example.internal) or an IP address"
        case .port: return "a port number from 1 to 65535"
        case .url: return "an http:// or https:// URL with a host"
        case .path: return "an absolute path (starting with /)"
        case .enumeration: return "one of: " + (values ?? []).joined(separator: ", ")
        }
    }

    /// `a.b-c.d`: dot-separated keys of letters, digits, `_` and `-`, each starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        name.range(of: #"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$"#, options: .regularExpression) != nil
    }
}
