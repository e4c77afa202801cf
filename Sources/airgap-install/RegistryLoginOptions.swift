import ArgumentParser
import BundleCommands
import Foundation
import Registry
import ToolVersion

/// The site registry login and transport (push; deploy and preflight, for the pull secret and images).
struct RegistryLoginOptions: ParsableArguments {
    @Option(
        name: .customLong("username"),
        help: ArgumentHelp("The registry account; its password comes from --password-stdin or AIRGAP_REGISTRY_PASSWORD.", valueName: "user"))
    var username: String?

    @Flag(name: .customLong("password-stdin"), help: "Read the password from the first line of standard input.")
    var passwordStdin = false

    @Option(name: .customLong("ca-file"), help: ArgumentHelp("Trust the CA certificates in this PEM file (a self-signed Harbor).", valueName: "file"))
    var caFile: String?

    @Flag(name: .customLong("plain-http"), help: "Talk plain HTTP to the registry (no TLS).")
    var plainHTTP = false

    func validate() throws {
        if passwordStdin, username == nil { throw ValidationError("--password-stdin needs --username") }
        if plainHTTP, caFile != nil { throw ValidationError("give --ca-file or --plain-http, not both") }
    }

    /// The login, its password from standard input or AIRGAP_REGISTRY_PASSWORD (nil: no --username).
    func credential() throws -> Credential? {
        guard let username else { return nil }
        if passwordStdin {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                throw CommandFailure("--password-stdin: standard input held no password", .usage)
            }
            return Credential(username: username, password: line)
        }
        guard let password = ProcessInfo.processInfo.environment["AIRGAP_REGISTRY_PASSWORD"], !password.isEmpty else {
            throw CommandFailure(
                "--username \(username) needs a password: --password-stdin, or the environment variable AIRGAP_REGISTRY_PASSWORD", .usage)
        }
        return Credential(username: username, password: password)
    }

    /// What `RegistryClient.withClient` makes a client for `registry` with this login from.
    func clientSettings(for registry: String, credential: Credential?) -> (RegistryConfiguration, CredentialStore) {
        var store = CredentialStore()
        if let credential { store.set(credential, for: registry) }
        return (
            RegistryConfiguration(insecureHosts: plainHTTP ? [registry] : [], caFile: caFile, userAgent: "airgap-install/\(ToolVersion.version)"),
            store
        )
    }
}
