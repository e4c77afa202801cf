import Foundation
import Install
import OCI
import Rendering
import TestSupport
import Testing
import Yams

/// The post-renderer's rewriting over every image-discovery fixture chart, rendered by real Helm
/// (helm-python-sdk behind Tests/Servers/helm-standin). Nothing is applied to a cluster (none
/// can run here): the test stops at the manifests Helm would apply.
@Suite("Image rewriting over what Helm renders: every form discovery knows")
struct ImageRewriterTests {
    static let fixtures = TestPaths.repository + "/Tests/Fixtures/charts"
    static let helm = TestPaths.servers + "/helm-standin/helm"
    /// Fixtures that do not render (broken) or are about hostile input.
    static let names = ((try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []).filter { !["broken", "hostile-yaml"].contains($0) }
        .sorted()

    struct Expected: Decodable {
        struct Image: Decodable { var reference: String }
        var images: [Image]?
        var release: String?
        var namespace: String?
        var values: [String]?
    }

    static func relocated(_ reference: String) throws -> String {
        let parsed = try ImageReference(parsing: reference)
        return "127.0.0.1:5000/astrago/\(parsed.repository)" + (parsed.tag.map { ":" + $0 } ?? "") + (parsed.digest.map { "@\($0)" } ?? "")
    }

    @Test(arguments: ImageRewriterTests.names)
    func everyImageHelmRendersPointsIntoTheSiteRegistry(fixture: String) throws {
        let directory = "\(Self.fixtures)/\(fixture)"
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/expected-images.json")))
        var arguments = [
            Self.helm, "template", expected.release ?? "rel", directory, "--namespace", expected.namespace ?? "default", "--include-crds",
        ]
        for file in expected.values ?? [] { arguments += ["--values", directory + "/" + file] }
        let rendered = try Shell.check(arguments).stdout
        let digest = try Digest("sha256:" + String(repeating: "0", count: 64))
        let relocation = RelocationMap(
            bundle: "fixture", registry: "127.0.0.1:5000", project: "astrago",
            images: try (expected.images ?? []).map { .init(source: $0.reference, target: try Self.relocated($0.reference), digest: digest) })
        let before = try ImageDiscovery.discover(renderedManifests: rendered)
        let rewriter = try ImageRewriter(relocation: relocation)
        let output = try rewriter.rewrite(rendered)
        let after = try ImageDiscovery.discover(renderedManifests: output)
        #expect(after.count == before.count, "before: \(before.map(\.reference)); after: \(after.map(\.reference))")
        let targets = Set(relocation.images.map(\.target))
        for image in after { #expect(targets.contains(image.reference), "\(fixture): \(image.reference) at \(image.sources)") }
        // The sources still name the same places: only the references changed.
        #expect(Set(after.flatMap(\.sources)) == Set(before.flatMap(\.sources)), "\(fixture)")
    }

    @Test func aTagTheOperatorCompletesIsRewrittenByRepositoryAndExcludedImagesAreKept() throws {
        let digest = try Digest("sha256:" + String(repeating: "1", count: 64))
        let relocation = RelocationMap(
            bundle: "t", registry: "h:5000", project: "p",
            images: [
                .init(source: "nvcr.io/nvidia/driver:550.54.15-ubuntu22.04", target: "h:5000/p/nvidia/driver:550.54.15-ubuntu22.04", digest: digest)
            ])
        let manifest = """
            ---
            # Source: gpu/templates/cp.yaml
            apiVersion: nvidia.com/v1
            kind: ClusterPolicy
            metadata: {name: cluster-policy}
            spec:
              driver: {enabled: true, repository: nvcr.io/nvidia, image: driver, version: "550.54.15"}
            ---
            # Source: gpu/templates/operator.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: operator}
            spec:
              template:
                spec:
                  containers:
                    - name: operator
                      image: nvcr.io/nvidia/driver:550.54.15-ubuntu22.04
                      args: ["--thanos-default-base-image=quay.io/thanos/thanos:v0.34.1"]
            """
        #expect(throws: RewriteError.self) { try ImageRewriter(relocation: relocation).rewrite(manifest) }
        let output = try ImageRewriter(relocation: relocation, keep: ["quay.io/thanos/thanos:v0.34.1"]).rewrite(manifest)
        let found = try ImageDiscovery.discover(renderedManifests: output).map(\.reference)
        #expect(found.contains("h:5000/p/nvidia/driver:550.54.15"), "\(output)")
        #expect(found.contains("h:5000/p/nvidia/driver:550.54.15-ubuntu22.04"), "\(output)")
        #expect(found.contains("quay.io/thanos/thanos:v0.34.1"), "\(output)")
        #expect(output.contains("version: \"550.54.15\"") || output.contains("version: '550.54.15'"), "\(output)")
        #expect(output.contains("# Source: gpu/templates/cp.yaml"))
    }
}

/// ConfigMap values that are YAML or JSON documents: joined images rewritten in place.
@Suite("Images joined inside ConfigMap documents")
struct EmbeddedDocumentRewriteTests {
    @Test func joinedFieldsChangeInPlaceAndTheRestOfTheTextStaysByteForByte() throws {
        let directory = ImageRewriterTests.fixtures + "/configmap-embedded-doc"
        let rendered = try Shell.check([ImageRewriterTests.helm, "template", "rel", directory, "--namespace", "ns"]).stdout
        let expected = try JSONDecoder().decode(
            ImageRewriterTests.Expected.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/expected-images.json")))
        let digest = try Digest("sha256:" + String(repeating: "0", count: 64))
        let relocation = RelocationMap(
            bundle: "fixture", registry: "127.0.0.1:5000", project: "astrago",
            images: try (expected.images ?? []).map {
                .init(source: $0.reference, target: try ImageRewriterTests.relocated($0.reference), digest: digest)
            })
        let output = try ImageRewriter(relocation: relocation).rewrite(rendered)
        func data(_ text: String) throws -> [String: String] {
            let documents = try Yams.load_all(yaml: text).compactMap { $0 as? [String: Any] }
            return try #require(documents.first { $0["kind"] as? String == "ConfigMap" }?["data"] as? [String: String])
        }
        let before = try data(rendered), after = try data(output)
        // Each value is the original with only the image parts replaced.
        var config = try #require(before["config.yaml"])
        for (old, new) in [
            ("registry: ghcr.io\n", "registry: 127.0.0.1:5000\n"), ("repository: example/solver\n", "repository: astrago/example/solver\n"),
            ("helperImage: quay.io/example/restore-helper:0.9.1", "helperImage: 127.0.0.1:5000/astrago/example/restore-helper:0.9.1"),
            ("image: prom/statsd-exporter:v0.26.0", "image: 127.0.0.1:5000/astrago/prom/statsd-exporter:v0.26.0"),
            ("repository: envoyproxy/envoy\n", "repository: 127.0.0.1:5000/astrago/envoyproxy/envoy\n"),
            ("- registry.example.com/tools/shell:3.2", "- 127.0.0.1:5000/astrago/tools/shell:3.2"),
        ] {
            #expect(config.contains(old), "\(old)")
            config = config.replacingOccurrences(of: old, with: new)
        }
        #expect(after["config.yaml"] == config, "\(after["config.yaml"] ?? "")")
        let defaults = try #require(before["defaults.json"]).replacingOccurrences(
            of: "\"ghcr.io/example/gc:1.0.3\"", with: "\"127.0.0.1:5000/astrago/example/gc:1.0.3\""
        ).replacingOccurrences(of: "\"quay.io/jupyter/base-notebook\"", with: "\"127.0.0.1:5000/astrago/jupyter/base-notebook\"")
        #expect(after["defaults.json"] == defaults, "\(after["defaults.json"] ?? "")")
        #expect(after["script.sh"] == before["script.sh"])
        // Comments, the legacy image the operator never uses, the rest: as written.
        #expect(after["config.yaml"]?.contains("# Jobs the operator starts on demand.") == true)
        #expect(after["config.yaml"]?.contains("image: quay.io/example/legacy-agent:0.1.0") == true)
    }

    @Test func aJoinedValueFoldedOverLinesIsRefusedNamingTheConfigMapKeyAndImage() throws {
        let digest = try Digest("sha256:" + String(repeating: "3", count: 64))
        let relocation = RelocationMap(
            bundle: "t", registry: "h:5000", project: "p",
            images: [.init(source: "quay.io/jupyter/base-notebook:2024-05-27", target: "h:5000/p/jupyter/base-notebook:2024-05-27", digest: digest)])
        let manifest = """
            ---
            # Source: c/templates/cm.yaml
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: notebooks}
            data:
              defaults.yaml: |
                notebook:
                  repository: "quay.io/jupyter/\\
                    base-notebook"
                  tag: "2024-05-27"
            """
        let error = try #require(throws: RewriteError.self) { try ImageRewriter(relocation: relocation).rewrite(manifest) }
        for part in ["quay.io/jupyter/base-notebook:2024-05-27", "notebooks", "defaults.yaml", "cannot rewrite in place"] {
            #expect(error.message.contains(part), "\(part): \(error.message)")
        }
    }
}
