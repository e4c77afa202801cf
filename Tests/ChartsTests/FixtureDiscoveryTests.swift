import ChartResolution
import Foundation
import Registry
import Rendering
import TestSupport
import Testing

/// Each fixture chart (Tests/Fixtures/charts) is rendered by real Helm — the `helm` stand-in over
/// Helm's Go SDK (helm-python-sdk), driven by the same code that drives a real `helm` binary — and
/// the images found must equal the fixture's expected set: no miss, no extra.
@Suite("Image discovery on fixture charts equals what Helm renders")
struct FixtureDiscoveryTests {
    static let fixtures = TestPaths.repository + "/Tests/Fixtures/charts"
    static let helm = TestPaths.repository + "/Tests/Servers/helm-standin/helm"

    struct Expected: Decodable {
        struct Image: Decodable { var reference: String; var testOnly: Bool }
        var images: [Image]?
        var release: String?
        var namespace: String?
        var values: [String]?
        var absent: [String]?
        var error: String?
        /// Substrings of the warnings discovery must give, one each (none when absent).
        var warnings: [String]?
    }

    /// Collects the warnings a finder gives.
    final class Warnings: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [String] = []
        func add(_ message: String) { lock.withLock { messages.append(message) } }
        var all: [String] { lock.withLock { messages } }
    }

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? [])
            .filter { FileManager.default.fileExists(atPath: "\(fixtures)/\($0)/expected-images.json") }.sorted()
    }

    @Test func everyDiscoveryCaseHasAFixture() {
        let needed = [
            "annotations", "appversion-tag", "base-repo", "bitnami-style", "broken", "hardcoded", "hook-only", "operator-args", "operator-cr",
            "subcharts",
            "args-two-item", "configmap-image-set", "configmap-image-key", "configmap-embedded-doc", "custom-resource-any-kind",
            "lookalikes", "hostile-yaml",
        ]
        #expect(Set(needed).isSubset(of: Set(Self.names)), "\(Self.names)")
    }

    @Test(arguments: FixtureDiscoveryTests.names)
    func discoversExactlyWhatHelmRenders(fixture: String) async throws {
        let directory = "\(Self.fixtures)/\(fixture)"
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/expected-images.json")))
        let component = BundleManifest.Component(
            name: fixture, namespace: expected.namespace ?? "default", releaseName: expected.release ?? "rel", optional: false,
            chart: .path(directory), values: (expected.values ?? []).map { directory + "/" + $0 }, extraImages: [], excludedImages: [], line: 1)
        let client = try RegistryClient()
        let finder = ComponentImageFinder(
            resolver: try ChartResolver(client: client, cacheDirectory: try TestPaths.scratch("cache")),
            helm: HelmEngine(executable: Self.helm))
        defer { Task { try? await client.shutdown() } }
        if let wanted = expected.error {
            do {
                _ = try await finder.find(component)
                Issue.record("\(fixture) rendered without error")
            } catch {
                #expect("\(error)".contains("helm template failed for component \"\(fixture)\""), "\(error)")
                #expect("\(error)".contains(wanted), "\(error)")
            }
            return
        }
        let warnings = Warnings()
        let found = try await finder.find(component) { warnings.add($0) }
        let want: [String: Bool] = Dictionary(uniqueKeysWithValues: (expected.images ?? []).map { ($0.reference, $0.testOnly) })
        let got: [String: Bool] = Dictionary(uniqueKeysWithValues: found.images.map { ($0.reference, $0.testOnly) })
        #expect(Set(got.keys) == Set(want.keys), "missing: \(Set(want.keys).subtracting(got.keys)); extra: \(Set(got.keys).subtracting(want.keys))")
        for (reference, testOnly) in want { #expect(got[reference] == testOnly, "\(reference) testOnly") }
        for absent in expected.absent ?? [] { #expect(got[absent] == nil, "\(absent) must not be found") }
        #expect(found.images.allSatisfy { !$0.sources.isEmpty })
        #expect(!found.guessed)
        let wantedWarnings = expected.warnings ?? []
        #expect(warnings.all.count == wantedWarnings.count, "warnings: \(warnings.all)")
        for wanted in wantedWarnings {
            #expect(warnings.all.contains { $0.contains(wanted) }, "no warning contains \"\(wanted)\": \(warnings.all)")
        }
    }
}
