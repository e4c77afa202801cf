import Foundation
import OCI
import TestSupport
import Testing

@testable import Registry

/// A registry that wants the site's password (Tests/Servers/hostile_registry.py): credentials go
/// only to the registry the client was given and the token service it names first; nothing is
/// ever sent to a Unix socket; lying answers are errors; a trickled body is bounded by the timeout.
/// Each test reads the double's request log, where a second loopback listener plays another host
/// and a Unix-socket listener plays docker.sock.
@Suite("A hostile registry gets neither credentials elsewhere nor a local socket", .serialized)
struct HostileRegistryTests {
    static let password = "s3cret-pw-7731"
    static let blob = Array("a blob the hostile registry wants".utf8)

    func client(for server: HostileRegistry, timeout: Int64 = 60) throws -> RegistryClient {
        var store = CredentialStore()
        store.set(Credential(username: "site", password: Self.password), for: server.host)
        return try RegistryClient(
            configuration: RegistryConfiguration(
                insecureHosts: [server.host, server.elsewhere], retry: RetryPolicy(maxAttempts: 1), readTimeoutSeconds: timeout),
            credentials: store)
    }

    func caught(_ work: () async throws -> Void) async -> String {
        do {
            try await work()
            return "no error"
        } catch { return "\(error)" }
    }

    /// No credential and no request body reached another listener; nothing reached the Unix socket;
    /// the registry itself did get the credentials (so they were in play).
    func expectCredentialsStayedHome(_ server: HostileRegistry, sourceLocation: SourceLocation = #_sourceLocation) {
        let basic = "Basic " + Data("site:\(Self.password)".utf8).base64EncodedString()
        let all = server.requests()
        #expect(all.contains { $0.listener == "registry" && $0.authorization == basic }, "\(all)", sourceLocation: sourceLocation)
        for request in server.requestsElsewhere() {
            #expect(request.listener != "unix", "a connection reached the Unix socket: \(request)", sourceLocation: sourceLocation)
            #expect(request.authorization == nil, "credentials reached another host: \(request)", sourceLocation: sourceLocation)
            #expect(!request.body.contains(Self.password), "the password reached another host: \(request)", sourceLocation: sourceLocation)
            #expect(request.path != "/token", "a token was asked of another host's service: \(request)", sourceLocation: sourceLocation)
        }
    }

    /// What asking the server for a manifest fails with.
    func manifestError(from server: HostileRegistry, timeout: Int64 = 60) async throws -> String {
        let client = try client(for: server, timeout: timeout)
        defer { Task { try? await client.shutdown() } }
        return await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/library/app:1")) }
    }

    func repository(_ server: HostileRegistry) throws -> ImageReference { try ImageReference(parsing: "\(server.host)/library/app") }

