import Foundation
import Integrity
import OCI
import Registry
import TestSupport
import Testing

/// `airgap-bundle build` end to end against a real registry on loopback: the manifest names
/// images by their real-world references (docker.io, quay.io), and `--mirror` fetches them from
/// the loopback registry while the bundle keeps the original names. Charts render with the Helm
/// stand-in over Helm's Go SDK.
@Suite("Building a bundle from a manifest in one command", .serialized)
struct BuildTests {
    static let helm = TestPaths.repository + "/Tests/Servers/helm-standin/helm"

    /// A registry holding `library/nginx:1.27` (multi-arch) and `team/tool:2`, and a manifest whose
    /// local chart runs `docker.io/library/nginx:1.27` and hands `quay.io/team/tool:2` to an operator.
    struct Fixture {
        let root: String
        let registry: RegistryServer
        let manifest: String
        let key: String
        let publicKey: String
        let nginx: SyntheticIndex
        let tool: SyntheticImage

        init(keyType: String = "ed25519") async throws {
            root = try TestPaths.scratch("build")
            registry = try RegistryServer()
            let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [registry.host]))
            let amd = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 400_000, directory: root)], platform: .linuxAMD64)
            let arm = ImageFactory.image(
                layers: [try ImageFactory.randomLayer(size: 300_000, directory: root)], platform: Platform(os: "linux", architecture: "arm64"))
            nginx = ImageFactory.index([amd, arm])
            try await ImageFactory.push(nginx, to: try ImageReference(parsing: "\(registry.host)/library/nginx"), tag: "1.27", client: client)
            tool = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 100_000, directory: root)])
            try await ImageFactory.push(tool, to: try ImageReference(parsing: "\(registry.host)/team/tool"), tag: "2", client: client)
            try await client.shutdown()

            let chart = root + "/manifest/charts/web"
            try FileManager.default.createDirectory(atPath: chart + "/templates", withIntermediateDirectories: true)
            try "apiVersion: v2\nname: web\nversion: 0.3.0\n".write(toFile: chart + "/Chart.yaml", atomically: true, encoding: .utf8)
            try "image: docker.io/library/nginx:1.27\n".write(toFile: chart + "/values.yaml", atomically: true, encoding: .utf8)
            try """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                    - name: web
                      image: {{ .Values.image }}
                      args: ["--helper-image", "quay.io/team/tool:2"]
            """.write(toFile: chart + "/templates/deployment.yaml", atomically: true, encoding: .utf8)
            try "replicas: 1\nhost: \"{{ .Values.web.host }}\"\n".write(
                toFile: root + "/manifest/web-values.yaml", atomically: true, encoding: .utf8)
            manifest = root + "/manifest/demo.yaml"
            try """
            apiVersion: airgap.astrago.io/v1
            kind: Bundle
            metadata: {name: demo, version: 2.0.0}
            platforms: [linux/amd64]
            siteValues:
              web.host: {description: Host name users reach the web app on, required: true}
            components:
              - name: web
                namespace: web
                chart: {path: charts/web}
                values: [web-values.yaml]
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
            let prefix = root + "/vendor"
            let made = try airgap("airgap-bundle", ["keygen", "--out", prefix, "--type", keyType])
            guard made.status == 0 else { throw TestSupportError("keygen: \(made.stderr)") }
            key = prefix + ".key"
            publicKey = prefix + ".pub"
        }

        func build(_ extra: [String] = [], output: String? = nil, cache: String? = nil) throws -> Shell.Result {
            try airgap(
                "airgap-bundle",
                [
                    "build", manifest, "--key", key, "--output", output ?? root + "/out", "--cache", cache ?? root + "/cache", "--helm",
                    BuildTests.helm,
                    "--mirror", "docker.io=\(registry.host)", "--mirror", "quay.io=\(registry.host)", "--insecure-registry", registry.host,
                ] + extra)
        }
    }

    @Test func buildsLocksAndRebuildsTheLockByteForByte() async throws {
        let fixture = try await Fixture()
        let first = try fixture.build(["--json"])
        #expect(first.status == 0, "\(first.stderr)")
        let bundle = fixture.root + "/out/demo-2.0.0.tar.zst"
        for path in [bundle, bundle + ".sig", bundle + ".sha256", fixture.manifest + ".lock"] {
            #expect(FileManager.default.fileExists(atPath: path), "\(path)")
        }
        // verify, sha256sum -c, and inspect shows the original names.
        #expect(try airgap("airgap-bundle", ["verify", bundle, "--key", fixture.publicKey, "--require-archive-signature"]).status == 0)
        #expect(try Shell.run(["sh", "-c", "cd '\(fixture.root)/out' && sha256sum -c demo-2.0.0.tar.zst.sha256"]).status == 0)
        let inspected = try airgap("airgap-bundle", ["inspect", bundle, "--key", fixture.publicKey])
        #expect(inspected.stdout.contains("docker.io/library/nginx:1.27"), "\(inspected.stdout)")
        #expect(inspected.stdout.contains("quay.io/team/tool:2"))
        #expect(inspected.stdout.contains("1. web (namespace web)"))
        // skopeo reads the unpacked images/ layout.
        let unpacked = fixture.root + "/unpacked"
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        try Shell.check(["sh", "-c", "zstd -dc '\(bundle)' | tar -x -C '\(unpacked)'"])
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "oci:\(unpacked)/images:quay.io/team/tool:2"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == fixture.tool.digest)
        // The stage links the cache's verified blobs, so pack takes every image blob's digest from
        // its name (and checks it while writing) instead of hashing it first.
        let blobCount = try FileManager.default.contentsOfDirectory(atPath: unpacked + "/images/blobs/sha256").count
        #expect(blobCount > 0)
        #expect(first.stdout.contains("\"blobsTrustedByName\" : \(blobCount)"), "\(first.stdout)")
        // What deploy needs travels in the bundle: the site-value declarations and the values files.
        let declared = try String(contentsOfFile: unpacked + "/deploy/site-values.json", encoding: .utf8)
        #expect(declared.contains("\"name\" : \"web.host\"") && declared.contains("\"required\" : true"), "\(declared)")
        #expect(
            try String(contentsOfFile: unpacked + "/deploy/values/web/01-web-values.yaml", encoding: .utf8)
                == "replicas: 1\nhost: \"{{ .Values.web.host }}\"\n")
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: unpacked + "/bundle.json"))) as? [String: Any]
        let components = index?["components"] as? [[String: Any]]
        #expect(components?.first?["values"] as? [String] == ["deploy/values/web/01-web-values.yaml"])

        // The lock names the source digests (the index, and per platform).
        let lock = try String(contentsOfFile: fixture.manifest + ".lock", encoding: .utf8)
        #expect(lock.contains(fixture.nginx.digest.description))
        #expect(lock.contains(fixture.tool.digest.description))

        // Two --locked builds with an Ed25519 key are byte-identical, and fetch nothing.
        let second = try fixture.build(["--locked", "--json"], output: fixture.root + "/out2")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\"bytesFetched\" : 0"), "\(second.stdout)")
        let third = try fixture.build(["--locked"], output: fixture.root + "/out3")
        #expect(third.status == 0, "\(third.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/out2/demo-2.0.0.tar.zst"))
        let b = try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/out3/demo-2.0.0.tar.zst"))
        #expect(a == b)
        #expect(try Data(contentsOf: URL(fileURLWithPath: bundle)) == a, "the first build used the lock's time too")
    }

    @Test func aLockOutOfDateOrAMovedTagIsNamed() async throws {
        let fixture = try await Fixture()
        #expect(try fixture.build().status == 0)
        // The values file changes: --locked refuses, naming the component.
        try "replicas: 2\n".write(toFile: fixture.root + "/manifest/web-values.yaml", atomically: true, encoding: .utf8)
        let changed = try fixture.build(["--locked"], output: fixture.root + "/o2")
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("component \"web\" changed since the lock"), "\(changed.stderr)")
        try "replicas: 1\nhost: \"{{ .Values.web.host }}\"\n".write(
            toFile: fixture.root + "/manifest/web-values.yaml", atomically: true, encoding: .utf8)

        // The tag moves upstream: --locked still builds the locked digest; a build without it moves on.
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [fixture.registry.host]))
        let moved = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 50_000, directory: fixture.root)])
        try await ImageFactory.push(moved, to: try ImageReference(parsing: "\(fixture.registry.host)/team/tool"), tag: "2", client: client)
        try await client.shutdown()
        let locked = try fixture.build(["--locked"], output: fixture.root + "/o3")
        #expect(locked.status == 0, "\(locked.stderr)")
        // The locked digest disappears from the source (deleted): --locked fails naming it.
        let deleted = try Shell.run(["curl", "-sf", "-X", "DELETE", "http://\(fixture.registry.host)/v2/team/tool/manifests/\(fixture.tool.digest)"])
        #expect(deleted.status == 0, "\(deleted.stderr)")
        let gone = try fixture.build(["--locked"], output: fixture.root + "/o4", cache: fixture.root + "/cache2")
        #expect(gone.status == 1)
        #expect(gone.stderr.contains(fixture.tool.digest.description) && gone.stderr.contains("no longer"), "\(gone.stderr)")
        let unlocked = try fixture.build(["--json"], output: fixture.root + "/o5")
        #expect(unlocked.status == 0, "\(unlocked.stderr)")
        #expect(try String(contentsOfFile: fixture.manifest + ".lock", encoding: .utf8).contains(moved.digest.description))
    }

    @Test func badInputGetsAClearMessage() async throws {
        let fixture = try await Fixture()
        // An unreachable registry (no mirror): the image and the host are named.
        let unreachable = try airgap(
            "airgap-bundle",
            [
                "build", fixture.manifest, "--key", fixture.key, "--output", fixture.root + "/x", "--cache", fixture.root + "/c", "--helm", Self.helm,
                "--mirror", "docker.io=127.0.0.1:9", "--mirror", "quay.io=\(fixture.registry.host)", "--insecure-registry", "127.0.0.1:9",
                "--insecure-registry", fixture.registry.host, "--retries", "1",
            ])
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("nginx") && unreachable.stderr.contains("127.0.0.1:9"), "\(unreachable.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/x/demo-2.0.0.tar.zst"))
        // An image missing upstream.
        try FileManager.default.removeItem(atPath: fixture.root + "/manifest/charts/web/values.yaml")
        try "image: docker.io/library/nginx:9.99\n".write(
            toFile: fixture.root + "/manifest/charts/web/values.yaml", atomically: true, encoding: .utf8)
        let missing = try fixture.build(output: fixture.root + "/y")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nginx:9.99"), "\(missing.stderr)")
        // --locked without a lock; an unreadable key.
        let noLock = try fixture.build(["--locked"], output: fixture.root + "/z")
        #expect(noLock.status == 1 && noLock.stderr.contains("no lock file"), "\(noLock.stderr)")
        let badKey = try airgap("airgap-bundle", ["build", fixture.manifest, "--key", fixture.root + "/nope.key", "--helm", Self.helm])
        #expect(badKey.status == 2 && badKey.stderr.contains("nope.key"), "\(badKey.stderr)")
    }
}

func airgap(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Shell.Result {
    try Shell.run([try TestPaths.binary(tool)] + arguments, environment: environment)
}

/// Not enough disk, on a small tmpfs (the tests run as root, as the test command requires): the
/// build stops before fetching or packing, with the numbers, and leaves no bundle.
@Suite("A build checks free disk before fetching and packing", .serialized)
struct DiskSpaceTests {
    @Test func notEnoughDiskIsNamedWithTheNumbers() async throws {
        let fixture = try await BuildTests.Fixture()
        let small = fixture.root + "/small"
        try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
        let mounted = try Shell.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small])
        try #require(mounted.status == 0, "mounting a 1 MB tmpfs needs root: \(mounted.stderr)")
        defer { _ = try? Shell.run(["umount", small]) }
        let cacheFull = try fixture.build([], output: fixture.root + "/out", cache: small + "/cache")
        #expect(cacheFull.status == 2)
        #expect(cacheFull.stderr.contains("not enough free disk") && cacheFull.stderr.contains("bytes needed"), "\(cacheFull.stderr)")
        let outputFull = try fixture.build([], output: small + "/out")
        #expect(outputFull.status == 2)
        #expect(outputFull.stderr.contains("not enough free disk") && outputFull.stderr.contains("write the bundle"), "\(outputFull.stderr)")
        #expect(!FileManager.default.fileExists(atPath: small + "/out/demo-2.0.0.tar.zst"))
    }
}
