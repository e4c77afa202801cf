import Foundation
import Install
import OCI
import Registry
import TestSupport
import Testing

/// Pushing through the fault-injecting proxy (Tests/Servers/fault_proxy.py) in front of a real
/// registry: uploads cut off mid-blob, 500 and 429 answers, a stalled answer. The push completes,
/// or fails with a clear message and no manifest whose blobs are missing; a rerun completes.
@Suite("Pushing through a faulty network", .serialized)
struct PushFaultTests {
    func push(_ fixture: PushFixture, proxy: FaultProxy, state: String) throws -> Shell.Result {
        try airgap(
            "airgap-install",
            [
                "push", fixture.bundle, "--key", fixture.publicKey, "--registry", proxy.host, "--project", "astrago",
                "--plain-http", "--state-dir", state, "--json", "--timeout", "2", "--retries", "4",
            ])
    }

    func checkEveryImage(_ fixture: PushFixture, registry: RegistryServer, state: String) throws {
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: state + "/relocation.json")))
        for entry in relocation.images {
            // Read back from the registry itself, not through the proxy.
            let target = try ImageReference(parsing: entry.target)
            let raw = try Shell.check([
                "skopeo", "inspect", "--raw", "--tls-verify=false",
                "docker://\(registry.host)/\(target.repository)@\(entry.digest)",
            ]).stdout
            #expect(Digest.of(Array(raw.utf8)) == entry.digest)
        }
    }

    @Test func resetsMidBlobErrorsAndAStallAreRetried() throws {
        // A 20 MiB layer goes up as one streamed PATCH; cut off, it is sent again in a repair pass.
        let fixture = try PushFixture(largeLayer: 20 << 20)
        let registry = try RegistryServer()
        let proxy = try FaultProxy(upstream: registry)
        try proxy.setRules([
            ["method": "PATCH", "action": "reset_request_after", "bytes": 3_000_000, "times": 1],
            ["method": "PUT", "path_contains": "/blobs/uploads/", "action": "reset_request_after", "bytes": 5000, "times": 1],
            ["method": "POST", "path_contains": "/blobs/uploads/", "action": "status", "status": 500, "times": 2],
            ["method": "HEAD", "path_contains": "/blobs/", "action": "status", "status": 429, "retry_after": 0, "times": 2],
            ["method": "HEAD", "path_contains": "/manifests/", "action": "delay", "seconds": 4, "times": 1],
        ])
        let state = fixture.root + "/state"
        let result = try push(fixture, proxy: proxy, state: state)
        #expect(result.status == 0, "\(result.stderr)")
        let log = try proxy.requestLog()
        let actions = log.compactMap { $0["action"] as? String }
        #expect(actions.contains { $0.hasPrefix("reset_request_after") && $0.contains("3000000") }, "\(actions)")
        // The only blob over one piece: the PATCH that was cut off, and the repair pass's one.
        let patches = log.filter { $0["method"] as? String == "PATCH" }.compactMap { $0["path"] as? String }
        #expect(patches.count == 2 && Set(patches).count == 2, "\(patches)")
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("repair-pass"))
        #expect(actions.filter { $0 == "status" }.count == 4)
        #expect(actions.contains("delay"))
        try checkEveryImage(fixture, registry: registry, state: state)
    }

    @Test func aPushThatKeepsFailingRegistersNothingAndARerunCompletes() throws {
        let fixture = try PushFixture(largeLayer: 20 << 20)
        let registry = try RegistryServer()
        let proxy = try FaultProxy(upstream: registry)
        try proxy.setRules([["method": "PATCH", "action": "reset_request_after", "bytes": 1_000_000, "times": 1000]])
        let state = fixture.root + "/state"
        let failed = try push(fixture, proxy: proxy, state: state)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("upload(s) failed") && failed.stderr.contains("rerun"), "\(failed.stderr)")
        #expect(registry.storedManifests().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: state + "/relocation.json"))

        try proxy.reset()
        let rerun = try push(fixture, proxy: proxy, state: state)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let report = try JSONDecoder().decode(PushReport.self, from: Data(rerun.stdout.utf8))
        #expect(report.blobsSkipped > 0, "the first run's finished blobs are not sent again")
        #expect(report.blobsUploaded >= 1)
        try checkEveryImage(fixture, registry: registry, state: state)
    }
}
