import Foundation
import NIOHTTP1
import OCI
import TestSupport
import Testing

@testable import Registry

/// Answers a real registry never gives — bad JSON, malformed headers — from a canned server:
/// each is an error naming the registry and what was asked for, never a silent default.
@Suite("Misbehaving registries and token services are errors, not defaults", .serialized)
struct MisbehavingRegistryTests {
    func client(for server: CannedHTTPServer) throws -> RegistryClient {
        try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [server.host], retry: RetryPolicy(maxAttempts: 1)))
    }

    func caught(_ work: () async throws -> Void) async -> Error? {
        do { try await work(); return nil } catch { return error }
    }

    @Test func aTagListThatIsNotJSONIsAnError() async throws {
        let server = try CannedHTTPServer([
            .init("GET", "/v2/charts/app/tags/list", headers: ["Content-Type": "application/json"], body: "<html>maintenance</html>"),
            .init("GET", "/v2/charts/empty/tags/list", headers: ["Content-Type": "application/json"], body: #"{"name":"charts/empty","tags":null}"#),
        ])
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let error = await caught { _ = try await client.listTags(try ImageReference(parsing: "\(server.host)/charts/app")) }
        let text = "\(try #require(error))"
        #expect(text.contains(server.host) && text.contains("charts/app") && text.contains("tag list"), "\(text)")
        #expect(text.contains("not the JSON"), "\(text)")
        // `"tags": null` is how a repository without tags answers: an empty list, not an error.
        #expect(try await client.listTags(try ImageReference(parsing: "\(server.host)/charts/empty")) == [])
    }

    @Test func aTokenResponseThatIsNotJSONIsAnAuthenticationError() async throws {
        let server = try CannedHTTPServer([
            .init(
                "GET", "/v2/library/app/manifests/1", status: 401,
                headers: ["WWW-Authenticate": #"Bearer realm="http://127.0.0.1:{PORT}/token",service="canned""#]),
            .init("GET", "/token", headers: ["Content-Type": "application/json"], body: #"{"token": 7300591846}"#),
        ])
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let error = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/library/app:1")) }
        let registryError = try #require(error as? RegistryError, "\(String(describing: error))")
        guard case .authentication(let why) = registryError.reason else { Issue.record("\(registryError)"); return }
        #expect(why.contains("/token") && why.contains("not a token response"), "\(why)")
        // A number no port or message holds: the body is never quoted.
        #expect(!"\(registryError)".contains("7300591846"), "the body is never quoted")
    }

    @Test func dockerContentDigestHeaders() throws {
        func announced(_ value: String?) throws -> Digest? {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "Docker-Content-Digest", value: value) }
            return try RegistryClient.announcedDigest(headers, registry: "r.example", subject: "r.example/app:1")
        }
        let digest = Digest.of(Array("x".utf8))
        #expect(try announced(nil) == nil)
        #expect(try announced(digest.description) == digest)
        #expect(try announced(" \(digest) ") == digest)
        // Another algorithm cannot be checked here; our own sha256 check stands.
        #expect(try announced("sha512:" + String(repeating: "ab", count: 64)) == nil)
        for malformed in ["sha256:xyz", "not a digest", "sha256:" + String(repeating: "A", count: 64)] {
            #expect(throws: RegistryError.self, "\(malformed)") { try announced(malformed) }
        }
    }

    @Test func aPushedManifestWithAMalformedDigestHeaderIsAnError() async throws {
        let bytes = Array(#"{"schemaVersion":2}"#.utf8)
        let ours = Digest.of(bytes)
        let server = try CannedHTTPServer([
            .init("PUT", "/v2/apps/bad/manifests/1", status: 201, headers: ["Docker-Content-Digest": "sha256:nothex"]),
            .init("PUT", "/v2/apps/none/manifests/1", status: 201),
            .init("PUT", "/v2/apps/good/manifests/1", status: 201, headers: ["Docker-Content-Digest": ours.description]),
        ])
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        func put(_ name: String) async throws -> Digest {
            try await client.putManifest(
                bytes, mediaType: MediaType.ociManifest, reference: "1", in: try ImageReference(parsing: "\(server.host)/apps/\(name)"))
        }
        let error = await caught { _ = try await put("bad") }
        let text = "\(try #require(error))"
        #expect(text.contains("Docker-Content-Digest") && text.contains("malformed") && text.contains("apps/bad"), "\(text)")
        #expect(try await put("none") == ours, "a missing header falls back to the computed digest")
        #expect(try await put("good") == ours)
    }

    @Test func aFetchedManifestWithAMalformedDigestHeaderIsAnError() async throws {
        let server = try CannedHTTPServer([
            .init(
                "GET", "/v2/apps/bad/manifests/1", headers: ["Content-Type": MediaType.ociManifest, "Docker-Content-Digest": "sha256:12"],
                body:
                    #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2},"layers":[]}"#
            )
        ])
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let error = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/apps/bad:1")) }
        let text = "\(try #require(error))"
        #expect(text.contains("Docker-Content-Digest header \"sha256:12\" is malformed"), "\(text)")
    }

    /// A manifest's sizes are summed in checked arithmetic: layers whose sizes add up past
    /// `Int64.max` are refused with a clear error, not wrapped into a small or negative total.
    @Test func aManifestWhoseLayerSizesOverflowIsRefused() throws {
        func layer(_ n: Int, size: String) -> String {
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\#(String(repeating: "\(n)", count: 64))","size":\#(size)}"#
        }
        let body =
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(String(repeating: "0", count: 64))","size":2},"layers":[\#(layer(1, size: "9223372036854775000")),\#(layer(2, size: "9223372036854775000"))]}"#
        let server = try CannedHTTPServer([.init("GET", "/v2/apps/huge/manifests/1", headers: ["Content-Type": MediaType.ociManifest], body: body)])
        let layout = try TestPaths.scratch("overflow-layout")
        let result = try airgapBundle(
            ["pull", "\(server.host)/apps/huge:1", "--oci-layout", layout, "--insecure-registry", server.host],
            environment: ["DOCKER_CONFIG": try TestPaths.scratch("no-config")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("apps/huge") && result.stderr.contains("add up to more than \(Int64.max) bytes"), "\(result.stderr)")
        #expect(!server.requests().contains { $0.contains("/blobs/") }, "no blob is asked for: \(server.requests())")
    }
}
