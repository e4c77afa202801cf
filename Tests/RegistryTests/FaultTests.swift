import Foundation
import OCI
import Registry
import TestSupport
import Testing

/// A fault-injecting proxy (Tests/Servers/fault_proxy.py) sits in front of a real registry.
@Suite("Retries, resumes and redirects through a fault-injecting proxy", .serialized)
struct FaultTests {
    let seeded: SeededRegistry
    let proxy: FaultProxy

    init() async throws {
        seeded = try await SeededRegistry.make()
        proxy = try FaultProxy(upstream: seeded.registry, requireBasic: "robot:pw")
    }

    func pull(_ path: String, layout: String, extra: [String] = []) throws -> Shell.Result {
        try airgapBundle(
            [
                "pull", "\(proxy.host)/\(path)", "--oci-layout", layout, "--insecure-registry", proxy.host,
                "--creds", "\(proxy.host)=robot:pw",
            ] + extra, environment: ["DOCKER_CONFIG": try TestPaths.scratch("no-config")])
    }

    func actions() throws -> [String] { try proxy.requestLog().compactMap { $0["action"] as? String } }

    @Test func retriesServerErrorsAndRateLimits() throws {
        try proxy.setRules([
            ["path_contains": "/manifests/", "action": "status", "status": 503, "times": 2],
            ["path_contains": "/blobs/", "action": "status", "status": 429, "retry_after": 1, "times": 1],
            ["path_contains": "/blobs/", "action": "status", "status": 502, "times": 1],
        ])
        let layout = try TestPaths.scratch("layout")
        let result = try pull("apps/shared-b:1", layout: layout)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains(seeded.sharedB.digest.description))
        let statuses = try proxy.requestLog().compactMap { $0["status"] as? Int }
        #expect(statuses.filter { $0 == 503 }.count == 2)
        #expect(statuses.contains(429) && statuses.contains(502))
    }

    @Test func resumesABrokenBlobTransferWithRange() throws {
        // The 1 MB shared layer: the reset must hit a blob larger than the cut.
        let big = seeded.sharedA.layers[0].descriptor.digest
        try proxy.setRules([["path_contains": "/blobs/\(big)", "method": "GET", "action": "reset_after", "bytes": 400_000, "times": 1]])
        let layout = try TestPaths.scratch("layout")
        let result = try pull("library/shared-a:1", layout: layout)
        #expect(result.status == 0, "\(result.stderr)")
        // One resume, from where the client's bytes stopped: past 0, at most the cut.
        let offsets = try proxy.resumeOffsets()
        #expect(offsets.count == 1 && offsets.allSatisfy { $0 > 0 && $0 <= 400_000 }, "\(offsets)")
        for blob in seeded.sharedA.blobs { #expect(blobExists(layout, blob.descriptor.digest)) }
    }

    @Test func retriesAConnectionReset() throws {
        try proxy.setRules([["path_contains": "/manifests/", "action": "reset", "times": 1]])
        let result = try pull("apps/shared-b:1", layout: try TestPaths.scratch("layout"))
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func followsRedirectsWithoutSendingCredentialsToAnotherOrigin() throws {
        try proxy.setRules([["path_contains": "/blobs/", "method": "GET", "action": "redirect", "status": 307]])
        let layout = try TestPaths.scratch("layout")
        let result = try pull("apps/shared-b:1", layout: layout)
        #expect(result.status == 0, "\(result.stderr)")
        let log = try proxy.requestLog()
        let alt = log.filter { ($0["port"] as? String) == "alt" }
        #expect(alt.count == seeded.sharedB.blobs.count)
        #expect(alt.allSatisfy { ($0["authorization"] as? Bool) == false }, "\(alt)")
        #expect(log.contains { ($0["port"] as? String) == "main" && ($0["authorization"] as? Bool) == true })
    }

    @Test func aCorruptBlobIsRefusedAndNothingIsKept() throws {
        try proxy.setRules([["path_contains": "/blobs/\(seeded.sharedB.layers[1].descriptor.digest)", "action": "corrupt"]])
        let layout = try TestPaths.scratch("layout")
        let result = try pull("apps/shared-b:1", layout: layout)
        #expect(result.status == 1)
        #expect(result.stderr.contains("does not match its digest"), "\(result.stderr)")
        #expect(result.stderr.contains(proxy.host) && result.stderr.contains("apps/shared-b"))
        #expect(!blobExists(layout, seeded.sharedB.layers[1].descriptor.digest))
        #expect(ingestLeftovers(layout).isEmpty)
        #expect(try OCILayout(creatingAt: layout).readIndex().manifests.isEmpty)
    }

    @Test func aTruncatedBlobIsRefusedAndNothingIsKept() throws {
        try proxy.setRules([["path_contains": "/blobs/\(seeded.sharedB.layers[0].descriptor.digest)", "action": "truncate", "bytes": 1000]])
        let layout = try TestPaths.scratch("layout")
        let result = try pull("apps/shared-b:1", layout: layout)
        #expect(result.status == 1)
        #expect(result.stderr.contains("truncated"), "\(result.stderr)")
        #expect(!blobExists(layout, seeded.sharedB.layers[0].descriptor.digest))
        #expect(ingestLeftovers(layout).isEmpty)
    }

    @Test func givesUpAfterTheRetryBudgetNamingTheStatus() throws {
        try proxy.setRules([["path_contains": "/manifests/", "action": "status", "status": 500]])
        let result = try pull("apps/shared-b:1", layout: try TestPaths.scratch("layout"), extra: ["--retries", "2"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("HTTP 500"), "\(result.stderr)")
        #expect(try proxy.requestLog().filter { ($0["status"] as? Int) == 500 }.count == 2)
    }
}
