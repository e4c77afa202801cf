/// One setting a site must (or may) give, declared in the manifest's `siteValues:` under its
/// dotted path (`nfs.server`) and carried to the site in the bundle (`deploy/site-values.json`).
public struct SiteValueDeclaration: Codable, Sendable, Hashable {
    /// The kinds of value a site may give.
    public enum ValueType: String, Codable, Sendable, CaseIterable {
        case string, int, bool
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

    public init(name: String, description: String, type: ValueType, required: Bool, defaultValue: String?, secret: Bool) {
        self.name = name
        self.description = description
        self.type = type
        self.required = required
        self.defaultValue = defaultValue
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case name, description, type, required, secret
        case defaultValue = "default"
    }

    /// Whether `text` is a valid value of `type` (the YAML spellings: `true`/`false`, decimal integers).
    public func accepts(_ text: String) -> Bool {
        switch type {
        case .string: return true
        case .int: return Int(text) != nil
        case .bool: return ["true", "false"].contains(text)
        }
    }

    /// `a.b-c.d`: dot-separated keys of letters, digits, `_` and `-`, each starting with a letter.
    public static func isValidName(_ name: String) -> Bool {
        name.range(of: #"^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$"#, options: .regularExpression) != nil
    }
}
