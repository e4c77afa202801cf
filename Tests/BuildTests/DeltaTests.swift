import Foundation
import Integrity
import OCI
import Registry
import TestSupport
import Testing

/// Delta bundles: `build --since OLD` leaves out every layer the old bundle carried (layer by
/// layer, not image by image) and names its base; `airgap-install push` refuses a delta whose
/// base is not at the site, naming what is missing, and pushes it once the base is there.
@Suite("Delta bundles: built against a base, pushed onto it", .serialized)
struct DeltaTests {
    @Test func aDeltaHoldsOnlyNewLayersAndPushesOntoItsBase() async throws {
        let fixture = try await BuildTests.Fixture()
        #expect(try fixture.build(output: fixture.root + "/v1").status == 0)
        let v1 = fixture.root + "/v1/demo-2.0.0.tar.zst"

        // Version 2.0.1 adds an image that shares the tool's layer and brings one new layer.
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [fixture.registry.host]))
        let newLayer = try ImageFactory.randomLayer(size: 70_000, directory: fixture.root)
        let plus = ImageFactory.image(layers: [fixture.tool.layers[0], newLayer])
        try await ImageFactory.push(plus, to: try ImageReference(parsing: "\(fixture.registry.host)/team/tool-plus"), tag: "1", client: client)
        try await client.shutdown()
        var manifest = try String(contentsOfFile: fixture.manifest, encoding: .utf8)
        manifest = manifest.replacingOccurrences(of: "version: 2.0.0", with: "version: 2.0.1")
            .replacingOccurrences(of: "values: [web-values.yaml]", with: "values: [web-values.yaml]\n    images: {extra: [quay.io/team/tool-plus:1]}")
        try manifest.write(toFile: fixture.manifest, atomically: true, encoding: .utf8)
        let built = try fixture.build(["--since", v1, "--json"], output: fixture.root + "/v2")
        #expect(built.status == 0, "\(built.stderr)")
        let v2 = fixture.root + "/v2/demo-2.0.1.tar.zst"
        #expect(try airgap("airgap-bundle", ["verify", v2, "--key", fixture.publicKey]).status == 0)
        let index =
            try JSONSerialization.jsonObject(with: Data(try airgap("airgap-bundle", ["inspect", v2, "--json"]).stdout.utf8)) as? [String: Any]
        let bundleIndex = index?["index"] as? [String: Any]
        let base = bundleIndex?["base"] as? [String: Any]
        #expect(base?["name"] as? String == "demo" && base?["version"] as? String == "2.0.0", "\(String(describing: base))")
        let v1Index = try Shell.check(["sh", "-c", "zstd -dc '\(v1)' | tar -xO bundle.json"]).stdout
        #expect(base?["bundleJSON"] as? String == SHA256Hasher.hex(of: Array(v1Index.utf8)))
        let entries = (bundleIndex?["entries"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
        #expect(entries.contains("images/blobs/sha256/\(newLayer.descriptor.digest.hex)"), "the new layer ships")
        #expect(!entries.contains("images/blobs/sha256/\(fixture.tool.layers[0].descriptor.digest.hex)"), "the base's layer does not")
        #expect(entries.contains("images/blobs/sha256/\(plus.digest.hex)"), "manifests always ship")

        // Pushing the delta where its base is not: refused before anything is sent, naming what is missing.
        let site = try RegistryServer()
        func push(_ bundle: String, state: String) throws -> Shell.Result {
            try airgap(
                "airgap-install",
                [
                    "push", bundle, "--key", fixture.publicKey, "--registry", site.host, "--project", "astrago", "--plain-http",
                    "--state-dir", state,
                ])
        }
        let early = try push(v2, state: fixture.root + "/state/demo-2.0.1")
        #expect(early.status == 1)
        #expect(early.stderr.contains("delta of demo 2.0.0") && early.stderr.contains("push demo 2.0.0 first"), "\(early.stderr)")
        #expect(site.storedManifests().isEmpty)
        // The base first, then the delta: every image of 2.0.1 resolves at the site.
        #expect(try push(v1, state: fixture.root + "/state/demo-2.0.0").status == 0)
        let delta = try push(v2, state: fixture.root + "/state/demo-2.0.1")
        #expect(delta.status == 0, "\(delta.stderr)")
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(site.host)/astrago/team/tool-plus:1"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == plus.digest)
        let copied = try Shell.run([
            "skopeo", "copy", "--src-tls-verify=false", "docker://\(site.host)/astrago/team/tool-plus:1", "oci:\(fixture.root)/check:x",
        ])
        #expect(copied.status == 0, "every layer of the delta's new image is at the site: \(copied.stderr)")
    }
}
