import Foundation
import TestSupport
import Testing

/// Every YAML entry point of `airgap-bundle` (the manifest, `Chart.yaml`, chart values, a chart
/// repository's `index.yaml`) refuses hostile YAML with a message naming the limit it crossed,
/// in bounded memory: the real binary runs as a child and the kernel's count of its peak
/// resident memory (`wait4`) must stay under 200 MB. (Without limits, the alias bomb alone is
/// 9^10 nodes.)
@Suite("YAML bombs on every airgap-bundle entry point cost bounded memory and name the limit")
struct YAMLBombTests {
    static let ceiling = 200 << 20
    static let helmDirectory = TestPaths.repository + "/Tests/Servers/helm-standin"

    /// The bombs for a file read as one document under `key`, with the words each refusal must say.
    static func bombs(key: String, overSize: Int) -> [(name: String, text: String, says: String)] {
        [
            ("aliases", YAMLBombs.aliases(key: key), "YAML aliases expand to more than the limit"),
            ("depth", YAMLBombs.depth(key: key), "nested deeper than the limit"),
            ("documents", "\(key): 1\n---\n\(key): 2\n", "more than the limit of 1 YAML document"),
            ("size", YAMLBombs.denseNodes(key: key, bytes: overSize), "over the limit of"),
        ]
    }

    /// `airgap-bundle ARGUMENTS`; `helm`: with the Helm stand-in on PATH (without, `--no-render`
    /// guesses images from values, which reads the chart's values with our own reader).
    func run(_ arguments: [String], root: String, helm: Bool = true) throws -> PeakMemory.Result {
        let path = (helm ? Self.helmDirectory + ":" : "") + "/usr/local/bin:/usr/bin:/bin"
        return try PeakMemory.run(
            [try TestPaths.binary("airgap-bundle")] + arguments + ["--cache", root + "/cache"] + (helm ? [] : ["--no-render"]),
            environment: ["PATH": path])
    }

    /// A chart directory with a plain `Chart.yaml`.
    func chart(at path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path + "/templates", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: c\nversion: 1.0.0\n".write(toFile: path + "/Chart.yaml", atomically: true, encoding: .utf8)
        return path
    }

    func expectRefused(_ result: PeakMemory.Result, says: String, _ what: String) {
        #expect(result.status != 0, "\(what): \(result.stdout)")
        #expect((result.stderr + result.stdout).contains(says), "\(what): \(result.stderr)\(result.stdout)")
        #expect(result.peakBytes < Self.ceiling, "\(what): peak \(result.peakBytes) bytes")
    }

    func manifest(_ components: [String], root: String) throws -> String {
        let path = root + "/manifest.yaml"
        try (["apiVersion: airgap.astrago.io/v1", "kind: Bundle", "metadata: {name: t, version: 1.0.0}", "components:"] + components)
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theManifest() throws {
        let root = try TestPaths.scratch("bomb-manifest")
        for bomb in Self.bombs(key: "x-bomb", overSize: 2 << 20) {
            let path = root + "/\(bomb.name).yaml"
            try ("apiVersion: airgap.astrago.io/v1\n" + bomb.text).write(toFile: path, atomically: true, encoding: .utf8)
            expectRefused(try run(["images", path], root: root), says: bomb.says, "manifest \(bomb.name)")
        }
        // A manifest's values file is read within the chart values' size limit.
        let values = root + "/values.yaml"
        FileManager.default.createFile(atPath: values, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: values))
        try handle.truncate(atOffset: 1 << 30)  // 1 GiB, sparse
        try handle.close()
        let path = try manifest(["  - {name: c, namespace: ns, chart: {path: \(try chart(at: root + "/chart"))}, values: [\(values)]}"], root: root)
        expectRefused(try run(["images", path], root: root), says: "over the limit of 16777216 bytes", "1 GiB values file")
    }

