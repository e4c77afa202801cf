import ChartResolution
import Foundation
import Integrity
import OCI
import Registry
import TestSupport
import Testing

/// Charts served the three ways a manifest names them: an HTTP chart repository on loopback
/// (python's http.server over an index.yaml the test writes), an OCI chart pushed to a real
/// registry with Helm's media types, and a local directory with a dependency to fetch.
@Suite("Chart resolution from HTTP repositories, OCI registries and local directories", .serialized)
struct ChartResolutionTests {
    static let helmDirectory = TestPaths.repository + "/Tests/Servers/helm-standin"
    static let fixture = TestPaths.repository + "/Tests/Fixtures/charts/appversion-tag"

    let root: String
    let repositoryPort: Int
    let server: BackgroundProcess
    var repositoryURL: String { "http://127.0.0.1:\(repositoryPort)" }

    /// Packages the fixture chart as versions 1.2.0, 1.3.0 and 2.0.0 (appVersion v1.<minor>), and a
    /// "tampered" chart whose index digest is wrong; serves them with an index.yaml.
    init() throws {
        root = try TestPaths.scratch("chartrepo")
        let served = root + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        var entries: [String] = []
        for (name, version, appVersion) in [
            ("nodeexp", "1.2.0", "v1.2.0"), ("nodeexp", "1.3.0", "v1.3.0"), ("nodeexp", "2.0.0", "v2.0.0"), ("tampered", "1.0.0", "v1.0.0"),
        ] {
            let archive = try Self.packageVariant(name: name, version: version, appVersion: appVersion, into: served, scratch: root)
            var digest = try SHA256Hasher.hashFile(atPath: archive).hex
            if name == "tampered" { digest = String(repeating: "0", count: 64) }
            entries.append(
                """
                  - name: \(name)
                    version: \(version)
                    appVersion: \(appVersion)
                    urls: [\((archive as NSString).lastPathComponent)]
                    digest: \(digest)
                """)
        }
        let byName = Dictionary(grouping: entries) { $0.split(separator: "\n")[0].contains("nodeexp") ? "nodeexp" : "tampered" }
        var index = "apiVersion: v1\nentries:\n"
        for (name, list) in byName.sorted(by: { $0.key < $1.key }) { index += "  \(name):\n" + list.joined(separator: "\n") + "\n" }
        try index.write(toFile: served + "/index.yaml", atomically: true, encoding: .utf8)
        // A free port can be taken by a parallel test between the check and the bind: try again.
        var started: (Int, BackgroundProcess)?
        for _ in 0..<3 where started == nil {
            let port = try Loopback.freePort()
            let process = try BackgroundProcess(
                ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", served],
                directory: root, logPath: root + "/http.log")
            do { try Loopback.waitUntilListening(port, process: process); started = (port, process) } catch { process.stop() }
        }
        guard let (port, process) = started else { throw TestSupportError("the chart repository server did not start") }
        repositoryPort = port
        server = process
    }

