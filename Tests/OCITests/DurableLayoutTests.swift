import Foundation
import Integrity
import OCI
import TestSupport
import Testing

/// Which blob files a layout trusts by size (docs/adr/0005-durable-writes.md), and where its
/// temporary files go.
@Suite("Durable layouts: trusted when ours, re-hashed otherwise")
struct DurableLayoutTests {
    func descriptor(_ bytes: [UInt8]) -> Descriptor {
        Descriptor(mediaType: MediaType.ociLayerTarGzip, digest: Digest.of(bytes), size: Int64(bytes.count))
    }

    func entries(_ directory: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    @Test func aLayoutNotMarkedAsOursIsReHashedOnceWhenOpened() throws {
        let root = try TestPaths.scratch("foreign")
        try FileManager.default.createDirectory(atPath: root + "/blobs/sha256", withIntermediateDirectories: true)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: root + "/oci-layout", atomically: true, encoding: .utf8)
        let goodBytes = Array("a whole blob".utf8), badBytes = Array("a blob that another tool left half written".utf8)
        let good = descriptor(goodBytes), bad = descriptor(badBytes)
        try Data(goodBytes).write(to: URL(fileURLWithPath: root + "/blobs/sha256/" + good.digest.hex))
        // Right size, wrong content: size alone would take it for the blob.
        try Data(repeating: 0, count: badBytes.count).write(to: URL(fileURLWithPath: root + "/blobs/sha256/" + bad.digest.hex))
        try Data("not a blob name".utf8).write(to: URL(fileURLWithPath: root + "/blobs/sha256/notes.txt"))

        let layout = try OCILayout(creatingAt: root)
        let adoption = try #require(layout.adoption)
        #expect(adoption.verifiedBlobs == 2)
        #expect(adoption.removedBlobs == ["blobs/sha256/" + bad.digest.hex])
        #expect(layout.hasBlob(good))
        #expect(!layout.hasBlob(bad))
        #expect(FileManager.default.fileExists(atPath: root + "/" + OCILayout.durabilityMarkPath))
        // The blob can be stored properly now.
        try layout.writeBlob(badBytes, as: bad)
        #expect(try layout.readBlob(bad.digest) == badBytes)
        // Marked now: the next opening trusts the layout and re-hashes nothing.
        #expect(try OCILayout(creatingAt: root).adoption == nil)
    }

    @Test func theMarkVouchesForThisDirectoryOnlyNotForACopy() throws {
        let root = try TestPaths.scratch("ours")
        let layout = try OCILayout(creatingAt: root)
        #expect(layout.adoption == nil, "a new layout has nothing to re-hash")
        let bytes = Array("layer bytes".utf8)
        let blob = descriptor(bytes)
        try layout.writeBlob(bytes, as: blob)
        // Something outside this tool changes a blob behind its back (same size).
        try Data(repeating: 1, count: bytes.count).write(to: URL(fileURLWithPath: layout.blobPath(blob.digest)))
        // In the layout we wrote, size is trusted: that is what the mark promises about our own writes.
        #expect(try OCILayout(creatingAt: root).adoption == nil)
        // A copy (cp -a keeps the mark file, not the directory's identity) is not ours: re-hashed, the bad blob removed.
        let copy = try TestPaths.scratch("copy") + "/layout"
        try Shell.check(["cp", "-a", root, copy])
        let copied = try OCILayout(creatingAt: copy)
        #expect(copied.adoption?.removedBlobs == ["blobs/sha256/" + blob.digest.hex])
        #expect(!copied.hasBlob(blob))
    }

    @Test func aGarbledMarkIsNoMark() throws {
        let root = try TestPaths.scratch("garbled")
        let layout = try OCILayout(creatingAt: root)
        let bytes = Array("x".utf8)
        try layout.writeBlob(bytes, as: descriptor(bytes))
        try Data("{".utf8).write(to: URL(fileURLWithPath: root + "/" + OCILayout.durabilityMarkPath))
        let adoption = try OCILayout(creatingAt: root).adoption
        #expect(adoption?.verifiedBlobs == 1 && adoption?.removedBlobs == [])
    }

    @Test func temporaryFilesStayInIngestAndAreClearedOnOpen() throws {
        let root = try TestPaths.scratch("tmpfiles")
        let layout = try OCILayout(creatingAt: root)
        for name in ["a", "b", "c"] {
            try layout.addToIndex(
                Descriptor(
                    mediaType: MediaType.ociManifest, digest: Digest.of(Array(name.utf8)), size: 1,
                    annotations: [OCILayout.Annotation.refName: name]))
        }
        #expect(try entries(root) == ["blobs", "index.json", "ingest", "oci-layout"])
        // Leftovers of a killed run: a half blob and a half index.json.
        for name in ["\(String(repeating: "0", count: 64))-123", "index.json.tmp-1-2"] {
            #expect(FileManager.default.createFile(atPath: root + "/ingest/" + name, contents: Data([1, 2, 3])))
        }
        // …and one of an older version, which staged index.json beside it.
        #expect(FileManager.default.createFile(atPath: root + "/index.json.tmp-77-88", contents: Data([1])))
        let reopened = try OCILayout(creatingAt: root)
        #expect(try entries(root) == ["blobs", "index.json", "ingest", "oci-layout"])
        #expect(try entries(root + "/ingest") == [String(OCILayout.durabilityMarkPath.split(separator: "/").last!)])
        #expect(try reopened.readIndex().manifests.count == 3)
    }
}
