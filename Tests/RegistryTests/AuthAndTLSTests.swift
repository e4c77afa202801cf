import Foundation
import OCI
import Registry
import TestSupport
import Testing

@Suite("TLS and Harbor-like token authentication", .serialized)
struct AuthAndTLSTests {
    @Test func tlsIsVerifiedAndACAFileIsTrusted() async throws {
        let seeded = try await SeededRegistry.make(.tls)
        let layout = try TestPaths.scratch("layout")
        let reference = seeded.reference("apps/shared-b:1")
        let untrusted = try airgapBundle(["pull", reference, "--oci-layout", layout])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("TLS failed"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--ca-file"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains(seeded.registry.host))

        let trusted = try airgapBundle(["pull", reference, "--oci-layout", layout, "--ca-file", seeded.registry.caFile!])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        #expect(trusted.stdout.contains(seeded.sharedB.digest.description))
    }

    @Test func bearerTokensWithCredentialsFromDockerConfig() async throws {
        let tokens = try TokenServer(users: ["vendor:s3cret"], projects: ["library", "apps"], privateProjects: ["apps"])
        // Seeding pushes with the same client code: token with push scope.
        let registry = try RegistryServer(.token(tokens))
        var store = CredentialStore()
        store.set(Credential(username: "vendor", password: "s3cret"), for: registry.host)
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [registry.host]), credentials: store)
        let scratch = try TestPaths.scratch("seed")
        let image = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 100_000, directory: scratch)])
        try await ImageFactory.push(image, to: try ImageReference(parsing: "\(registry.host)/apps/private:1"), tag: "1", client: client)
        try await ImageFactory.push(image, to: try ImageReference(parsing: "\(registry.host)/library/public:1"), tag: "1", client: client)
        try await client.shutdown()

        let configDir = try TestPaths.scratch("docker-config")
        let auth = Data("vendor:s3cret".utf8).base64EncodedString()
        try #"{"auths":{"http://\#(registry.host)":{"auth":"\#(auth)"}}}"#.write(
            toFile: configDir + "/config.json", atomically: true, encoding: .utf8)
        let layout = try TestPaths.scratch("layout")
        let ok = try airgapBundle(
            ["pull", "\(registry.host)/apps/private:1", "--oci-layout", layout, "--insecure-registry", registry.host],
            environment: ["DOCKER_CONFIG": configDir])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains(image.digest.description))
        // Credentials go by POST first (as Helm and oras do); the log never holds the password.
        let log = tokens.requests()
        #expect(log.contains("\"POST\""))
        #expect(!log.contains("s3cret"))

        // Anonymous: a public project is readable, a private one is refused with a clear message.
        let empty = try TestPaths.scratch("no-config")
        let anonymous = try airgapBundle(
            ["pull", "\(registry.host)/library/public:1", "--oci-layout", layout, "--insecure-registry", registry.host],
            environment: ["DOCKER_CONFIG": empty])
        #expect(anonymous.status == 0, "\(anonymous.stderr)")
        let refused = try airgapBundle(
            [
                "pull", "\(registry.host)/apps/private:1", "--oci-layout", try TestPaths.scratch("layout"),
                "--insecure-registry", registry.host,
            ], environment: ["DOCKER_CONFIG": empty])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(registry.host)/apps/private:1"), "\(refused.stderr)")
        #expect(refused.stderr.contains("no credentials were given"), "\(refused.stderr)")

        // Wrong password: 401 from the token service, named as such; the password is never printed.
        let wrong = try airgapBundle(
            [
                "pull", "\(registry.host)/apps/private:1", "--oci-layout", try TestPaths.scratch("layout"),
                "--insecure-registry", registry.host, "--creds", "\(registry.host)=vendor:wrong-password",
            ],
            environment: ["DOCKER_CONFIG": empty])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("credentials for user \"vendor\" were rejected"), "\(wrong.stderr)")
        #expect(wrong.stderr.contains(registry.host))
        #expect(!wrong.stderr.contains("wrong-password"))
    }
}
