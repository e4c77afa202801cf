import Outcomes

/// One entry of a registry's `errors` array (distribution spec).
public struct RegistryErrorDetail: Sendable, Hashable, Decodable {
    public var code: String
    public var message: String?
}

/// A failed registry operation, naming the registry, what was asked for, and why.
public struct RegistryError: ExitStatusError, Sendable {
    public enum Reason: Sendable {
        /// The host could not be reached (DNS, refused, reset, TLS, timeout).
        case connection(String)
        /// The registry answered with an unexpected HTTP status.
        case status(Int)
        /// The registry refused the credentials, or no credentials were given where needed.
        case authentication(String)
        /// The registry's content was wrong (digest or size mismatch, bad manifest).
        case content(String)
        /// What the registry sent could not be stored on this machine (disk full, permissions).
        case storage(String)
    }

    /// The registry host (with port).
    public var registry: String
    /// What the operation was about: an image reference, or a blob digest in a repository.
    public var subject: String
    public var reason: Reason
    /// The `errors` array of the registry's answer, if any.
    public var details: [RegistryErrorDetail]
    /// Whether trying again may help (429, 5xx, a broken connection).
    public var isTemporary: Bool

    public init(registry: String, subject: String, reason: Reason, details: [RegistryErrorDetail] = [], isTemporary: Bool = false) {
        self.registry = registry
        self.subject = subject
        self.reason = reason
        self.details = details
        self.isTemporary = isTemporary
    }

    /// The registry refused or failed, after retries: the work failed (1).
    public var exitStatus: ExitStatus { .failed }

    public var httpStatus: Int? { if case .status(let code) = reason { return code } else { return nil } }

    public var description: String {
        let codes = details.map { detail in [detail.code, detail.message].compactMap { $0 }.joined(separator: ": ") }
        let registryWords = codes.isEmpty ? "" : " (\(codes.joined(separator: "; ")))"
        switch reason {
        case .connection(let why):
            return "\(subject): cannot reach registry \(registry): \(why)"
        case .status(let code):
            return "\(subject): registry \(registry) answered HTTP \(code) \(Self.statusWords(code))\(registryWords)"
        case .authentication(let why):
            return "\(subject): registry \(registry) refused access: \(why)\(registryWords)"
        case .content(let why):
            return "\(subject): registry \(registry) served bad content: \(why)"
        case .storage(let why):
            return "\(subject) from registry \(registry): cannot store it on this machine: \(why)"
        }
    }

    static func statusWords(_ code: Int) -> String {
        switch code {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 416: return "Range Not Satisfiable"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }
}
