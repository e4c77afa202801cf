import Foundation
import Install
import Registry
import System
import TestSupport
import Testing

/// An empty site deploys before any push (issue 18's flow): `serve --registry --project` writes
/// what deploy needs into the state directory, so plan runs with nothing pushed; preflight's
/// images check finds the images at the bundle server under their site names while the site
/// registry (a real docker-registry here) has none; the push afterwards writes the same files.
@Suite("serve --registry stages what deploy needs, before the site registry holds anything", .serialized)
struct ServeStagingTests {
    @Test func planRunsBeforePushAndThePushWritesTheSameFiles() async throws {
        let packed = try DeployPlanTests.packed(scratch: "serve-staging")
        let registry = try RegistryServer()
        defer { registry.stop() }
        let state = packed.root + "/state"
        let serve = try ServeProcess(
            bundle: packed.bundle, key: packed.publicKey, extra: ["--registry", registry.host, "--project", "astrago", "--state-dir", state],
            directory: packed.root)
        #expect(serve.log().contains("deploy files and relocation.json in \(state) (deploy can run before push)"), "\(serve.log())")

        // plan works from the staged state directory, nothing pushed.
        let site = packed.root + "/site.yaml"
        try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let planned = try airgap(
            "airgap-install", ["plan", packed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--json", "--state-dir", state])
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains(state + "/charts/astrago-1.0.0.tgz"))
        let stagedRelocation = try Data(contentsOf: URL(fileURLWithPath: state + "/relocation.json"))
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: stagedRelocation)
        #expect(relocation.registry == registry.host && relocation.project == "astrago" && !relocation.images.isEmpty)
        let stagedChart = try Data(contentsOf: URL(fileURLWithPath: state + "/charts/astrago-1.0.0.tgz"))

        // preflight's images check: none in the site registry, all at the bundle server.
        let configuration = RegistryConfiguration(insecureHosts: [registry.host])
        let empty = try await RegistryClient.withClient(configuration: configuration, shutdownFailed: { _ in }) {
            await Preflight.imagesCheck(relocation, client: $0)
        }
        #expect(empty.result == .failed)
        let served = await Preflight.imagesCheck(relocation, registry: empty, serve: "http://\(serve.base)", caFile: nil)
        #expect(served.result == .ok, "\(served.detail)")
        #expect(served.detail.contains("answer at the bundle server http://\(serve.base) under their \(registry.host) names"))

        // The push into the site registry writes the same relocation.json and charts.
        try PushFixture.check(
            try airgap(
                "airgap-install",
                [
                    "push", packed.bundle, "--key", packed.publicKey, "--registry", registry.host, "--project", "astrago", "--plain-http",
                    "--state-dir", state,
                ]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: state + "/relocation.json")) == stagedRelocation)
        #expect(try Data(contentsOf: URL(fileURLWithPath: state + "/charts/astrago-1.0.0.tgz")) == stagedChart)
        let pushed = try await RegistryClient.withClient(configuration: configuration, shutdownFailed: { _ in }) {
            await Preflight.imagesCheck(relocation, client: $0)
        }
        #expect(pushed.result == .ok, "\(pushed.detail)")

        // Once serve stops, an image missing from the registry is missing everywhere.
        #expect(serve.stop() == 0)
        let gone = await Preflight.imagesCheck(relocation, registry: empty, serve: "http://\(serve.base)", caFile: nil)
        #expect(gone.result == .failed && gone.detail.contains("cannot be asked"), "\(gone.detail)")
    }

    /// serve beside a push (item 4: a faster first install while push runs): the push holds the
    /// state directory, so serve leaves the files to it, says so, and serves all the same.
    @Test func aStateDirectoryLockedByAPushIsLeftToThePush() throws {
        let fixture = try PushFixture()
        let state = fixture.root + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let lock = try StateDirectoryLock(directory: state)
        defer { lock.release() }
        let serve = try ServeProcess(
            bundle: fixture.bundle, key: fixture.publicKey, extra: ["--registry", "127.0.0.1:5998", "--project", "astrago", "--state-dir", state],
            directory: fixture.root)
        #expect(serve.log().contains("deploy files not written") && serve.log().contains("the push writes them"), "\(serve.log())")
        #expect(!FileManager.default.fileExists(atPath: state + "/relocation.json"))
        let answer = try Shell.run(["curl", "-sf", "http://\(serve.base)/v2/"])
        #expect(answer.status == 0)
        #expect(serve.stop() == 0)
    }

    @Test func stateDirWithoutRegistryIsAUsageError() throws {
        let fixture = try PushFixture()
        let run = try airgap("airgap-install", ["serve", fixture.bundle, "--key", fixture.publicKey, "--state-dir", fixture.root + "/state"])
        #expect(run.status == 64 || run.status == 2, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains("--state-dir is used with --registry and --project"))
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/state"))
    }
}
