import Foundation
import Install
import TestSupport
import Testing

/// preflight's checks of the empty-site flow: the bundle server answers (a real serve on
/// loopback, then nothing listening), and node-config's record names the site registry and
/// project this install uses.
@Suite("preflight: the bundle server answers and node-config was given the site registry", .serialized)
struct PreflightServeTests {
    @Test func theServeCheckPassesWhileServeAnswersAndFailsWhenNothingListens() async throws {
        let fixture = try PushFixture()
        let serve = try ServeProcess(bundle: fixture.bundle, key: fixture.publicKey, directory: fixture.root)
        let up = await Preflight.serveCheck("http://\(serve.base)", caFile: nil)
        #expect(up.result == .ok, "\(up.detail)")
        #expect(up.detail.contains("checked from this host only"))
        #expect(serve.stop() == 0)
        let down = await Preflight.serveCheck("http://\(serve.base)/", caFile: nil)
        #expect(down.result == .failed)
        #expect(down.detail.contains("does not answer at http://\(serve.base)/v2/"), "\(down.detail)")
        let notURL = await Preflight.serveCheck("10.0.0.5:5000", caFile: nil)
        #expect(notURL.result == .failed && notURL.detail.contains("is not http(s)://ADDR:PORT"))
    }

    @Test func theNodeConfigCheckComparesTheRecordWithTheSiteRegistry() throws {
        let fixture = try PushFixture()
        func nodeConfig(_ extra: [String], into output: String) throws {
            let run = try airgap(
                "airgap-install",
                ["node-config", fixture.bundle, "--key", fixture.publicKey, "--runtime", "containerd", "--serve", "http://127.0.0.1:5999"]
                    + extra + ["--output", output])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let site = fixture.root + "/site"
        try nodeConfig(["--registry", "harbor.site:443", "--project", "astrago"], into: site)
        let record = try JSONDecoder().decode(
            Preflight.NodeConfigRecord.self, from: try Data(contentsOf: URL(fileURLWithPath: site + "/node-config.json")))
        #expect(record.registry == "harbor.site:443" && record.project == "astrago" && record.serve == "http://127.0.0.1:5999" && !record.afterPush)

        let same = Preflight.nodeConfigCheck(site, registry: "harbor.site:443", project: "astrago", serve: "http://127.0.0.1:5999/")
        #expect(same.result == .ok, "\(same.detail)")
        let otherRegistry = Preflight.nodeConfigCheck(site, registry: "harbor.other:443", project: "astrago", serve: nil)
        #expect(otherRegistry.result == .failed)
        #expect(otherRegistry.detail.contains("--registry harbor.site:443 --project astrago, but this install uses harbor.other:443/astrago"))
        let otherProject = Preflight.nodeConfigCheck(site, registry: "harbor.site:443", project: "other", serve: nil)
        #expect(otherProject.result == .failed)
        let otherServe = Preflight.nodeConfigCheck(site, registry: "harbor.site:443", project: "astrago", serve: "http://10.0.0.5:5000")
        #expect(otherServe.result == .failed && otherServe.detail.contains("not at --serve http://10.0.0.5:5000"))

        let bare = fixture.root + "/bare"
        try nodeConfig([], into: bare)
        let withoutRegistry = Preflight.nodeConfigCheck(bare, registry: "harbor.site:443", project: "astrago", serve: nil)
        #expect(withoutRegistry.result == .failed && withoutRegistry.detail.contains("without --registry/--project"))
        let missing = Preflight.nodeConfigCheck(fixture.root + "/nowhere", registry: "harbor.site:443", project: "astrago", serve: nil)
        #expect(missing.result == .failed && missing.detail.contains("does not exist"))
    }
}
