import Foundation
import OCI
import TestSupport
import Testing

/// `node-config` for a real containerd (Debian's 1.6, run by the test as root in a temporary
/// folder): it pulls and unpacks every image through `serve` by the hosts.toml files node-config
/// wrote. Every endpoint those files name is loopback (checked before containerd starts):
/// containerd falls back to an image's upstream registry otherwise, which must never be contacted.
@Suite("Nodes pull through serve: node-config for a real containerd", .serialized)
struct NodeConfigContainerdTests {
    /// Where push puts each image of `UnpackableBundle` in the site registry (project astrago).
    static let siteNames = [
        "docker.io/library/app:1": "astrago/library/app:1", "quay.io/team/tool:2": "astrago/quay.io/team/tool:2",
        "docker.io/team/tool:2": "astrago/docker.io/team/tool:2", "registry.example/astrago/core:1.0": "astrago/astrago/core:1.0",
    ]

    /// Every `server` and `[host."…"]` of every hosts.toml under `directory` is 127.0.0.1.
    static func endpoints(_ directory: String) throws -> [String] {
        var found: [String] = []
        for path in try FileManager.default.subpathsOfDirectory(atPath: directory) where path.hasSuffix("hosts.toml") {
            for line in try String(contentsOfFile: directory + "/" + path, encoding: .utf8).split(separator: "\n")
            where line.hasPrefix("server") || line.hasPrefix("[host.") {
                let quoted = line.split(separator: "\"")
                if quoted.count >= 2 { found.append(String(quoted[1])) }
            }
        }
        return found
    }

    @Test func containerdPullsAndUnpacksEveryImageByOriginalAndSiteNameBeforeTheSiteRegistryExists() throws {
        let bundle = try UnpackableBundle()
        // Nothing listens at the site registry's address: it does not exist yet.
        let site = "127.0.0.1:\(try Loopback.freePort())"
        let serve = try ServeProcess(
            bundle: bundle.bundle, key: bundle.publicKey,
            extra: ["--registry", site, "--project", "astrago", "--state-dir", bundle.root + "/serve-state"], directory: bundle.root)
        let hosts = bundle.root + "/node-config"
        let written = try airgap(
            "airgap-install",
            [
                "node-config", bundle.bundle, "--key", bundle.publicKey, "--runtime", "containerd", "--serve", "http://\(serve.base)", "--registry",
                site,
                "--project", "astrago", "--plain-http", "--output", hosts,
            ])
        #expect(written.status == 0, "\(written.stderr)")
        for host in ["docker.io", "quay.io", "registry.example", site] {
            #expect(FileManager.default.fileExists(atPath: hosts + "/\(host)/hosts.toml"), "\(host)")
        }
        let endpoints = try Self.endpoints(hosts)
        #expect(endpoints.count == 8)  // four hosts.toml files: a server and one host table each
        try #require(endpoints.allSatisfy { $0.hasPrefix("http://127.0.0.1:") }, "\(endpoints)")
        #expect(try String(contentsOfFile: hosts + "/config_path.toml", encoding: .utf8).contains(#"[plugins."io.containerd.grpc.v1.cri".registry]"#))

        let node = try ContainerdNode(hostsDirectory: hosts)
        defer { node.stop() }
        for (reference, digest) in bundle.images {
            for name in [reference, site + "/" + Self.siteNames[reference]!] {
                let pulled = try node.ctr(["images", "pull", "--hosts-dir", hosts, name])
                #expect(pulled.status == 0, "\(name): \(pulled.stderr)")
                #expect(pulled.stdout.contains("unpacking linux/amd64 \(digest)"), "\(name): \(pulled.stdout)")
                #expect(try node.digest(of: name) == digest.description, "\(name)")
            }
        }
        let log = serve.log()
        #expect(log.contains("/v2/team/tool/manifests/2?ns=quay.io 200"))
        #expect(log.contains("/v2/team/tool/manifests/2?ns=docker.io 200"))
        #expect(log.contains("/v2/astrago/library/app/manifests/1?ns=\(site.replacingOccurrences(of: ":", with: "%3A")) 200"))
        node.stop()
        #expect(serve.stop() == 0)
    }

