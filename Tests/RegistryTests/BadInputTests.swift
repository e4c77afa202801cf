import Foundation
import OCI
import Registry
import TestSupport
import Testing

@Suite("Bad input gets a clear message naming the image and registry", .serialized)
struct BadInputTests {
    @Test func invalidReferenceIsAUsageError() throws {
        let result = try airgapBundle(["pull", "Docker.io/Library/Nginx", "--oci-layout", try TestPaths.scratch("layout")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("invalid image reference \"Docker.io/Library/Nginx\""), "\(result.stderr)")
        #expect(result.stderr.contains("lowercase"))
    }

    /// The path is well formed; the file system refuses it (a file where a directory must be): exit 1, not 2.
    @Test func aLayoutThatCannotBeCreatedIsAnIOErrorNotAUsageError() throws {
        let file = try TestPaths.scratch("not-a-dir") + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let result = try airgapBundle(["pull", "127.0.0.1:1/library/x:1", "--oci-layout", file + "/layout", "--insecure-registry", "127.0.0.1:1"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("cannot open the OCI layout \(file)/layout"), "\(result.stderr)")
        #expect(result.stderr.contains("Not a directory"), "\(result.stderr)")
    }

    @Test func connectionRefused() throws {
        let port = try Loopback.freePort()
        let result = try airgapBundle([
            "pull", "127.0.0.1:\(port)/library/x:1", "--oci-layout", try TestPaths.scratch("layout"),
            "--insecure-registry", "127.0.0.1:\(port)",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("127.0.0.1:\(port)/library/x:1"), "\(result.stderr)")
        #expect(result.stderr.contains("connection refused"), "\(result.stderr)")
    }

    /// Runs in a network namespace of its own (unshare -n) so that no DNS query leaves the machine.
    @Test func unknownHost() throws {
        let binary = try TestPaths.binary("airgap-bundle")
        let result = try Shell.run(["unshare", "-n", binary, "pull", "registry.invalid/library/x:1", "--oci-layout", try TestPaths.scratch("layout")])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("registry.invalid"), "\(result.stderr)")
        #expect(result.stderr.contains("cannot resolve"), "\(result.stderr)")
    }

    @Test func manifestUnknown() async throws {
        let seeded = try await SeededRegistry.make()
        let result = try airgapBundle([
            "pull", seeded.reference("library/multi:nope"), "--oci-layout", try TestPaths.scratch("layout"),
            "--insecure-registry", seeded.registry.host,
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(seeded.registry.host)/library/multi:nope"), "\(result.stderr)")
        #expect(result.stderr.contains("HTTP 404") && result.stderr.contains("MANIFEST_UNKNOWN"), "\(result.stderr)")
    }

    /// The registry itself serves wrong bytes: its stored blob file is changed, then cut short.
    @Test func aRegistryServingBadBlobBytes() async throws {
        let seeded = try await SeededRegistry.make()
        let layer = seeded.sharedB.layers[1].descriptor
        let path = seeded.registry.blobDataPath(layer.digest.hex)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[10] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        let layout = try TestPaths.scratch("layout")
        let corrupt = try airgapBundle([
            "pull", seeded.reference("apps/shared-b:1"), "--oci-layout", layout, "--insecure-registry", seeded.registry.host,
        ])
        #expect(corrupt.status == 1)
        #expect(corrupt.stderr.contains("blob \(layer.digest)"), "\(corrupt.stderr)")
        #expect(corrupt.stderr.contains("does not match its digest"))
        #expect(!blobExists(layout, layer.digest))

        try bytes.prefix(5000).write(to: URL(fileURLWithPath: path))
        let truncated = try airgapBundle([
            "pull", seeded.reference("apps/shared-b:1"), "--oci-layout", layout, "--insecure-registry", seeded.registry.host,
        ])
        #expect(truncated.status == 1)
        #expect(truncated.stderr.contains("truncated"), "\(truncated.stderr)")
        #expect(!blobExists(layout, layer.digest))
        #expect(ingestLeftovers(layout).isEmpty)
        // The other blobs of the image were fine and are kept for the next try; no image is named.
        #expect(blobExists(layout, seeded.sharedB.layers[0].descriptor.digest))
        #expect(try OCILayout(creatingAt: layout).readIndex().manifests.isEmpty)
    }

    @Test func plainHTTPIsRefusedUnlessNamed() async throws {
        let seeded = try await SeededRegistry.make()
        let result = try airgapBundle(["pull", seeded.reference("apps/shared-b:1"), "--oci-layout", try TestPaths.scratch("layout")])
        #expect(result.status == 1)
        #expect(result.stderr.contains(seeded.registry.host), "\(result.stderr)")
        #expect(result.stderr.contains("--insecure-registry"), "\(result.stderr)")
    }
}
