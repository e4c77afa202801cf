import Foundation
import OCI
import Registry
import TestSupport
import Testing

@Suite("Pulling from a real registry; skopeo reads what we wrote", .serialized)
struct PullInteropTests {
    @Test func pullsEveryKindOfImageAndSkopeoCopiesThemOnWithSameDigests() async throws {
        let seeded = try await SeededRegistry.make(withBig: true)
        let layout = try TestPaths.scratch("layout")
        let refs = ["library/multi:1", "library/dockerlist:1", "library/shared-a:1", "apps/shared-b:1", "library/big:1"].map(seeded.reference)
        let result = try airgapBundle(
            ["pull"] + refs + [
                "--oci-layout", layout, "--insecure-registry", seeded.registry.host,
                "--platform", "linux/amd64", "--platform", "linux/arm64", "--json",
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try PullReportJSON(result.stdout)
        #expect(report.failures.isEmpty)
        #expect(report.images.map(\.reference) == refs.map { $0 })

        // Every stored digest equals what the registry serves, as skopeo sees it.
        for image in report.images {
            #expect(image.digest == (try skopeoManifestDigest(image.reference)), "\(image.reference)")
        }
        #expect(report.images[0].digest == seeded.multiArch.digest.description)
        #expect(report.images[0].platforms == ["linux/amd64", "linux/arm64/v8"])
        #expect(report.images[0].sourceIndexDigest == nil)
        #expect(report.images[4].size > 200 << 20)

        // index.json names each image by its full reference; blobs are all there, nothing half-written.
        let index = try OCILayout(creatingAt: layout).readIndex()
        let names = index.manifests.compactMap { $0.annotations?[OCILayout.Annotation.refName] }
        #expect(names == refs)
        #expect(index.manifests[2].annotations?[OCILayout.Annotation.sourceReference] == "\(refs[2])@\(seeded.sharedA.digest)")
        for blob in seeded.sharedA.blobs + seeded.sharedB.blobs + seeded.big!.blobs { #expect(blobExists(layout, blob.descriptor.digest)) }
        #expect(ingestLeftovers(layout).isEmpty)

        // skopeo reads the layout and copies every OCI-typed image into a second registry; digests survive.
        // (skopeo 1.x reads only index.json entries with OCI media types; Docker-typed images are
        // stored verbatim, and their stored bytes are checked against the source above and here.)
        let second = try RegistryServer()
        for (position, reference) in refs.enumerated() {
            let entry = index.manifests[position]
            let stored = try Digest(
                sha256Hex: try Shell.check(["sha256sum", "\(layout)/blobs/sha256/\(entry.digest.hex)"]).stdout.prefix(64).description)
            #expect(stored.description == report.images[position].digest)
            guard entry.mediaType == MediaType.ociIndex || entry.mediaType == MediaType.ociManifest else { continue }
            let inspect = try Shell.run(["skopeo", "inspect", "oci:\(layout):\(reference)"])
            #expect(inspect.status == 0, "skopeo inspect \(reference): \(inspect.stderr)")
            let target = "\(second.host)/copied/image\(position):1"
            let copy = try Shell.run([
                "skopeo", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
                "oci:\(layout):\(reference)", "docker://\(target)",
            ])
            #expect(copy.status == 0, "skopeo copy \(reference): \(copy.stderr)")
            #expect(try skopeoManifestDigest(target) == report.images[position].digest)
        }
    }

    @Test func aSecondPullFetchesNothingAgain() async throws {
        let seeded = try await SeededRegistry.make()
        let proxy = try FaultProxy(upstream: seeded.registry)
        let layout = try TestPaths.scratch("layout")
        let refs = ["library/shared-a:1", "apps/shared-b:1"].map { "\(proxy.host)/\($0)" }
        let first = try airgapBundle(["pull"] + refs + ["--oci-layout", layout, "--insecure-registry", proxy.host])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 2)
        let blobGets = try proxy.requestLog().filter { ($0["method"] as? String) == "GET" && (($0["path"] as? String) ?? "").contains("/blobs/") }
        let fetched = blobGets.compactMap { ($0["path"] as? String)?.split(separator: "/").last.map(String.init) }
        // The shared layer is fetched once; every blob exactly once.
        #expect(fetched.count == Set(fetched).count, "\(fetched)")
        #expect(fetched.count == 5)

        try proxy.reset()
        let second = try airgapBundle(["pull"] + refs + ["--oci-layout", layout, "--insecure-registry", proxy.host])
        #expect(second.status == 0)
        #expect(second.stdout == first.stdout)
        let again = try proxy.requestLog().filter { (($0["path"] as? String) ?? "").contains("/blobs/") }
        #expect(again.isEmpty, "blobs fetched again: \(again)")
    }
}
