import Foundation
import OCI

/// A user name and password (or token) for one registry. Never printed: `description` hides the secret.
public struct Credential: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// The `Authorization: Basic …` value.
    var basicAuthorization: String { "Basic " + Data("\(username):\(password)".utf8).base64EncodedString() }

    public var description: String { "\(username):<redacted>" }
}

/// Credentials by registry host, from flags and Docker's `config.json` (`auths`).
public struct CredentialStore: Sendable {
    private var byHost: [String: Credential]
    /// Hosts that Docker's config hands to a credential helper, which this tool does not run.
    private var helperHosts: [String: String]

    public init(_ byHost: [String: Credential] = [:]) {
        self.byHost = [:]
        self.helperHosts = [:]
        for (host, credential) in byHost { self.byHost[Self.normalizeHost(host)] = credential }
    }

    /// Adds (or overrides) a credential for `host`.
    public mutating func set(_ credential: Credential, for host: String) {
        byHost[Self.normalizeHost(host)] = credential
    }

    /// The credential for a registry host, if any.
    public func credential(for host: String) -> Credential? { byHost[Self.normalizeHost(host)] }

    /// The credential helper Docker's config names for `host`, if any (we cannot use it; errors say so).
    public func credentialHelper(for host: String) -> String? { helperHosts[Self.normalizeHost(host)] }

    /// Reads Docker's `config.json`: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    /// A missing file gives an empty store; a malformed one is an error naming the file.
    public static func dockerConfig(path explicitPath: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> CredentialStore
    {
        let path: String
        if let explicitPath {
            path = explicitPath
        } else if let dir = environment["DOCKER_CONFIG"] {
            path = dir + "/config.json"
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.docker/config.json"
        }
        guard FileManager.default.fileExists(atPath: path) else {
            if explicitPath != nil { throw CredentialError(path: path, reason: "the file does not exist") }
            return CredentialStore()
        }
        // A file that is there but cannot be read is an error: ignoring it would hide the credentials.
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw CredentialError(path: path, reason: "cannot be read: \((error as NSError).localizedDescription)")
        }
        return try parseDockerConfig(data, path: path)
    }

    static func parseDockerConfig(_ data: Data, path: String) throws -> CredentialStore {
        struct Entry: Decodable { var auth: String?; var username: String?; var password: String?; var identitytoken: String? }
        struct Config: Decodable { var auths: [String: Entry]?; var credHelpers: [String: String]?; var credsStore: String? }
        let config: Config
        do { config = try JSONDecoder().decode(Config.self, from: data) } catch {
            throw CredentialError(path: path, reason: "not a valid Docker config.json: \(error.humanDescription)")
        }
        var store = CredentialStore()
        for (key, entry) in config.auths ?? [:] {
            if let auth = entry.auth, !auth.isEmpty {
                guard let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }),
                    let colon = decoded.firstIndex(of: ":")
                else {
                    throw CredentialError(path: path, reason: "the \"auth\" of \(key) is not base64 of user:password")
                }
                store.set(Credential(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...])), for: key)
            } else if let username = entry.username, let password = entry.password {
                store.set(Credential(username: username, password: password), for: key)
            }
        }
        for (host, helper) in config.credHelpers ?? [:] { store.helperHosts[normalizeHost(host)] = helper }
        return store
    }

    /// `https://index.docker.io/v1/` → `docker.io`; `http://host:5000/path` → `host:5000`.
    static func normalizeHost(_ key: String) -> String {
        var host = Substring(key)
        if let scheme = host.range(of: "://") { host = host[scheme.upperBound...] }
        if let slash = host.firstIndex(of: "/") { host = host[..<slash] }
        let lowered = host.lowercased()
        switch lowered {
        case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com": return "docker.io"
        default: return lowered
        }
    }
}

/// A credentials file that cannot be used.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "credentials file \(path): \(reason)" }
}
