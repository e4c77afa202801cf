import Foundation
import OCI
import Registry
import TestSupport
import Testing

@Suite("Multi-arch indexes: platform selection and digest pins", .serialized)
struct PlatformSelectionTests {
    @Test func aTagKeepsOnlyTheAskedPlatformsInAFilteredIndex() async throws {
        let seeded = try await SeededRegistry.make()
        let layout = try TestPaths.scratch("layout")
        let result = try airgapBundle([
            "pull", seeded.reference("library/multi:1"), "--oci-layout", layout,
            "--insecure-registry", seeded.registry.host, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let image = try #require(try PullReportJSON(result.stdout).images.first)
        #expect(image.platforms == ["linux/amd64"])
        #expect(image.sourceIndexDigest == seeded.multiArch.digest.description)
        #expect(image.digest != seeded.multiArch.digest.description)

        let amd = seeded.multiArch.images[0], arm = seeded.multiArch.images[1]
        for blob in amd.blobs { #expect(blobExists(layout, blob.descriptor.digest)) }
        for blob in arm.blobs { #expect(!blobExists(layout, blob.descriptor.digest)) }
        let stored = try OCILayout(creatingAt: layout)
        let entry = try #require(try stored.readIndex().manifests.first)
        #expect(entry.annotations?[OCILayout.Annotation.sourceIndexDigest] == seeded.multiArch.digest.description)
        let filtered = try ManifestDocument(bytes: try stored.readBlob(entry.digest), declaredType: entry.mediaType)
        guard case .index(let index) = filtered.content else { Issue.record("not an index"); return }
        #expect(index.manifests.map(\.digest) == [amd.digest])
    }

    @Test func aDigestPinKeepsEveryPlatformSoThePinStillResolves() async throws {
        let seeded = try await SeededRegistry.make()
        let layout = try TestPaths.scratch("layout")
        let pinned = "\(seeded.reference("library/multi"))@\(seeded.multiArch.digest)"
        let result = try airgapBundle(["pull", pinned, "--oci-layout", layout, "--insecure-registry", seeded.registry.host, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let image = try #require(try PullReportJSON(result.stdout).images.first)
        #expect(image.digest == seeded.multiArch.digest.description)
        #expect(image.sourceIndexDigest == nil)
        for blob in seeded.multiArch.images.flatMap(\.blobs) { #expect(blobExists(layout, blob.descriptor.digest)) }
    }

    @Test func aPlatformTheIndexLacksIsAnErrorListingWhatItHas() async throws {
        let seeded = try await SeededRegistry.make()
        let layout = try TestPaths.scratch("layout")
        let result = try airgapBundle([
            "pull", seeded.reference("library/multi:1"), "--oci-layout", layout,
            "--insecure-registry", seeded.registry.host, "--platform", "linux/s390x",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no manifest for linux/s390x"), "\(result.stderr)")
        #expect(result.stderr.contains("linux/amd64, linux/arm64/v8"))
        #expect(try OCILayout(creatingAt: layout).readIndex().manifests.isEmpty)
    }
}
