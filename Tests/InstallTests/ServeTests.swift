import Foundation
import Install
import OCI
import TestSupport
import Testing

/// `airgap-install serve`: a read-only registry straight from the archive, read by real skopeo,
/// curl and our own `airgap-bundle pull` over loopback.
@Suite("Serving a bundle's images straight from the archive", .serialized)
struct ServeTests {
    /// `docker.io/team/tool:2` → `docker.io/team/tool:2` as a name without `?ns=` (the host as a
    /// path component), or the same with `@digest` for a digest-only reference.
    static func servedName(_ source: String, digest: Digest) throws -> String {
        let reference = try ImageReference(parsing: source)
        let name = RelocationPlan.pathComponent(forRegistry: reference.registry) + "/" + reference.repository
        return name + (reference.tag.map { ":" + $0 } ?? "@\(digest)")
    }

    func skopeoCopiedDigest(_ url: String, scratch: String) throws -> String {
        let directory = scratch + "/copy-\(UUID().uuidString)"
        try Shell.check(["skopeo", "copy", "--all", "--src-tls-verify=false", "docker://" + url, "dir:" + directory])
        return Digest.of(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))).description
    }

    @Test func skopeoAndPullCopyEveryImageByOriginalAndSiteNameWithEqualDigests() throws {
        let fixture = try PushFixture()
        let serve = try ServeProcess(
            bundle: fixture.bundle, key: fixture.publicKey,
            extra: ["--registry", "harbor.site.test:443", "--project", "astrago", "--state-dir", fixture.root + "/serve-state", "--json"],
            directory: fixture.root)
        for (source, digest) in fixture.images {
            let name = try Self.servedName(source, digest: digest)
            #expect(try skopeoCopiedDigest("\(serve.base)/\(name)", scratch: fixture.root) == digest.description, "\(source)")
        }
        // The names push gives them in the site registry (clashing paths keep their registry).
        let site = [
            "astrago/astrago/core:1.0": "registry.example/astrago/core:1.0", "astrago/quay.io/team/tool:2": "quay.io/team/tool:2",
            "astrago/docker.io/team/tool:2": "docker.io/team/tool:2", "astrago/library/nginx:1.27": "docker.io/library/nginx:1.27",
        ]
        for (name, source) in site {
            #expect(try skopeoCopiedDigest("\(serve.base)/\(name)", scratch: fixture.root) == fixture.images[source]?.description, "\(name)")
        }
        // Our own pull, into an OCI layout.
        let layout = fixture.root + "/pulled"
        let pulled = try airgap(
            "airgap-bundle",
            ["pull", "\(serve.base)/registry.example/astrago/core:1.0", "\(serve.base)/astrago/library/nginx:1.27", "--oci-layout", layout]
                + ["--insecure-registry", serve.base])
        #expect(pulled.status == 0, "\(pulled.stderr)")
        let index = try String(contentsOfFile: layout + "/index.json", encoding: .utf8)
        for source in ["registry.example/astrago/core:1.0", "docker.io/library/nginx:1.27"] {
            #expect(index.contains(fixture.images[source]!.description), "\(source) in \(index)")
        }
        #expect(serve.stop() == 0)
        let lines = serve.log().split(separator: "\n")
        #expect(lines.first?.contains(#""event":"listening""#) == true)
        #expect(lines.contains { $0.contains(#""method":"GET""#) && $0.contains(#""status":200"#) && $0.contains(#""client":"127.0.0.1"#) })
        #expect(lines.last == #"{"event":"stopped"}"#)
    }

    @Test func rangesReturnExactlyTheAskedBytesAndContainerdNamespacesKeepRegistriesApart() throws {
        let fixture = try PushFixture()
        let serve = try ServeProcess(bundle: fixture.bundle, key: fixture.publicKey, directory: fixture.root)
        let layer = try ServeBytes.blob(fixture, fixture.sharedLayer)
        let url = "http://\(serve.base)/v2/astrago/core/blobs/\(fixture.sharedLayer)?ns=registry.example"
        let middle = try CurlAnswer.fetch(url, headers: ["Range: bytes=1000-2500000"], scratch: fixture.root)
        #expect(middle.status == 206)
        #expect(middle.headers["content-range"] == "bytes 1000-2500000/\(layer.count)")
        #expect(middle.body == Array(layer[1000...2_500_000]))
        let tail = try CurlAnswer.fetch(url, headers: ["Range: bytes=3000000-"], scratch: fixture.root)
        #expect(tail.status == 206 && tail.body == Array(layer[3_000_000...]))
        let whole = try CurlAnswer.fetch(url, scratch: fixture.root)
        #expect(whole.status == 200 && whole.body == layer)
        #expect(whole.headers["docker-content-digest"] == fixture.sharedLayer.description)
        #expect(whole.headers["content-length"] == "\(layer.count)")
        let outside = try CurlAnswer.fetch(url, headers: ["Range: bytes=\(layer.count)-"], scratch: fixture.root)
        #expect(outside.status == 416)

        // The same repository path from two registries: ?ns= picks one, no ns and no host is unknown.
        let quay = try CurlAnswer.fetch("http://\(serve.base)/v2/team/tool/manifests/2?ns=quay.io", method: "HEAD", scratch: fixture.root)
        let hub = try CurlAnswer.fetch("http://\(serve.base)/v2/team/tool/manifests/2?ns=docker.io", method: "HEAD", scratch: fixture.root)
        #expect(quay.headers["docker-content-digest"] == fixture.images["quay.io/team/tool:2"]?.description)
        #expect(hub.headers["docker-content-digest"] == fixture.images["docker.io/team/tool:2"]?.description)
        #expect(hub.headers["content-type"] == "application/vnd.oci.image.manifest.v1+json")
        let nginx = try CurlAnswer.fetch("http://\(serve.base)/v2/library/nginx/manifests/1.27?ns=docker.io", scratch: fixture.root)
        #expect(nginx.headers["content-type"] == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(Digest.of(nginx.body) == fixture.images["docker.io/library/nginx:1.27"])
        let bare = try CurlAnswer.fetch("http://\(serve.base)/v2/team/tool/manifests/2", scratch: fixture.root)
        #expect(bare.status == 404 && String(decoding: bare.body, as: UTF8.self).contains("NAME_UNKNOWN"))
        #expect(serve.stop() == 0)
    }

    @Test func unknownNamesGetTheSpecsErrorsAndWritesAreRefused() throws {
        let fixture = try PushFixture()
        let serve = try ServeProcess(bundle: fixture.bundle, key: fixture.publicKey, directory: fixture.root)
        let root = "http://\(serve.base)/v2"
        let base = try CurlAnswer.fetch(root + "/", scratch: fixture.root)
        #expect(base.status == 200 && base.headers["docker-distribution-api-version"] == "registry/2.0")
        func code(_ answer: CurlAnswer) -> String? {
            let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: [[String: String]]]
            return object?["errors"]?.first?["code"]
        }
        let noName = try CurlAnswer.fetch(root + "/no/such/manifests/1", scratch: fixture.root)
        #expect(noName.status == 404 && code(noName) == "NAME_UNKNOWN")
        let noTag = try CurlAnswer.fetch(root + "/library/nginx/manifests/9.9?ns=docker.io", scratch: fixture.root)
        #expect(noTag.status == 404 && code(noTag) == "MANIFEST_UNKNOWN")
        let noBlob = try CurlAnswer.fetch(
            root + "/library/nginx/blobs/sha256:\(String(repeating: "0", count: 64))?ns=docker.io", scratch: fixture.root)
        #expect(noBlob.status == 404 && code(noBlob) == "BLOB_UNKNOWN")
        // A blob of another repository is not handed out under this one.
        let foreign = try CurlAnswer.fetch(root + "/library/nginx/blobs/\(fixture.sharedLayer)?ns=docker.io", scratch: fixture.root)
        #expect(foreign.status == 404 && code(foreign) == "BLOB_UNKNOWN")
        for method in ["PUT", "POST", "PATCH", "DELETE"] {
            let write = try CurlAnswer.fetch(root + "/library/nginx/manifests/1.27?ns=docker.io", method: method, scratch: fixture.root)
            #expect(write.status == 405 && code(write) == "UNSUPPORTED", "\(method)")
        }
        let tags = try CurlAnswer.fetch(root + "/team/tool/tags/list?ns=quay.io", scratch: fixture.root)
        #expect(String(decoding: tags.body, as: UTF8.self) == #"{"name":"team/tool","tags":["2"]}"#)
        let catalog = try CurlAnswer.fetch(root + "/_catalog", scratch: fixture.root)
        let listed = try JSONSerialization.jsonObject(with: Data(catalog.body)) as? [String: [String]]
        #expect(listed?["repositories"]?.contains("quay.io/team/tool") == true)
        #expect(listed?["repositories"]?.contains("library/nginx") == true)
        #expect(listed?["repositories"]?.contains("team/tool") == false)
        #expect(serve.stop() == 0)
        #expect(serve.log().contains("PUT /v2/library/nginx/manifests/1.27?ns=docker.io 405"))
    }

    @Test func anArchiveChangedAfterTheStartIsCutOffNeverServedAsGood() throws {
        let fixture = try PushFixture()
        let served = fixture.root + "/served.tar.zst"
        try FileManager.default.copyItem(atPath: fixture.bundle, toPath: served)
        let serve = try ServeProcess(bundle: served, key: fixture.publicKey, directory: fixture.root)
        try ServeBytes.copyWithChangedByte(fixture, in: fixture.sharedLayer, to: fixture.root + "/changed.tar.zst")
        // Overwrite in place (same inode): the server's open file now holds the changed byte.
        let changed = try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/changed.tar.zst"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: served))
        try handle.write(contentsOf: changed)
        try handle.close()
        let url = "http://\(serve.base)/v2/astrago/core/blobs/\(fixture.sharedLayer)?ns=registry.example"
        let answer = try CurlAnswer.fetch(url, scratch: fixture.root)
        let layer = try ServeBytes.blob(fixture, fixture.sharedLayer)
        #expect(answer.exitCode != 0, "curl took a changed blob as complete")
        #expect(answer.body.count < layer.count)
        #expect(serve.stop() == 0)
        #expect(serve.log().contains("cut off"))
    }

    @Test func aBundleWithOneChangedByteIsRefusedAtTheStartAndNothingListens() throws {
        let fixture = try PushFixture()
        let changed = fixture.root + "/changed.tar.zst"
        try ServeBytes.copyWithChangedByte(fixture, in: fixture.sharedLayer, to: changed)
        let port = try Loopback.freePort()
        let result = try airgap("airgap-install", ["serve", changed, "--key", fixture.publicKey, "--listen", "127.0.0.1:\(port)"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains(changed))
        #expect(!Loopback.isListening(port))
    }

    @Test func aFormatOneBundleIsRefusedBeforeTheVerifyWithHowToGetFormatTwo() throws {
        let fixture = try PushFixture()
        let formatOne = fixture.root + "/format1.tar.zst"
        let packed = try airgap(
            "airgap-bundle",
            [
                "pack", fixture.root + "/stage", "--key", fixture.privateKey, "--output", formatOne, "--name", "astrago", "--version", "1.0.0",
                "--format", "1",
            ])
        try #require(packed.status == 0, "\(packed.stderr)")
        let port = try Loopback.freePort()
        let result = try airgap("airgap-install", ["serve", formatOne, "--key", fixture.publicKey, "--listen", "127.0.0.1:\(port)"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("is a format-1 bundle"))
        #expect(result.stderr.contains("without --format 1"))
        #expect(result.stderr.contains("airgap-install push"))
        #expect(!Loopback.isListening(port))
    }

    /// 50 clients reading a 24 MiB blob slowly (curl --limit-rate) do not hold up a 51st, which
    /// gets the whole blob while they are all still downloading; serve's peak memory stays under
    /// 150 MB (its VmHWM, read from /proc).
    @Test func fiftySlowDownloadsStayInBoundedMemoryAndNeverHoldUpAnother() throws {
        let fixture = try PushFixture(largeLayer: 24 << 20)
        let serve = try ServeProcess(bundle: fixture.bundle, key: fixture.publicKey, directory: fixture.root)
        let url = "http://\(serve.base)/v2/astrago/core/blobs/\(fixture.sharedLayer)?ns=registry.example"
        // One shell runs the 50 curls and records their PIDs; they are stopped by those PIDs (SIGKILL:
        // a test runner may start its children with SIGTERM ignored), then the shell ends by itself.
        let pids = fixture.root + "/slow.pids"
        let script = """
            for n in $(seq 0 49); do curl -sS --limit-rate 100k -o "\(fixture.root)/slow-$n" '\(url)' & echo $! >> '\(pids)'; done
            wait
            """
        let slow = try BackgroundProcess(["sh", "-c", script], directory: fixture.root, logPath: fixture.root + "/slow.log")
        func stopSlowClients() {
            let listed = (try? String(contentsOfFile: pids, encoding: .utf8)) ?? ""
            for pid in listed.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            slow.stop()
        }
        defer { stopSlowClients() }
        // Every slow client has its first bytes: all 50 responses are under way.
        func received(_ number: Int) -> Int {
            (try? FileManager.default.attributesOfItem(atPath: fixture.root + "/slow-\(number)")[.size] as? Int) ?? 0
        }
        while !(0..<50).allSatisfy({ received($0) > 0 }) {
            try #require(slow.process.isRunning, "the slow clients stopped early: \(slow.log())")
            usleep(100_000)
        }
        let fast = try CurlAnswer.fetch(url, scratch: fixture.root)
        let layer = try ServeBytes.blob(fixture, fixture.sharedLayer)
        #expect(fast.status == 200 && fast.body == layer)
        #expect((0..<50).allSatisfy { received($0) < layer.count }, "the slow clients were to be still downloading")
        let status = try String(contentsOfFile: "/proc/\(serve.process.pid)/status", encoding: .utf8)
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }.flatMap { Int($0.split(separator: " ")[1]) } ?? Int.max
        #expect(peak < 150 * 1024, "peak RSS \(peak) kB")
        print("serve: peak RSS \(peak) kB with 50 slow downloads and one fast one")
        stopSlowClients()
        #expect(serve.stop() == 0)
    }

    @Test func servesHTTPSWithTheGivenCertificate() throws {
        let fixture = try PushFixture()
        try Shell.check([
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", fixture.root + "/serve.key", "-out", fixture.root + "/serve.crt",
        ])
        let serve = try ServeProcess(
            bundle: fixture.bundle, key: fixture.publicKey,
            extra: ["--tls-cert", fixture.root + "/serve.crt", "--tls-key", fixture.root + "/serve.key"], directory: fixture.root)
        let digest = try Shell.check([
            "skopeo", "inspect", "--raw", "--cert-dir", try Self.certDirectory(fixture.root), "docker://\(serve.base)/docker.io/library/nginx:1.27",
        ])
        #expect(Digest.of(Array(digest.stdout.utf8)) == fixture.images["docker.io/library/nginx:1.27"])
        #expect(serve.stop() == 0)
        #expect(serve.log().contains("at https://127.0.0.1:\(serve.port)"))
    }

    /// A folder holding only the test CA, as skopeo's --cert-dir wants it.
    static func certDirectory(_ root: String) throws -> String {
        let directory = root + "/certs"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/serve.crt", toPath: directory + "/ca.crt")
        return directory
    }
}
