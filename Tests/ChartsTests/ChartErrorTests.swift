import Foundation
import Registry
import TestSupport
import Testing

@testable import ChartResolution
@testable import Rendering

/// Failures that used to turn into defaults (an empty values file, an ignored annotation, a chart
/// taken for absent) are errors or warnings that name the file; helm is waited for without
/// blocking a thread.
@Suite("Chart errors surface; helm is awaited, not blocked on")
struct ChartErrorTests {
    static let fixture = TestPaths.repository + "/Tests/Fixtures/charts/appversion-tag"

    func component(_ name: String, chart: String, values: [String] = []) -> BundleManifest.Component {
        BundleManifest.Component(
            name: name, namespace: "default", releaseName: name, optional: false, chart: .path(chart), values: values,
            extraImages: [], excludedImages: [], line: 1)
    }

    func caught(_ work: () async throws -> Void) async -> Error? {
        do { try await work(); return nil } catch { return error }
    }

    @Test func aValuesFileThatCannotBeReadIsAnErrorNamingIt() async throws {
        let client = try RegistryClient()
        defer { Task { try? await client.shutdown() } }
        let finder = ComponentImageFinder(resolver: try ChartResolver(client: client, cacheDirectory: try TestPaths.scratch("cache")), helm: nil)
        let missing = try TestPaths.scratch("values") + "/site-values.yaml"
        let error = await caught { _ = try await finder.find(component("exporter", chart: Self.fixture, values: [missing])) }
        let text = "\(try #require(error))"
        #expect(text.contains("component \"exporter\"") && text.contains("cannot read the values file \(missing)"), "\(text)")

        let list = try TestPaths.scratch("values") + "/list.yaml"
        try "- a\n- b\n".write(toFile: list, atomically: true, encoding: .utf8)
        let notAMap = await caught { _ = try await finder.find(component("exporter", chart: Self.fixture, values: [list])) }
        #expect("\(try #require(notAMap))".contains("\(list) is not a map of values"))
    }

    @Test func malformedImageAnnotationsAreWarnedAboutNotIgnored() throws {
        var warnings: [String] = []
        let rendered =
            "---\n# Source: c/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - {name: main, image: \"busybox:1.36\"}\n"
        let images = try ImageDiscovery.discover(
            renderedManifests: rendered,
            chartAnnotations: [
                "artifacthub.io/images": "- name: x\n  image: [unclosed",
                "helm.sh/images": "- image: quay.io/a/b:1\n- name: no-image-here\n",
            ]
        ) { warnings.append($0) }
        #expect(images.map(\.reference) == ["docker.io/library/busybox:1.36", "quay.io/a/b:1"])
        #expect(warnings.contains { $0.contains("artifacthub.io/images is not valid YAML") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("helm.sh/images has an entry without an \"image\"") }, "\(warnings)")
        #expect(warnings.count == 2)
    }

    @Test func aSubchartWhoseChartYamlCannotBeReadIsAnError() async throws {
        let chart = try TestPaths.scratch("chart") + "/parent"
        try FileManager.default.createDirectory(atPath: chart + "/templates", withIntermediateDirectories: true)
        try
            "apiVersion: v2\nname: parent\nversion: 0.1.0\ndependencies:\n  - name: worker\n    version: \"*\"\n    repository: https://127.0.0.1:9/charts\n"
            .write(toFile: chart + "/Chart.yaml", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: chart + "/charts/worker", withIntermediateDirectories: true)
        try "name: [worker\n".write(toFile: chart + "/charts/worker/Chart.yaml", atomically: true, encoding: .utf8)
        let client = try RegistryClient()
        defer { Task { try? await client.shutdown() } }
        let resolver = try ChartResolver(client: client, cacheDirectory: try TestPaths.scratch("cache"))
        // Taking the broken subchart for absent would fetch another copy (here: from a port nothing listens on).
        let error = await caught { _ = try await resolver.resolve(.path(chart)) }
        let text = "\(try #require(error))"
        #expect(text.contains(chart + "/charts/worker/Chart.yaml") && !text.contains("127.0.0.1:9"), "\(text)")
    }

    /// A helm that waits for a gate file, run more times at once than the cooperative pool has
    /// threads; the gate is opened, once every helm has started, by a task that needs a pool
    /// thread. Blocking waits
    /// (`waitUntilExit`) would leave it none and every helm would give up (after 60 s: long
    /// enough that a loaded machine's slow process starts never pass for a blocked pool).
    @Test func helmIsAwaitedWithoutBlockingAThread() async throws {
        let scratch = try TestPaths.scratch("fake-helm")
        let gate = scratch + "/gate"
        let helm = scratch + "/helm"
        try """
        #!/bin/sh
        : > '\(scratch)/started-'$$
        i=0
        while [ ! -e '\(gate)' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
        [ -e '\(gate)' ] || { echo "the gate never opened" >&2; exit 3; }
        echo "kind: Pod # $2"
        """.write(toFile: helm, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helm)
        let engine = HelmEngine(executable: helm)
        let runs = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<runs {
                group.addTask { try await engine.template(release: "r\(index)", chart: "c", namespace: "n", valuesFiles: [], component: "c\(index)") }
            }
            group.addTask {
                // Opens the gate on an event: every helm has started (each leaves a file). The
                // poll is bounded by the helms' own 60 s wait, after which they give up.
                func started() -> Int {
                    ((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).filter { $0.hasPrefix("started-") }.count
                }
                for _ in 0..<6_000 where started() < runs { try await Task.sleep(nanoseconds: 10_000_000) }
                return FileManager.default.createFile(atPath: gate, contents: nil) ? "gate" : "the gate could not be made"
            }
            var all: [String] = []
            for try await output in group { all.append(output) }
            return all
        }
        #expect(outputs.filter { $0.hasPrefix("kind: Pod") }.count == runs, "\(outputs)")
    }

    @Test func helmFailuresCarryHelmsWords() async throws {
        let scratch = try TestPaths.scratch("failing-helm")
        let helm = scratch + "/helm"
        try "#!/bin/sh\necho 'Error: parse error in deployment.yaml' >&2\nexit 1\n".write(toFile: helm, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: helm)
        let error = await caught {
            _ = try await HelmEngine(executable: helm).template(release: "r", chart: "c", namespace: "n", valuesFiles: [], component: "web")
        }
        let text = "\(try #require(error))"
        #expect(text.contains("helm template failed for component \"web\"") && text.contains("parse error in deployment.yaml"), "\(text)")

        let notThere = await caught {
            _ = try await HelmEngine(executable: scratch + "/nope").template(
                release: "r", chart: "c", namespace: "n", valuesFiles: [], component: "web")
        }
        #expect("\(try #require(notThere))".contains("cannot run \(scratch)/nope"))
    }
}
