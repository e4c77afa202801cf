import Foundation
import Install
import OCI
import Registry
import TestSupport
import Testing

/// `airgap-install push` against a Harbor stand-in: a real `docker-registry` with token auth
/// behind our token service and `/api/v2.0/projects` (Tests/Servers/token_server.py); skopeo
/// reads back every pushed image by tag and by digest.
@Suite("Pushing a bundle into Harbor straight from the archive", .serialized)
struct PushTests {
    static let password = "Harbor-s3cret-pw"

    func push(
        _ fixture: PushFixture, registry: RegistryServer, tokens: TokenServer?, user: String = "admin", password: String = PushTests.password,
        state: String, extra: [String] = []
    ) throws -> Shell.Result {
        var arguments =
            [
                "push", fixture.bundle, "--key", fixture.publicKey, "--registry", registry.host, "--project", "astrago",
                "--plain-http", "--state-dir", state, "--json",
            ] + extra
        if let tokens { arguments += ["--harbor-api", "http://127.0.0.1:\(tokens.port)", "--username", user] }
        return try airgap("airgap-install", arguments, environment: ["AIRGAP_REGISTRY_PASSWORD": password])
    }

    func skopeoDigest(_ reference: String, creds: String?) throws -> String {
        var arguments = ["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reference]
        if let creds { arguments.insert("--creds=\(creds)", at: 2) }
        let raw = try Shell.check(arguments).stdout
        return Digest.of(Array(raw.utf8)).description
    }

    @Test func pushesEveryImageIntoANewProjectAndARerunSkipsEverything() throws {
        let fixture = try PushFixture()
        let tokens = try TokenServer(users: ["admin:\(Self.password)"], projects: ["library"])
        let registry = try RegistryServer(.token(tokens))
        let state = fixture.root + "/state"
        let first = try push(fixture, registry: registry, tokens: tokens, state: state)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try JSONDecoder().decode(PushReport.self, from: Data(first.stdout.utf8))
        #expect(report.projectOutcome == .created)
        #expect(report.images == 7)
        #expect(report.blobsUploaded > 0 && report.blobsSkipped == 0)
        #expect(report.tagsPushed == 6)

        // Every image resolves by tag and by digest to the bundle's digest, through skopeo.
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: state + "/relocation.json")))
        #expect(relocation.images.count == 7)
        let creds = "admin:\(Self.password)"
        for entry in relocation.images {
            #expect(fixture.images[entry.source] == entry.digest, "\(entry.source)")
            #expect(try skopeoDigest(entry.target, creds: creds) == entry.digest.description, "\(entry.target)")
            let target = try ImageReference(parsing: entry.target)
            let byDigest = "\(target.registry)/\(target.repository)@\(entry.digest)"
            #expect(try skopeoDigest(byDigest, creds: creds) == entry.digest.description, "\(byDigest)")
        }
        let targets = Dictionary(uniqueKeysWithValues: relocation.images.map { ($0.source, $0.target) })
        #expect(targets["docker.io/library/nginx:1.27"] == "\(registry.host)/astrago/library/nginx:1.27")
        #expect(targets["registry.example/astrago/core:1.0"] == "\(registry.host)/astrago/astrago/core:1.0")
        // Clashing paths from two registries keep their registry name.
        #expect(targets["quay.io/team/tool:2"] == "\(registry.host)/astrago/quay.io/team/tool:2")
        #expect(targets["docker.io/team/tool:2"] == "\(registry.host)/astrago/docker.io/team/tool:2")
        let pinned = fixture.images.first { $0.key.contains("@") }!
        #expect(targets[pinned.key] == "\(registry.host)/astrago/bitnami/keycloak@\(pinned.value)")
        // Charts, files and the verified bundle.json are in the state directory; no password anywhere.
        #expect(FileManager.default.fileExists(atPath: state + "/charts/mychart-1.2.3.tgz"))
        #expect(FileManager.default.fileExists(atPath: state + "/files/README.txt"))
        #expect(FileManager.default.fileExists(atPath: state + "/bundle.json"))
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("push-finished"))
        for text in [first.stdout, first.stderr, journal, try String(contentsOfFile: state + "/relocation.json", encoding: .utf8)] {
            #expect(!text.contains(Self.password))
        }

        let again = try push(fixture, registry: registry, tokens: tokens, state: state)
        #expect(again.status == 0, "\(again.stderr)")
        let rerun = try JSONDecoder().decode(PushReport.self, from: Data(again.stdout.utf8))
        #expect(rerun.projectOutcome == .existed)
        #expect(rerun.alreadyPushed, "the registry's answers through Harbor's token service vouch for every image")
        #expect(rerun.blobsUploaded == 0 && rerun.bytesUploaded == 0)
        #expect(rerun.manifestsPushed == 0 && rerun.tagsPushed == 0 && rerun.tagsUnchanged == 6)
    }

    @Test func wrongPasswordAndAnAccountThatMayNotCreateTheProjectAreRefused() throws {
        let fixture = try PushFixture(largeLayer: 100_000)
        let tokens = try TokenServer(users: ["admin:\(Self.password)", "dev:dev-pass"], projects: ["library"], creators: ["admin"])
        let registry = try RegistryServer(.token(tokens))
        let wrong = try push(fixture, registry: registry, tokens: tokens, password: "not-it", state: fixture.root + "/s1")
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("not accepted"), "\(wrong.stderr)")
        #expect(!wrong.stderr.contains("not-it") && !wrong.stdout.contains("not-it"))
        let denied = try push(fixture, registry: registry, tokens: tokens, user: "dev", password: "dev-pass", state: fixture.root + "/s2")
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("ask a Harbor administrator"), "\(denied.stderr)")
        #expect(registry.storedBlobs().isEmpty)
    }

    @Test func aPlainRegistryWithoutHarborAndTLSWithACAFile() throws {
        let fixture = try PushFixture(largeLayer: 100_000)
        let plain = try RegistryServer()
        let result = try push(fixture, registry: plain, tokens: nil, state: fixture.root + "/plain")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try JSONDecoder().decode(PushReport.self, from: Data(result.stdout.utf8)).projectOutcome == .notHarbor)

        let tls = try RegistryServer(.tls)
        let arguments = [
            "push", fixture.bundle, "--key", fixture.publicKey, "--registry", tls.host, "--project", "astrago", "--state-dir", fixture.root + "/tls",
        ]
        let untrusted = try airgap("airgap-install", arguments)
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("TLS"), "\(untrusted.stderr)")
        let trusted = try airgap("airgap-install", arguments + ["--ca-file", tls.caFile!])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        let digest = fixture.images["docker.io/library/nginx:1.27"]!
        let certDir = fixture.root + "/certs"
        try FileManager.default.createDirectory(atPath: certDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tls.caFile!, toPath: certDir + "/ca.crt")
        let inspected = try Shell.check([
            "skopeo", "inspect", "--raw", "--cert-dir", certDir,
            "docker://\(tls.host)/astrago/library/nginx:1.27",
        ]).stdout
        #expect(Digest.of(Array(inspected.utf8)) == digest)
    }

    @Test func anUntrustedBundleSendsNothingAndAChangedBlobRegistersNoImage() throws {
        let fixture = try PushFixture(largeLayer: 200_000)
        let registry = try RegistryServer()
        // A key that did not sign it: refused before any request reaches the registry.
        let other = fixture.root + "/other"
        try PushFixture.check(try airgap("airgap-bundle", ["keygen", "--out", other]))
        let untrusted = try airgap(
            "airgap-install",
            [
                "push", fixture.bundle, "--key", other + ".pub", "--registry", registry.host, "--project", "astrago",
                "--plain-http", "--state-dir", fixture.root + "/s0",
            ])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("not among the trusted keys"), "\(untrusted.stderr)")
        #expect(registry.storedBlobs().isEmpty)

        // One byte of the shared layer changed (in a plain-tar copy): blobs before it may be
        // uploaded, but no manifest or tag is registered.
        let plainTar = fixture.root + "/plain.tar"
        try Shell.check(["sh", "-c", "zstd -dc '\(fixture.bundle)' > '\(plainTar)'"])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: plainTar)))
        let marker = Array("images/blobs/sha256/\(fixture.sharedLayer.hex)".utf8)
        let header = Self.find(marker, in: bytes)!
        bytes[header + 512 + 1000] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: plainTar))
        let tampered = try airgap(
            "airgap-install",
            [
                "push", plainTar, "--key", fixture.publicKey, "--registry", registry.host, "--project", "astrago",
                "--plain-http", "--state-dir", fixture.root + "/s1",
            ])
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("was changed") && tampered.stderr.contains("nothing was registered"), "\(tampered.stderr)")
        #expect(registry.storedManifests().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/s1/relocation.json"))
    }

    /// A blob already in another repository of the project (pushed by an earlier bundle) is
    /// mounted, not uploaded again.
    @Test func aBlobAlreadyInTheProjectIsMountedNotUploaded() async throws {
        let fixture = try PushFixture()
        let registry = try RegistryServer()
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [registry.host]))
        try await ImageFactory.push(
            fixture.batch, to: try ImageReference(parsing: "\(registry.host)/astrago/astrago/batch"), tag: "0.9", client: client)
        try await client.shutdown()
        let result = try push(fixture, registry: registry, tokens: nil, state: fixture.root + "/state")
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(PushReport.self, from: Data(result.stdout.utf8))
        #expect(report.blobsMounted >= 1)
        #expect(report.bytesUploaded < 1 << 20, "the 3 MiB shared layer was mounted, not sent: \(report.bytesUploaded) bytes uploaded")
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/astrago/astrago/core:1.0"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == fixture.images["registry.example/astrago/core:1.0"])
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for index in 0...(haystack.count - needle.count)
        where haystack[index] == needle[0] && Array(haystack[index..<(index + needle.count)]) == needle {
            return index
        }
        return nil
    }
}