    /// A copy of the fixture chart under another name/version, packaged with `helm package`.
    static func packageVariant(name: String, version: String, appVersion: String, into destination: String, scratch: String) throws -> String {
        let copy = "\(scratch)/src-\(name)-\(version)/\(name)"
        try FileManager.default.createDirectory(atPath: (copy as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture, toPath: copy)
        let chartYAML =
            try String(contentsOfFile: copy + "/Chart.yaml", encoding: .utf8).split(separator: "\n")
            .map { line -> String in
                if line.hasPrefix("name:") { return "name: \(name)" }
                if line.hasPrefix("version:") { return "version: \(version)" }
                if line.hasPrefix("appVersion:") { return "appVersion: \"\(appVersion)\"" }
                return String(line)
            }.joined(separator: "\n") + "\n"
        try chartYAML.write(toFile: copy + "/Chart.yaml", atomically: true, encoding: .utf8)
        try Shell.check([helmDirectory + "/helm", "package", copy, "--destination", destination])
        return "\(destination)/\(name)-\(version).tgz"
    }

    func manifest(_ chart: String, extra: String = "") throws -> String {
        let path = root + "/m-\(UUID().uuidString.prefix(6)).yaml"
        try """
        apiVersion: airgap.astrago.io/v1
        kind: Bundle
        metadata: {name: t, version: 1.0.0}
        components:
          - name: exporter
            namespace: monitoring
            chart: \(chart)
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func images(_ manifestPath: String, extra: [String] = [], path: String? = nil) throws -> Shell.Result {
        try Shell.run(
            [try TestPaths.binary("airgap-bundle"), "images", manifestPath, "--cache", root + "/cache"] + extra,
            environment: ["PATH": path ?? (Self.helmDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? ""))])
    }

    @Test func httpRepositoryPicksTheHighestMatchAndChecksTheDigest() throws {
        let insecure = ["--insecure-registry", "127.0.0.1:\(repositoryPort)", "--json"]
        let result = try images(try manifest("{repository: \(repositoryURL), name: nodeexp, version: ^1.2}"), extra: insecure)
        #expect(result.status == 0, "\(result.stderr)")
        // appVersion v1.3.0 is the default tag: the 1.3.0 chart was chosen, not 2.0.0.
        #expect(result.stdout.contains("quay.io/prometheus/node-exporter:v1.3.0"), "\(result.stdout)")
        #expect(result.stdout.contains("\"chart\" : \"nodeexp 1.3.0\""))

        let none = try images(try manifest("{repository: \(repositoryURL), name: nodeexp, version: ^3.0}"), extra: insecure)
        #expect(none.status == 1)
        #expect(none.stderr.contains("no version of chart \"nodeexp\""), "\(none.stderr)")
        #expect(none.stderr.contains("nearest: 2.0.0, 1.3.0, 1.2.0"), "\(none.stderr)")

        let tampered = try images(try manifest("{repository: \(repositoryURL), name: tampered, version: 1.0.0}"), extra: insecure)
        #expect(tampered.status == 1)
        #expect(tampered.stderr.contains("the repository index says 0000"), "\(tampered.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root + "/cache/charts/tampered-1.0.0.tgz"))

        let plain = try images(try manifest("{repository: \(repositoryURL), name: nodeexp, version: ^1.2}"))
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("--insecure-registry 127.0.0.1:\(repositoryPort)"), "\(plain.stderr)")
    }

    @Test func ociChartsResolveByTagOrConstraint() async throws {
        let registry = try RegistryServer()
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [registry.host]))
        let repository = try ImageReference(parsing: "\(registry.host)/charts/nodeexp")
        for version in ["1.2.0", "1.3.0", "2.0.0"] {
            let archive = root + "/served/nodeexp-\(version).tgz"
            let layerBytes = Array(try Data(contentsOf: URL(fileURLWithPath: archive)))
            let layer = Descriptor(
                mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: Digest.of(layerBytes), size: Int64(layerBytes.count))
            let configBytes = Array(#"{"apiVersion":"v2","name":"nodeexp","version":"\#(version)"}"#.utf8)
            let config = Descriptor(
                mediaType: "application/vnd.cncf.helm.config.v1+json", digest: Digest.of(configBytes), size: Int64(configBytes.count))
            try await client.uploadBlob(.bytes(layerBytes), as: layer, to: repository)
            try await client.uploadBlob(.bytes(configBytes), as: config, to: repository)
            let manifest = ImageManifest(config: config, layers: [layer])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try await client.putManifest(Array(try encoder.encode(manifest)), mediaType: MediaType.ociManifest, reference: version, in: repository)
        }
        try await client.shutdown()
        let insecure = ["--insecure-registry", registry.host]
        let tilde = try images(try manifest("{oci: oci://\(registry.host)/charts/nodeexp, version: ~1.2}"), extra: insecure)
        #expect(tilde.status == 0, "\(tilde.stderr)")
        #expect(tilde.stdout.contains("node-exporter:v1.2.0"), "\(tilde.stdout)")
        let exact = try images(try manifest("{oci: oci://\(registry.host)/charts/nodeexp, version: 2.0.0}"), extra: insecure)
        #expect(exact.stdout.contains("node-exporter:v2.0.0"), "\(exact.stderr)")
        let missing = try images(try manifest("{oci: oci://\(registry.host)/charts/nodeexp, version: 9.9.9}"), extra: insecure)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("nodeexp:9.9.9") && missing.stderr.contains("404"), "\(missing.stderr)")
    }

    @Test func aLocalChartsMissingDependencyIsFetched() throws {
        let parent = root + "/parent"
        try FileManager.default.createDirectory(atPath: parent + "/templates", withIntermediateDirectories: true)
        try """
        apiVersion: v2
        name: parent
        version: 0.1.0
        dependencies:
          - name: nodeexp
            version: "~1.2"
            repository: \(repositoryURL)
        """.write(toFile: parent + "/Chart.yaml", atomically: true, encoding: .utf8)
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: main, image: \"busybox:1.36\"}\n"
            .write(toFile: parent + "/templates/pod.yaml", atomically: true, encoding: .utf8)
        let result = try images(try manifest("{path: \(parent)}"), extra: ["--insecure-registry", "127.0.0.1:\(repositoryPort)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("docker.io/library/busybox:1.36"))
        #expect(result.stdout.contains("quay.io/prometheus/node-exporter:v1.2.0"), "\(result.stdout)")
        #expect(!FileManager.default.fileExists(atPath: parent + "/charts"), "the chart's own directory is left untouched")
    }

    @Test func localChartsArePackagedDeterministically() async throws {
        let client = try RegistryClient()
        defer { Task { try? await client.shutdown() } }
        var digests: [String] = []
        for round in 0..<2 {
            let resolver = try ChartResolver(client: client, cacheDirectory: root + "/cache-\(round)")
            let chart = try await resolver.resolve(.path(TestPaths.repository + "/Tests/Fixtures/charts/subcharts"))
            digests.append(chart.sha256)
            #expect(chart.name == "subcharts")
        }
        #expect(digests[0] == digests[1])
    }

    @Test func helmErrorsNoHelmAndGuessing() throws {
        let broken = try images(try manifest("{path: \(TestPaths.repository)/Tests/Fixtures/charts/broken}"))
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("helm template failed for component \"exporter\""), "\(broken.stderr)")
        #expect(broken.stderr.contains("parse error"), "\(broken.stderr)")

        let noHelm = try images(try manifest("{path: \(Self.fixture)}"), path: "/usr/bin:/bin")
        #expect(noHelm.status == 2)
        #expect(noHelm.stderr.contains("no helm on PATH"), "\(noHelm.stderr)")

        let guessed = try images(try manifest("{path: \(Self.fixture)}"), extra: ["--no-render"], path: "/usr/bin:/bin")
        #expect(guessed.status == 0, "\(guessed.stderr)")
        #expect(guessed.stderr.contains("GUESSED"))
        #expect(guessed.stdout.contains("GUESSED"))
        #expect(guessed.stdout.contains("quay.io/prometheus/node-exporter"), "\(guessed.stdout)")
    }
}
