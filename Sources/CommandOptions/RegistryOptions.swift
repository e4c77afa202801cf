import ArgumentParser
import Foundation
import Registry
import ToolVersion

/// Flags shared by every command that talks to registries (pull, images, lock, build), in a module
/// both executables can use.
public struct RegistryOptions: ParsableArguments {
    @Option(
        name: .customLong("insecure-registry"),
        help: ArgumentHelp(
            "Use plain HTTP for this registry host (host or host:port). Repeatable. Every other host uses verified TLS.",
            valueName: "host"))
    var insecureRegistries: [String] = []

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Trust the CA certificates in this PEM file, besides the system's.", valueName: "file"))
    var caFile: String?

    @Option(
        name: .customLong("authfile"),
        help: ArgumentHelp(
            "A Docker config.json with an \"auths\" section (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json).", valueName: "file"))
    var authFile: String?

    @Option(
        name: .customLong("creds"),
        help: ArgumentHelp(
            "Credentials for one registry as host=user:password. Repeatable. Prefer --authfile: command lines are visible to other users.",
            valueName: "host=user:password"))
    var credentials: [String] = []

    @Option(name: .customLong("retries"), help: "Attempts per request for 429, 5xx and broken connections.")
    var retries = 5

    @Option(
        name: .customLong("mirror"),
        help: ArgumentHelp(
            "Fetch through a mirror while names stay the original ones: a registry (docker.io=mirror.corp:5000) or a chart repository URL prefix (https://charts.example=http://127.0.0.1:8080). Repeatable.",
            valueName: "source=target"))
    var mirrors: [String] = []

    public init() {}

    public func validate() throws {
        for entry in credentials where parseCredential(entry) == nil {
            throw ValidationError("--creds \"\(entry.split(separator: "=").first ?? "")=…\" must look like host=user:password")
        }
        guard retries >= 1 else { throw ValidationError("--retries must be at least 1") }
        for mirror in mirrors where Self.parseMirror(mirror) == nil {
            throw ValidationError("--mirror \"\(mirror)\" must look like docker.io=mirror.corp:5000 or https://charts.example=http://127.0.0.1:8080")
        }
    }

    static func parseMirror(_ text: String) -> (String, String)? {
        // The separator is the first "=" (URLs do not need one before it).
        guard let equals = text.firstIndex(of: "=") else { return nil }
        let source = String(text[..<equals]), target = String(text[text.index(after: equals)...])
        guard !source.isEmpty, !target.isEmpty, source.contains("://") == target.contains("://") else { return nil }
        return (
            source.hasSuffix("/") && source.contains("://") ? String(source.dropLast()) : source,
            target.hasSuffix("/") && target.contains("://") ? String(target.dropLast()) : target
        )
    }

    /// What `RegistryClient.withClient` makes a client from: these flags' configuration and credentials.
    public func clientSettings(tool: String = "airgap-bundle") throws -> (configuration: RegistryConfiguration, credentials: CredentialStore) {
        var store = try CredentialStore.dockerConfig(path: authFile)
        for entry in credentials {
            if let (host, credential) = parseCredential(entry) { store.set(credential, for: host) }
        }
        var configuration = RegistryConfiguration(
            insecureHosts: Set(insecureRegistries), caFile: caFile, retry: RetryPolicy(maxAttempts: retries),
            userAgent: "\(tool)/\(ToolVersion.version)")
        configuration.mirrors = Dictionary(mirrors.compactMap(Self.parseMirror), uniquingKeysWith: { _, last in last })
        return (configuration, store)
    }

    private func parseCredential(_ entry: String) -> (String, Credential)? {
        guard let equals = entry.firstIndex(of: "="), let colon = entry[equals...].firstIndex(of: ":") else { return nil }
        let host = String(entry[..<equals])
        let user = String(entry[entry.index(after: equals)..<colon])
        let password = String(entry[entry.index(after: colon)...])
        guard !host.isEmpty, !user.isEmpty else { return nil }
        return (host, Credential(username: user, password: password))
    }
}