    @Test(arguments: [HostileRegistry.Mode.foreignLocation, .unixLocation])
    func anUploadSentElsewhereIsAnError(_ mode: HostileRegistry.Mode) async throws {
        let server = try HostileRegistry(mode)
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let repository = try repository(server)
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: Digest.of(Self.blob), size: Int64(Self.blob.count))
        let whole = await caught { try await client.uploadBlob(.bytes(Self.blob), as: descriptor, to: repository) }
        #expect(whole.contains("Location") && whole.contains("only to the registry it is pushed to"), "\(whole)")
        let streamed = await caught { _ = try await client.startUpload(to: repository, subject: "blob") }
        #expect(streamed.contains("Location") && streamed.contains("only to the registry it is pushed to"), "\(streamed)")
        #expect(server.requestsElsewhere().isEmpty, "\(server.requestsElsewhere())")
        expectCredentialsStayedHome(server)
    }

    @Test func aRedirectWhose401NamesAnotherTokenServiceGetsNoCredentials() async throws {
        let server = try HostileRegistry(.redirectToken)
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        // Twice: the second request starts with the registry's challenge already answered, so the
        // redirect target's 401 is the first one that request meets.
        for _ in 0..<2 {
            let text = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/library/app:1")) }
            #expect(text.contains("redirected") && text.contains(server.elsewhere) && text.contains("asks for credentials"), "\(text)")
        }
        // The download was redirected (so the other host was reached), but without credentials.
        #expect(server.requestsElsewhere().contains { $0.listener == "elsewhere" && $0.path.contains("/manifests/") })
        expectCredentialsStayedHome(server)
    }

    @Test func aRedirectToAUnixSocketIsNotFollowed() async throws {
        let server = try HostileRegistry(.unixRedirect)
        let text = try await manifestError(from: server)
        #expect(text.contains("http+unix") && text.contains("TCP only"), "\(text)")
        #expect(FileManager.default.fileExists(atPath: server.unixSocket), "the Unix listener is there to be reached")
        #expect(server.requestsElsewhere().isEmpty, "\(server.requestsElsewhere())")
        expectCredentialsStayedHome(server)
    }

    @Test func aTokenServiceOnAUnixSocketIsNotAsked() async throws {
        let server = try HostileRegistry(.unixRealm)
        let text = try await manifestError(from: server)
        #expect(text.contains("http+unix") && text.contains("token requests go over TCP only"), "\(text)")
        #expect(server.requestsElsewhere().isEmpty, "\(server.requestsElsewhere())")
        #expect(server.requests().allSatisfy { $0.authorization == nil }, "\(server.requests())")
    }

    @Test(arguments: [HostileRegistry.Mode.headOtherDigest, .headOtherSize])
    func aHeadClaimingAnotherBlobIsAMismatch(_ mode: HostileRegistry.Mode) async throws {
        let server = try HostileRegistry(mode, blobSize: Int64(Self.blob.count))
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let digest = Digest.of(Self.blob)
        let text = await caught {
            let exists = try await client.blobExists(digest, size: Int64(Self.blob.count), in: try repository(server))
            Issue.record("a lying HEAD was taken as \(exists ? "already there" : "missing")")
        }
        #expect(text.contains(digest.description), "\(text)")
        if mode == .headOtherDigest {
            #expect(text.contains("sha256:" + String(repeating: "0", count: 64)), "\(text)")
        } else {
            #expect(text.contains("\(Self.blob.count + 1) bytes") && text.contains("the bundle says \(Self.blob.count)"), "\(text)")
        }
    }

    @Test func aHeadWithoutASizeIsNotTakenAsPresent() async throws {
        let server = try HostileRegistry(.headNoLength)
        let client = try client(for: server)
        defer { Task { try? await client.shutdown() } }
        let repository = try repository(server)
        let digest = Digest.of(Self.blob)
        #expect(try await client.blobExists(digest, size: Int64(Self.blob.count), in: repository) == false, "the size cannot be compared")
        #expect(try await client.blobExists(digest, size: nil, in: repository), "without a size to compare, the digest is enough")
    }

    @Test func aTrickledBodyIsBoundedByTheTimeout() async throws {
        // 2000 bytes, one every 50 ms (100 s in all): each read comes well within the 3 s timeout, even on a
        // loaded machine (with 1 s, a stalled test server tripped the read timeout instead), the whole never would.
        let server = try HostileRegistry(.trickle, blobSize: 2000)
        let client = try client(for: server, timeout: 3)
        defer { Task { try? await client.shutdown() } }
        let manifest = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/library/app:1")) }
        #expect(manifest.contains("did not finish within its time limit"), "\(manifest)")
        let layout = try OCILayout(creatingAt: try TestPaths.scratch("trickle-layout"))
        let descriptor = Descriptor(mediaType: "application/octet-stream", digest: Digest.of(Array(repeating: 0x20, count: 2000)), size: 2000)
        let blob = await caught { try await client.fetchBlob(descriptor, from: try repository(server), into: layout) }
        #expect(blob.contains("did not finish within its time limit"), "\(blob)")
        #expect(!layout.hasBlob(descriptor), "nothing of a timed-out blob is kept")
    }

    @Test func aLaterChallengeNamingAnotherTokenServiceGetsNoCredentials() async throws {
        let server = try CannedHTTPServer([
            .init("GET", "/v2/a/app/manifests/1", status: 401, headers: ["WWW-Authenticate": #"Bearer realm="http://127.0.0.1:{PORT}/token-a""#]),
            .init("GET", "/token-a", headers: ["Content-Type": "application/json"], body: #"{"token": "a"}"#),
            .init("GET", "/v2/b/app/manifests/1", status: 401, headers: ["WWW-Authenticate": #"Bearer realm="http://127.0.0.1:{PORT}/token-b""#]),
            .init("GET", "/token-b", headers: ["Content-Type": "application/json"], body: #"{"token": "b"}"#),
        ])
        var store = CredentialStore()
        store.set(Credential(username: "site", password: Self.password), for: server.host)
        let client = try RegistryClient(
            configuration: RegistryConfiguration(insecureHosts: [server.host], retry: RetryPolicy(maxAttempts: 1)), credentials: store)
        defer { Task { try? await client.shutdown() } }
        _ = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/a/app:1")) }
        #expect(server.requests().contains("GET /token-a"), "\(server.requests())")
        let text = await caught { _ = try await client.manifest(for: try ImageReference(parsing: "\(server.host)/b/app:1")) }
        #expect(text.contains("/token-a") && text.contains("/token-b") && text.contains("credentials go only to the first"), "\(text)")
        #expect(!server.requests().contains { $0.hasSuffix("/token-b") }, "\(server.requests())")
    }
}