    /// The handoff: after push into a real docker-registry playing the site registry and
    /// node-config --after-push, the same containerd pulls from the registry (serve sees none of
    /// those requests), and falls back to serve once the registry is stopped.
    @Test func afterPushContainerdPullsFromTheSiteRegistryAndFallsBackToServe() throws {
        let bundle = try UnpackableBundle()
        let port = try Loopback.freePort()
        let site = "127.0.0.1:\(port)"
        let serve = try ServeProcess(
            bundle: bundle.bundle, key: bundle.publicKey,
            extra: ["--registry", site, "--project", "astrago", "--state-dir", bundle.root + "/serve-state"], directory: bundle.root)
        let registry = try RegistryServer(.plainHTTP, port: port)
        let pushed = try airgap(
            "airgap-install",
            [
                "push", bundle.bundle, "--key", bundle.publicKey, "--registry", site, "--project", "astrago", "--plain-http", "--state-dir",
                bundle.root + "/state",
            ])
        try #require(pushed.status == 0, "\(pushed.stderr)")
        let hosts = bundle.root + "/node-config"
        let written = try airgap(
            "airgap-install",
            [
                "node-config", bundle.bundle, "--key", bundle.publicKey, "--runtime", "containerd", "--serve", "http://\(serve.base)", "--registry",
                site,
                "--project", "astrago", "--plain-http", "--after-push", "--output", hosts,
            ])
        #expect(written.status == 0, "\(written.stderr)")
        let endpoints = try Self.endpoints(hosts)
        try #require(endpoints.allSatisfy { $0.hasPrefix("http://127.0.0.1:") }, "\(endpoints)")
        let siteFile = try String(contentsOfFile: hosts + "/\(site)/hosts.toml", encoding: .utf8)
        let registryTable = try #require(siteFile.range(of: "[host.\"http://\(site)\"]"))
        let serveTable = try #require(siteFile.range(of: "[host.\"http://\(serve.base)\"]"))
        #expect(registryTable.lowerBound < serveTable.lowerBound)

        let node = try ContainerdNode(hostsDirectory: hosts)
        defer { node.stop() }
        let expected = bundle.images.flatMap { [($0.key, $0.value), (site + "/" + Self.siteNames[$0.key]!, $0.value)] }
        let names = expected.map(\.0)
        let servedBefore = serve.log().split(separator: "\n").count
        for (name, digest) in expected {
            let pulled = try node.ctr(["images", "pull", "--hosts-dir", hosts, name])
            #expect(pulled.status == 0, "\(name): \(pulled.stderr)")
            #expect(try node.digest(of: name) == digest.description, "\(name)")
        }
        // Every byte came from the site registry: serve answered nothing.
        #expect(serve.log().split(separator: "\n").count == servedBefore, "\(serve.log())")

        registry.stop()
        #expect(try node.ctr(["images", "rm", "--sync"] + names).status == 0)
        for name in names {
            let pulled = try node.ctr(["images", "pull", "--hosts-dir", hosts, name])
            #expect(pulled.status == 0, "\(name): \(pulled.stderr)")
            #expect(pulled.stdout.contains("unpacking linux/amd64"), "\(name): \(pulled.stdout)")
        }
        let log = serve.log()
        #expect(log.contains("/v2/astrago/library/app/manifests/1?ns=\(site.replacingOccurrences(of: ":", with: "%3A")) 200"))
        #expect(log.contains("/v2/library/app/manifests/1?ns=docker.io 200"))
        #expect(log.contains("/v2/team/tool/manifests/2?ns=quay.io 200"))
        node.stop()
        #expect(serve.stop() == 0)
    }
}