    @Test func chartYamlAndChartValues() throws {
        let root = try TestPaths.scratch("bomb-chart")
        for bomb in Self.bombs(key: "annotations", overSize: 2 << 20) {
            let chart = root + "/chart-\(bomb.name)"
            try FileManager.default.createDirectory(atPath: chart + "/templates", withIntermediateDirectories: true)
            try ("apiVersion: v2\nname: c\nversion: 1.0.0\n" + bomb.text).write(toFile: chart + "/Chart.yaml", atomically: true, encoding: .utf8)
            let path = try manifest(["  - {name: c, namespace: ns, chart: {path: \(chart)}}"], root: root)
            expectRefused(try run(["images", path], root: root), says: bomb.says, "Chart.yaml \(bomb.name)")
        }
        for bomb in Self.bombs(key: "image", overSize: 17 << 20) {
            let directory = try chart(at: root + "/values-\(bomb.name)")
            let values = root + "/values-\(bomb.name).yaml"
            try bomb.text.write(toFile: values, atomically: true, encoding: .utf8)
            let path = try manifest(["  - {name: c, namespace: ns, chart: {path: \(directory)}, values: [\(values)]}"], root: root)
            expectRefused(try run(["images", path], root: root, helm: false), says: bomb.says, "chart values \(bomb.name)")
        }
    }

    @Test func aChartRepositoryIndex() throws {
        let root = try TestPaths.scratch("bomb-index")
        for bomb in Self.bombs(key: "entries", overSize: 17 << 20) {
            let server = try CannedHTTPServer([.init("GET", "/charts/index.yaml", body: "apiVersion: v1\n" + bomb.text)])
            defer { server.stop() }
            let path = try manifest(
                ["  - {name: c, namespace: ns, chart: {repository: \"http://\(server.host)/charts\", name: c, version: 1.0.0}}"], root: root)
            let result = try run(["images", path, "--insecure-registry", server.host], root: root)
            let says = bomb.name == "size" ? "larger than \(16 << 20) bytes" : bomb.says
            expectRefused(result, says: says, "index.yaml \(bomb.name)")
        }
    }

    /// Memory grows linearly with an index's size: four times the entries cost no more than about
    /// four times the memory above a tiny index's (the keyed decoder this replaced took 2.35 GB
    /// for 950 KB).
    @Test func anIndexOfAMegabyteParsesInMemoryLinearInItsSize() throws {
        let root = try TestPaths.scratch("index-linear")
        func peak(entries: Int) throws -> (bytes: Int, size: Int) {
            var lines = ["apiVersion: v1", "entries:"]
            for chart in 0..<max(1, entries / 20) {
                lines.append("  chart-\(chart):")
                for version in 0..<20 {
                    lines += [
                        "  - name: chart-\(chart)", "    version: 1.\(version).0", "    appVersion: \"1.\(version)\"",
                        "    urls: [\"https://charts.example.com/chart-\(chart)-1.\(version).0.tgz\"]",
                        "    digest: \(String(repeating: "ab", count: 32))", "    description: A chart that does a thing, version \(version)",
                    ]
                }
            }
            lines.append("  wanted: [{name: wanted, version: 1.0.0, urls: [\"wanted-1.0.0.tgz\"]}]")
            let text = lines.joined(separator: "\n") + "\n"
            let server = try CannedHTTPServer([.init("GET", "/charts/index.yaml", body: text)])
            defer { server.stop() }
            let path = try manifest(
                ["  - {name: c, namespace: ns, chart: {repository: \"http://\(server.host)/charts\", name: wanted, version: 1.0.0}}"], root: root)
            let result = try run(["images", path, "--insecure-registry", server.host], root: root)
            // The index is read and the version found; the archive it names is not served.
            #expect(result.status != 0 && (result.stderr + result.stdout).contains("chart wanted 1.0.0 from"), "\(result.stderr)\(result.stdout)")
            return (result.peakBytes, text.utf8.count)
        }
        let tiny = try peak(entries: 20)
        let one = try peak(entries: 4_000)
        let four = try peak(entries: 16_000)
        #expect(one.size > 900_000 && one.size < 1_200_000, "\(one.size) bytes")
        #expect(one.bytes < Self.ceiling, "a 1 MB index: peak \(one.bytes) bytes")
        // Linear: about 4 times; the quadratic parse it replaced: 16 times.
        let perMegabyte = max(one.bytes - tiny.bytes, 8 << 20)
        #expect(
            four.bytes < Self.ceiling && four.bytes - tiny.bytes < 8 * perMegabyte,
            "tiny \(tiny.bytes), 1 MB \(one.bytes), 4 MB \(four.bytes) bytes peak")
    }
}
