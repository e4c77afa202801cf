import ChartResolution
import Foundation
import Registry
import Rendering
import TestSupport
import Testing

@Suite("The bundle manifest: fields, and errors with file, line and hint")
struct ManifestParserTests {
    let dir: String
    init() throws {
        dir = try TestPaths.scratch("manifest")
        try FileManager.default.createDirectory(atPath: dir + "/values", withIntermediateDirectories: true)
        try "a: 1\n".write(toFile: dir + "/values/x.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: dir + "/charts/local", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: local\nversion: 0.1.0\n".write(toFile: dir + "/charts/local/Chart.yaml", atomically: true, encoding: .utf8)
    }

    func parse(_ text: String) throws -> BundleManifest { try ManifestParser.parse(text, file: dir + "/m.yaml") }

    func error(_ text: String) -> ManifestError? {
        do { _ = try parse(text); return nil } catch let error as ManifestError { return error } catch { return nil }
    }

    static let header = "apiVersion: airgap.astrago.io/v1\nkind: Bundle\nmetadata: {name: t, version: 1.0.0}\n"

    @Test func parsesEveryKindOfChartSource() throws {
        let manifest = try parse(
            Self.header + """
                platforms: [linux/amd64, linux/arm64]
                components:
                  - name: csi-driver-nfs
                    namespace: kube-system
                    chart: {repository: https://charts.example/x, name: csi-driver-nfs, version: v4.7.0}
                    values: [values/x.yaml]
                    images: {extra: [busybox:1.36], exclude: [nginx]}
                  - name: keycloak
                    namespace: keycloak
                    releaseName: kc
                    optional: true
                    chart: {oci: oci://registry-1.docker.io/bitnamicharts/keycloak, version: ^21.4}
                  - name: astrago
                    namespace: astrago
                    chart: {path: charts/local}
                """)
        #expect(manifest.components.map(\.name) == ["csi-driver-nfs", "keycloak", "astrago"])
        #expect(manifest.platforms.map(\.description) == ["linux/amd64", "linux/arm64"])
        #expect(manifest.components[0].releaseName == "csi-driver-nfs")
        #expect(manifest.components[1].releaseName == "kc" && manifest.components[1].optional)
        #expect(manifest.components[0].values == [dir + "/values/x.yaml"])
        #expect(manifest.components[0].extraImages.map(\.description) == ["docker.io/library/busybox:1.36"])
        #expect(manifest.components[0].excludedImages == ["docker.io/library/nginx:latest"])
        if case .path(let path) = manifest.components[2].chart {
            #expect(path == dir + "/charts/local")
        } else {
            Issue.record("expected a path chart")
        }
    }

    @Test func errorsNameTheLineAndGiveAHint() throws {
        let unknown = try #require(error(Self.header + "components:\n  - name: a\n    namspace: x\n    chart: {path: charts/local}\n"))
        #expect(unknown.line == 6 && unknown.description.contains("m.yaml:6:"))
        #expect(unknown.message.contains("unknown field \"namspace\""))
        #expect(unknown.hint == "did you mean \"namespace\"?")

        let missing = try #require(error(Self.header + "components:\n  - name: a\n    chart: {path: charts/local}\n"))
        #expect(missing.message.contains("missing \"namespace\""))

        let twoSources = try #require(
            error(Self.header + "components:\n  - name: a\n    namespace: n\n    chart: {path: charts/local, oci: oci://x/y, version: 1.0.0}\n"))
        #expect(twoSources.message.contains("exactly one of"))
        #expect(twoSources.line == 7)

        let badVersion = try #require(
            error(Self.header + "components:\n  - name: a\n    namespace: n\n    chart: {repository: https://x, name: y, version: \">=\"}\n"))
        #expect(badVersion.message.contains("invalid version constraint"))

        let noValues = try #require(
            error(Self.header + "components:\n  - name: a\n    namespace: n\n    chart: {path: charts/local}\n    values: [values/none.yaml]\n"))
        #expect(noValues.message.contains("values/none.yaml does not exist"))

        let badImage = try #require(
            error(Self.header + "components:\n  - name: a\n    namespace: n\n    chart: {path: charts/local}\n    images: {extra: [Nginx]}\n"))
        #expect(badImage.message.contains("lowercase"))

        let duplicate = try #require(
            error(
                Self.header
                    + "components:\n  - {name: a, namespace: n, chart: {path: charts/local}}\n  - {name: a, namespace: n, chart: {path: charts/local}}\n"
            ))
        #expect(duplicate.message.contains("declared twice"))

        // Names pack and verify would refuse are refused here first, with the manifest's line.
        let badNamespace = try #require(error(Self.header + "components:\n  - name: a\n    namespace: Bad_NS\n    chart: {path: charts/local}\n"))
        #expect(badNamespace.line == 6 && badNamespace.message.contains("namespace \"Bad_NS\" is not a DNS-1123 label"))
        let longRelease = String(repeating: "r", count: 54)
        let badRelease = try #require(
            error(Self.header + "components:\n  - name: a\n    namespace: n\n    releaseName: \(longRelease)\n    chart: {path: charts/local}\n"))
        #expect(badRelease.line == 7 && badRelease.message.contains("release name \"\(longRelease)\""))
        let dash = try #require(error(Self.header + "components:\n  - name: -rf\n    namespace: n\n    chart: {path: charts/local}\n"))
        #expect(dash.message.contains("\"-rf\""))

        let wrongKind = try #require(error("apiVersion: airgap.astrago.io/v1\nkind: Chart\n"))
        #expect(wrongKind.hint == "use kind: Bundle")

        let notYAML = try #require(error("a: [1, 2\n"))
        #expect(notYAML.message.contains("not valid YAML"))
    }

    @Test func theRealPlatformManifestParses() throws {
        let manifest = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        #expect(
            manifest.components.map(\.name) == [
                "csi-driver-nfs", "gpu-operator", "prometheus", "keycloak", "mpi-operator", "flux", "harbor", "astrago",
            ])
        #expect(manifest.components.filter(\.optional).map(\.name) == ["gpu-operator", "mpi-operator", "flux", "harbor"])
    }
}

/// The platform's own charts (manifests/charts) render with their bundle values and yield the
/// platform's images. The upstream charts need the internet and are not fetched here.
@Suite("The real platform manifest's local charts")
struct PlatformChartsTests {
    @Test func astragoAndMPIOperatorRenderTheirImages() async throws {
        let manifest = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        let client = try RegistryClient()
        defer { Task { try? await client.shutdown() } }
        let finder = ComponentImageFinder(
            resolver: try ChartResolver(client: client, cacheDirectory: try TestPaths.scratch("cache")),
            helm: HelmEngine(executable: TestPaths.repository + "/Tests/Servers/helm-standin/helm"), siteValues: manifest.siteValues)
        var found: [String: [String]] = [:]
        for component in manifest.components {
            guard case .path = component.chart else { continue }
            found[component.name] = try await finder.find(component).images.map(\.reference)
        }
        #expect(Set(found.keys) == ["astrago", "mpi-operator"])
        #expect(found["mpi-operator"] == ["docker.io/mpioperator/mpi-operator:0.4.0"])
        // Exactly these: every image, nothing extra (the forms read for operators add none here).
        #expect(
            found["astrago"] == [
                "docker.io/xiilab/astrago:batch-v1.0.82", "docker.io/xiilab/astrago:core-v1.0.82",
                "docker.io/xiilab/astrago:frontend-v1.0.51", "docker.io/xiilab/astrago:monitor-v1.0.82",
            ])
    }
}
