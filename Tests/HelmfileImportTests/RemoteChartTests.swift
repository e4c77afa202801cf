import ChartResolution
import Foundation
import TestSupport
import Testing

/// Charts a helmfile names remotely: `repo/name` through a `repositories:` entry (an HTTP chart
/// repository served on loopback by python's http.server over an index.yaml Helm wrote) and an
/// `oci://` chart (pushed with Helm's own registry client, helm-python-sdk, into a real
/// docker-registry). The imported manifest resolves and renders with `images` as it is.
@Suite("import-helmfile: repository and OCI charts", .serialized)
struct RemoteChartTests {
    /// Packages a chart of ours (`web` 1.2.0) with the helm stand-in (real Helm's packager).
    static func packagedChart(_ fixture: HelmfileFixture) throws -> String {
        try fixture.chart("src/web", name: "web")
        try fixture.write("src/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.2.0\n")
        try FileManager.default.createDirectory(atPath: fixture.root + "/served", withIntermediateDirectories: true)
        try Shell.check([
            TestPaths.repository + "/Tests/Servers/helm-standin/helm", "package", fixture.root + "/src/web", "--destination",
            fixture.root + "/served",
        ])
        return fixture.root + "/served/web-1.2.0.tgz"
    }

    @Test func aRepositoryChartOverHTTP() throws {
        let fixture = try HelmfileFixture("helmfile-repo")
        _ = try Self.packagedChart(fixture)
        var started: (Int, BackgroundProcess)?
        for _ in 0..<3 where started == nil {
            let port = try Loopback.freePort()
            try Shell.check([
                "python3", "-c", "import helm_python, sys; helm_python.repo_index_generate(sys.argv[1], base_url=sys.argv[2])",
                fixture.root + "/served",
                "http://127.0.0.1:\(port)",
            ])
            let process = try BackgroundProcess(
                ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", fixture.root + "/served"],
                directory: fixture.root,
                logPath: fixture.root + "/http.log")
            do { try Loopback.waitUntilListening(port, process: process); started = (port, process) } catch { process.stop() }
        }
        let (port, server) = try #require(started)
        defer { server.stop() }
        try fixture.write(
            "helmfile.yaml",
            """
            repositories:
            - name: charts
              url: http://127.0.0.1:\(port)
            environments:
              prod:
                values:
                - image: "nginx:1.27"
            releases:
            - name: web
              namespace: web
              chart: charts/web
              version: 1.2.0
              values:
              - image: {{ .Values.image | quote }}
            """)
        let run = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "m.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        // helmfile reads repo/name as the chart "name" of repositories: entry "repo".
        let component = try #require(try ManifestParser.load(fixture.root + "/m.yaml").components.first)
        guard case .repository(let url, let name, let version) = component.chart else { Issue.record("\(component.chart)"); return }
        #expect(url == "http://127.0.0.1:\(port)" && name == "web" && version.text == "1.2.0")
        // Inline values become a values file: YAML reads `image: "nginx:1.27"` as the string nginx:1.27.
        #expect(try fixture.read("m.values/web/01-inline.yaml") == "image: nginx:1.27\n")
        let images = try fixture.airgapBundle(["images", "m.yaml", "--cache", fixture.root + "/cache", "--insecure-registry", "127.0.0.1:\(port)"])
        #expect(images.status == 0, "\(images.stderr)")
        #expect(images.stdout.contains("web (chart web 1.2.0)\n  docker.io/library/nginx:1.27"), "\(images.stdout)")
    }

    @Test func anOCIChart() throws {
        let fixture = try HelmfileFixture("helmfile-oci")
        let archive = try Self.packagedChart(fixture)
        let registry = try RegistryServer()
        try Shell.check([
            "python3", "-c",
            "import helm_python, sys; c = helm_python.RegistryClient(plain_http=True); c.push(sys.argv[1], sys.argv[2]); c.close()", archive,
            "oci://\(registry.host)/charts",
        ])
        try fixture.write(
            "helmfile.yaml",
            """
            environments:
              prod: {}
            releases:
            - name: web
              chart: oci://\(registry.host)/charts/web
              version: 1.2.0
            """)
        let run = try fixture.airgapBundle(["import-helmfile", "helmfile.yaml", "--environment", "prod", "--output", "m.yaml"])
        #expect(run.status == 0, "\(run.stderr)")
        let component = try #require(try ManifestParser.load(fixture.root + "/m.yaml").components.first)
        guard case .oci(let reference, let version) = component.chart else { Issue.record("\(component.chart)"); return }
        #expect(reference == "oci://\(registry.host)/charts/web" && version.text == "1.2.0")
        #expect(component.namespace == "default")  // no namespace: helmfile's default
        let images = try fixture.airgapBundle(["images", "m.yaml", "--cache", fixture.root + "/cache", "--insecure-registry", registry.host])
        #expect(images.status == 0, "\(images.stderr)")
        #expect(images.stdout.contains("docker.io/library/busybox:1.36"), "\(images.stdout)")  // the chart's own default image
    }
}
