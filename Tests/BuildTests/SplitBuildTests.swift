import Foundation
import OCI
import Registry
import TestSupport
import Testing

/// `build --split-size` cuts the bundle into parts for USB disks; verify, inspect and push read
/// the parts as one stream, and the `.sha256` checks each part with `sha256sum -c`.
@Suite("Split bundles from build to push", .serialized)
struct SplitBuildTests {
    @Test func aSplitBundleVerifiesAndPushesAsOne() async throws {
        let fixture = try await BuildTests.Fixture()
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [fixture.registry.host]))
        let big = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 3 << 20, directory: fixture.root)])
        try await ImageFactory.push(big, to: try ImageReference(parsing: "\(fixture.registry.host)/team/big"), tag: "1", client: client)
        try await client.shutdown()
        var manifest = try String(contentsOfFile: fixture.manifest, encoding: .utf8)
        manifest = manifest.replacingOccurrences(
            of: "values: [web-values.yaml]", with: "values: [web-values.yaml]\n    images: {extra: [quay.io/team/big:1]}")
        try manifest.write(toFile: fixture.manifest, atomically: true, encoding: .utf8)

        let built = try fixture.build(["--split-size", "1M"])
        #expect(built.status == 0, "\(built.stderr)")
        let bundle = fixture.root + "/out/demo-2.0.0.tar.zst"
        #expect(!FileManager.default.fileExists(atPath: bundle), "only the parts remain")
        let parts = try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/out").filter { $0.contains(".part-") }.sorted()
        #expect(parts.count >= 3, "\(parts)")
        #expect(!parts.contains { $0.hasSuffix(".partial") })
        #expect(try Shell.run(["sh", "-c", "cd '\(fixture.root)/out' && sha256sum -c demo-2.0.0.tar.zst.sha256"]).status == 0)
        let verified = try airgap("airgap-bundle", ["verify", bundle, "--key", fixture.publicKey, "--require-archive-signature"])
        #expect(verified.status == 0, "\(verified.stderr)")

        let site = try RegistryServer()
        let pushed = try airgap(
            "airgap-install",
            [
                "push", bundle, "--key", fixture.publicKey, "--registry", site.host, "--project", "astrago", "--plain-http", "--state-dir",
                fixture.root + "/state", "--require-archive-signature",
            ])
        #expect(pushed.status == 0, "\(pushed.stderr)")
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(site.host)/astrago/team/big:1"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == big.digest)
    }

    @Test func aSizeThatIsNotOneIsAUsageError() throws {
        let result = try airgap("airgap-bundle", ["build", "m.yaml", "--key", "k", "--split-size", "12Q"])
        #expect(result.status == 2 && result.stderr.contains("--split-size"), "\(result.stderr)")
    }
}
