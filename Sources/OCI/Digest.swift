import Integrity

/// A validated content digest, `sha256:` followed by 64 lowercase hex characters.
///
/// Only SHA-256 is accepted: it is what every registry and the OCI image layout use, and the
/// only algorithm this tool can verify. Anything else is refused when parsed, not when used.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The algorithm, always `sha256`.
    public let algorithm: String
    /// The 64 lowercase hex characters.
    public let hex: String

    public init(_ string: String) throws(DigestError) {
        guard let colon = string.firstIndex(of: ":") else {
            throw DigestError(input: string, reason: "expected ALGORITHM:HEX, e.g. sha256:<64 hex characters>")
        }
        let algorithm = String(string[..<colon])
        let hex = String(string[string.index(after: colon)...])
        guard algorithm == "sha256" else {
            throw DigestError(input: string, reason: "unsupported digest algorithm \"\(algorithm)\" (only sha256 is supported)")
        }
        guard hex.utf8.count == 64, hex.utf8.allSatisfy(Hex.isLowercaseDigit) else {
            throw DigestError(input: string, reason: "sha256 needs exactly 64 lowercase hex characters")
        }
        self.algorithm = algorithm
        self.hex = hex
    }

    /// A digest from an already computed SHA-256 hex string.
    public init(sha256Hex: String) throws(DigestError) { try self.init("sha256:" + sha256Hex) }

    /// The digest of a small in-memory document (a manifest or config).
    public static func of<Bytes: Sequence>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        // A freshly computed SHA-256 hex string is always valid.
        try! Digest(sha256Hex: SHA256Hasher.hex(of: bytes))
    }

    public var description: String { "\(algorithm):\(hex)" }

    /// A short form for people: `sha256:0123456789ab`.
    public var short: String { "\(algorithm):\(hex.prefix(12))" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        do { try self.init(string) } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A string that is not a valid digest, and why.
public struct DigestError: Error, Sendable, CustomStringConvertible, Equatable {
    public let input: String
    public let reason: String
    public var description: String { "invalid digest \"\(input)\": \(reason)" }
}
