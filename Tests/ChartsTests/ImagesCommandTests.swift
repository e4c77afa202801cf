import Foundation
import TestSupport
import Testing

/// `airgap-bundle images` over a manifest of several components, run as a user runs it: one
/// component's chart repository is unreachable (a loopback port bound but not listening) and one chart
/// does not render; the others are still listed, the failures are named with their reasons, and
/// the exit status is 1.
@Suite("images lists every component and names the ones that failed")
struct ImagesCommandTests {
    static let charts = TestPaths.repository + "/Tests/Fixtures/charts"
    static let helmDirectory = TestPaths.repository + "/Tests/Servers/helm-standin"

    struct Listing: Decodable {
        struct Component: Decodable {
            struct Image: Decodable { var reference: String; var sources: [String] }
            var name: String
            var chart: String
            var images: [Image]
            var error: String?
        }
        var components: [Component]
        var failed: [String]
    }

    func manifest(_ components: [String], in root: String) throws -> String {
        let path = root + "/manifest.yaml"
        try (["apiVersion: airgap.astrago.io/v1", "kind: Bundle", "metadata: {name: t, version: 1.0.0}", "components:"] + components)
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func images(_ manifest: String, _ extra: [String], root: String) throws -> Shell.Result {
        try Shell.run(
            [try TestPaths.binary("airgap-bundle"), "images", manifest, "--cache", root + "/cache"] + extra,
            environment: ["PATH": Self.helmDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
    }

    @Test func anUnreachableChartDoesNotHideTheOtherComponents() throws {
        let root = try TestPaths.scratch("images-failed")
        let closed = try ClosedPort()
        let port = closed.port
        let path = try manifest(
            [
                "  - {name: storage, namespace: ns, chart: {path: \(Self.charts)/hardcoded}}",
                "  - {name: unreachable, namespace: ns, chart: {repository: \"http://127.0.0.1:\(port)/charts\", name: gone, version: 1.0.0}}",
                "  - {name: broken, namespace: ns, chart: {path: \(Self.charts)/broken}}",
                "  - {name: restore, namespace: ns, chart: {path: \(Self.charts)/configmap-image-key}}",
            ], in: root)
        let insecure = ["--insecure-registry", "127.0.0.1:\(port)"]

        let json = try images(path, insecure + ["--json"], root: root)
        #expect(json.status == 1, "\(json.stderr)")
        let listing = try JSONDecoder().decode(Listing.self, from: Data(json.stdout.utf8))
        #expect(listing.components.map(\.name) == ["storage", "unreachable", "broken", "restore"])
        #expect(listing.failed == ["unreachable", "broken"])
        let byName = Dictionary(uniqueKeysWithValues: listing.components.map { ($0.name, $0) })
        #expect(byName["storage"]?.images.map(\.reference) == ["docker.io/library/alpine:3.19", "registry.k8s.io/sig-storage/nfsplugin:v4.7.0"])
        #expect(byName["restore"]?.images.count == 6)
        #expect(byName["storage"]?.error == nil && byName["restore"]?.error == nil)
        let unreachable = try #require(byName["unreachable"]?.error)
        #expect(unreachable.contains("127.0.0.1:\(port)") && unreachable.contains("connection refused"), "\(unreachable)")
        #expect(byName["unreachable"]?.chart.contains("gone 1.0.0 from http://127.0.0.1:\(port)/charts") == true)
        #expect(byName["broken"]?.error?.contains("parse error at (broken/templates/configmap.yaml:7)") == true)
        #expect(byName["unreachable"]?.images.isEmpty == true)
        #expect(!json.stdout.contains("\"error\" : null"), "a component without error has no error key")
        #expect(json.stderr.contains("2 of 4 components failed"), "\(json.stderr)")
        #expect(json.stderr.contains("component \"unreachable\": chart repository http://127.0.0.1:\(port)/charts"), "\(json.stderr)")

        let text = try images(path, insecure, root: root)
        #expect(text.status == 1)
        #expect(text.stdout.contains("storage (chart hardcoded 4.7.0)\n  docker.io/library/alpine:3.19"), "\(text.stdout)")
        #expect(
            text.stdout.contains("unreachable (chart gone 1.0.0 from http://127.0.0.1:\(port)/charts)\n  FAILED: chart repository"), "\(text.stdout)")
        #expect(text.stdout.contains("broken (chart \(Self.charts)/broken)\n  FAILED: helm template failed"), "\(text.stdout)")
        #expect(text.stdout.contains("docker.io/velero/velero:v1.17.1\n      from ConfigMap/fs-restore-action-config data[image]"), "\(text.stdout)")
        withExtendedLifetime(closed) {}
    }

    @Test func whenAllComponentsSucceedNothingIsMarkedFailed() throws {
        let root = try TestPaths.scratch("images-ok")
        let path = try manifest(["  - {name: storage, namespace: ns, chart: {path: \(Self.charts)/hardcoded}}"], in: root)
        let json = try images(path, ["--json"], root: root)
        #expect(json.status == 0, "\(json.stderr)")
        let listing = try JSONDecoder().decode(Listing.self, from: Data(json.stdout.utf8))
        #expect(listing.failed.isEmpty)
        #expect(listing.components.count == 1 && listing.components[0].error == nil)
        #expect(!json.stdout.contains("\"error\""))
        let text = try images(path, [], root: root)
        #expect(text.status == 0 && !text.stdout.contains("FAILED"), "\(text.stdout)")
    }
}
