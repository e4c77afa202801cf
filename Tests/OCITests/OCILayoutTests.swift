import Foundation
import OCI
import Testing

@Suite("The OCI image layout store")
struct OCILayoutTests {
    @Test func writesVerifiedBlobsAtomically() throws {
        let root = NSTemporaryDirectory() + "layout-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try OCILayout(creatingAt: root)
        let mark = String(OCILayout.durabilityMarkPath.split(separator: "/").last!)
        #expect(FileManager.default.fileExists(atPath: root + "/oci-layout"))
        #expect(try layout.readIndex().manifests.isEmpty)

        let bytes = Array("hello layer".utf8)
        let good = Descriptor(mediaType: MediaType.ociLayerTarGzip, digest: Digest.of(bytes), size: Int64(bytes.count))
        try layout.writeBlob(bytes, as: good)
        #expect(layout.hasBlob(good))
        #expect(try layout.readBlob(good.digest) == bytes)

        // Wrong digest: refused, nothing left behind (not in blobs/, not in ingest/).
        let wrong = Descriptor(mediaType: good.mediaType, digest: Digest.of(Array("other".utf8)), size: good.size)
        #expect(throws: BlobWriteError.self) { try layout.writeBlob(bytes, as: wrong) }
        #expect(!layout.hasBlob(wrong))
        #expect(!FileManager.default.fileExists(atPath: layout.blobPath(wrong.digest)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/ingest") == [mark])

        // Longer than declared: refused as soon as it is written.
        let short = Descriptor(mediaType: good.mediaType, digest: good.digest, size: 3)
        let writer = try layout.blobWriter(for: short)
        #expect(throws: BlobWriteError.self) { try bytes.withUnsafeBytes { try writer.write($0) } }
        writer.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/ingest") == [mark])
    }

    @Test func indexReplacesEntriesWithTheSameName() throws {
        let root = NSTemporaryDirectory() + "layout-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try OCILayout(creatingAt: root)
        func entry(_ name: String, _ content: String) -> Descriptor {
            Descriptor(
                mediaType: MediaType.ociManifest, digest: Digest.of(Array(content.utf8)), size: 1,
                annotations: [OCILayout.Annotation.refName: name])
        }
        try layout.addToIndex(entry("docker.io/library/a:1", "x"))
        try layout.addToIndex(entry("docker.io/library/b:1", "y"))
        try layout.addToIndex(entry("docker.io/library/a:1", "z"))
        let names = try layout.readIndex().manifests.compactMap { $0.annotations?[OCILayout.Annotation.refName] }
        #expect(names == ["docker.io/library/b:1", "docker.io/library/a:1"])
        // Reopening keeps the index and clears stale ingest files.
        FileManager.default.createFile(atPath: root + "/ingest/stale", contents: Data([1]))
        let reopened = try OCILayout(creatingAt: root)
        #expect(try reopened.readIndex().manifests.count == 2)
        #expect(!FileManager.default.fileExists(atPath: root + "/ingest/stale"))
    }
}
