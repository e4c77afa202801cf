import Foundation
import Rendering
import Testing

/// The reading rules on rendered text directly (no Helm): what counts as an image in the forms
/// operators receive, what only looks like one, and what a hostile document costs. Documents
/// Helm itself would refuse (alias bombs at the top level) are tested here, since the stand-in
/// cannot render them.
@Suite("Discovery forms and limits on rendered text")
struct DiscoveryFormsTests {
    /// Images found in `rendered`, and the warnings given.
    func discover(_ rendered: String) throws -> (images: [String: [String]], warnings: [String]) {
        var warnings: [String] = []
        let images = try ImageDiscovery.discover(renderedManifests: rendered) { warnings.append($0) }
        return (Dictionary(uniqueKeysWithValues: images.map { ($0.reference, $0.sources) }), warnings)
    }

    func configMap(_ key: String, _ value: String) -> String {
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata:\n  \(key): \(value)\n"
    }

    static let lookAlikes = [
        "https://quay.io/prometheus/prometheus:v2.51.2", "oci://ghcr.io/example/chart:1.0", "registry.local:5000", "localhost:5000",
        "redis:6379", "harbor.example.com:443", "10.0.0.1:8080", "registry.local:5000/v2/", "/etc/app/config.yaml", "./run.sh",
        "config.d/app.yaml:12", "images/base.tar:1", "v1.2.3", "1.29.0", "1.2.3-rc.1+build.5", "latest", "true", "nginx",
        "quay.io/prometheus/prometheus", "node-role.kubernetes.io/control-plane:NoSchedule", "topology.kubernetes.io/zone:a",
        "{{ .Values.image }}", "${REGISTRY}/app:${TAG}", "<no value>", "REPLACE_ME", "go.etcd.io/etcd@v3.5.12",
        "git@github.com:example/repo.git", "\"\"", "IfNotPresent",
    ]

    @Test(arguments: lookAlikes)
    func aLookAlikeIsNoImageUnderAnyKey(value: String) throws {
        for key in ["image", "sidecarImage", "HELPER_IMAGE", "kubectl-image", "endpoint"] {
            let found = try discover(configMap(key, "'\(value.replacingOccurrences(of: "'", with: "''"))'"))
            #expect(found.images.isEmpty, "data[\(key)] = \(value) gave \(found.images.keys)")
            #expect(found.warnings.isEmpty)
        }
    }

    @Test func shortReferencesCountOnlyUnderKeysThatNameImages() throws {
        #expect(try discover(configMap("image", "velero/velero:v1.17.1")).images["docker.io/velero/velero:v1.17.1"] == ["ConfigMap/cm data[image]"])
        #expect(try discover(configMap("restoreHelperImage", "busybox:1.36")).images.keys.sorted() == ["docker.io/library/busybox:1.36"])
        #expect(try discover(configMap("helper", "busybox:1.36")).images.isEmpty, "a short reference under another key is not read")
        #expect(try discover(configMap("helper", "quay.io/x/busybox:1.36")).images.keys.sorted() == ["quay.io/x/busybox:1.36"])
    }

    @Test func numbersStayAsWrittenInJoinedTags() throws {
        let found = try discover(
            "---\napiVersion: acme.example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec:\n  engine: {repository: acme/engine, tag: 1.10}\n")
        #expect(found.images.keys.sorted() == ["docker.io/acme/engine:1.10"], "a YAML float would have made it 1.1")
        #expect(found.images["docker.io/acme/engine:1.10"] == ["Widget/w spec.engine"])
    }

    @Test func aliasesInValuesAreReadAndMergeKeysApply() throws {
        let found = try discover(
            """
            ---
            apiVersion: acme.example.com/v1
            kind: Widget
            metadata: {name: w}
            spec:
              defaults: &defaults {image: quay.io/acme/worker:2.0, replicas: 1}
              primary: *defaults
              secondary:
                <<: *defaults
                image: quay.io/acme/worker:2.1
            """)
        #expect(found.images["quay.io/acme/worker:2.0"] == ["Widget/w spec.defaults.image", "Widget/w spec.primary.image"])
        #expect(found.images["quay.io/acme/worker:2.1"] == ["Widget/w spec.secondary.image"], "the map's own key wins over the merged one")
        #expect(found.warnings.isEmpty)
    }

    static let bomb =
        (["a: &a [x, x, x, x, x, x, x, x, x]"]
        + zip("bcdefghi", "abcdefgh").map { name, previous in
            "  \(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]"
        }).joined(separator: "\n")

    @Test func hostileRenderedDocumentsAreSkippedWithTheirReasonAndTheRestIsRead() throws {
        let deep = String(repeating: "[", count: 100) + "x" + String(repeating: "]", count: 100)
        let found = try discover(
            """
            ---
            # Source: c/templates/keybomb.yaml
            apiVersion: acme.example.com/v1
            kind: Bomb
            metadata: {name: keys}
            spec:
              image: quay.io/example/behind-a-key-bomb:1.0
              \(Self.bomb)
              ? *i
              : x
            ---
            # Source: c/templates/valuebomb.yaml
            apiVersion: acme.example.com/v1
            kind: Bomb
            metadata: {name: values}
            spec:
              image: quay.io/example/inside-a-value-bomb:1.0
              \(Self.bomb)
              j: [*i, *i, *i, *i, *i, *i, *i, *i, *i]
            ---
            # Source: c/templates/deep.yaml
            apiVersion: acme.example.com/v1
            kind: Deep
            metadata: {name: deep}
            spec: {image: quay.io/example/deep:1.0, nested: \(deep)}
            ---
            # Source: c/templates/app.yaml
            apiVersion: v1
            kind: Pod
            metadata: {name: app}
            spec:
              containers: [{name: app, image: ghcr.io/example/app:1.0}]
            """)
        // Bounded work: unbounded, the value bomb alone is 9^10 nodes; the composer stops at its limit.
        #expect(found.images.keys.sorted() == ["ghcr.io/example/app:1.0"])
        #expect(
            found.warnings == [
                "rendered manifest c/templates/keybomb.yaml not read: its YAML aliases expand to more than the limit of 2000000 nodes",
                "rendered manifest c/templates/valuebomb.yaml not read: its YAML aliases expand to more than the limit of 2000000 nodes",
                "rendered manifest c/templates/deep.yaml not read: it is nested deeper than the limit of 64 levels",
            ])
    }

    @Test func aHostileImagesAnnotationIsSkippedAndTheOtherIsRead() throws {
        var warnings: [String] = []
        let images = try ImageDiscovery.discover(
            renderedManifests: "",
            chartAnnotations: [
                "artifacthub.io/images": "root:\n  " + Self.bomb + "\n? *i\n: x\n",
                "helm.sh/images": "- name: cli\n  image: ghcr.io/fluxcd/flux-cli:v2.2.3\n",
            ]
        ) { warnings.append($0) }
        #expect(images.map(\.reference) == ["ghcr.io/fluxcd/flux-cli:v2.2.3"])
        #expect(
            warnings == [
                "Chart.yaml annotation artifacthub.io/images not read: its YAML aliases expand to more than the limit of 1000000 nodes"
            ])
    }

    @Test func invalidRenderedYAMLIsStillAnError() throws {
        #expect(throws: DiscoveryError.self) { try discover("---\n# Source: c/templates/x.yaml\nkind: [unclosed\n") }
    }
}
