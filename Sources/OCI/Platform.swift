/// An image platform: `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`.
public struct Platform: Hashable, Sendable, Codable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var osVersion: String?
    public var osFeatures: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
        case osVersion = "os.version"
        case osFeatures = "os.features"
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`.
    public init(parsing text: String) throws(PlatformError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0 == $0.lowercased() }) else {
            throw PlatformError(input: text)
        }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String {
        [os, architecture, variant].compactMap { $0 }.joined(separator: "/")
    }

    /// The variant with Docker's defaults filled in (`arm64` is `v8` unless it says otherwise).
    var normalizedVariant: String? {
        if let variant, !variant.isEmpty { return variant }
        return architecture == "arm64" ? "v8" : nil
    }

    /// Whether an image built for `candidate` satisfies this requested platform. A request without
    /// a variant accepts any variant of its architecture.
    public func accepts(_ candidate: Platform) -> Bool {
        guard os == candidate.os, architecture == candidate.architecture else { return false }
        guard variant != nil else { return true }
        return normalizedVariant == candidate.normalizedVariant
    }

    public static let linuxAMD64 = Platform(os: "linux", architecture: "amd64")
}

/// A platform string that is not `os/arch[/variant]`.
public struct PlatformError: Error, Sendable, CustomStringConvertible {
    public let input: String
    public var description: String { "invalid platform \"\(input)\": expected os/arch[/variant] in lowercase, e.g. linux/amd64 or linux/arm64/v8" }
}
