import Bundle
import Foundation
import Install
import Integrity
import OCI
import TarStream
import TestSupport
import Testing

/// A rerun of a push that completed stops after bundle.json's signature and a look at the
/// registry and the state directory; anything missing there brings back the full pass.
@Suite("A rerun of a complete push", .serialized)
struct PushRerunTests {
    func push(_ bundle: String, _ fixture: PushFixture, registry: RegistryServer, state: String, extra: [String] = []) throws -> Shell.Result {
        try airgap(
            "airgap-install",
            [
                "push", bundle, "--key", fixture.publicKey, "--registry", registry.host, "--project", "astrago", "--plain-http",
                "--state-dir", state, "--json",
            ] + extra)
    }

    func report(_ result: Shell.Result) throws -> PushReport {
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(PushReport.self, from: Data(result.stdout.utf8))
    }

    @Test func aCompletePushIsCheckedNotReadAgain() throws {
        let fixture = try PushFixture()
        let registry = try RegistryServer()
        let state = fixture.root + "/state"
        let first = try report(try push(fixture.bundle, fixture, registry: registry, state: state))
        #expect(!first.alreadyPushed && first.blobsUploaded > 0)

        // The same archive with every byte after its first MiB (bundle.json and its signature)
        // zeroed, up to the seek table that format 2 reads when it opens the archive, still
        // reruns: the rest is not read. --full reads it all, and fails on the zeros.
        let cut = fixture.root + "/cut.tar.zst"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.bundle)))
        #expect(bytes.count > 2 << 20)
        let frames = bytes[(bytes.count - 9)..<(bytes.count - 5)].reversed().reduce(0) { $0 << 8 | Int($1) }
        let tableStart = bytes.count - (17 + 8 * frames)
        #expect(tableStart > 1 << 20)
        bytes.replaceSubrange((1 << 20)..<tableStart, with: [UInt8](repeating: 0, count: tableStart - (1 << 20)))
        try Data(bytes).write(to: URL(fileURLWithPath: cut))
        let rerun = try report(try push(cut, fixture, registry: registry, state: state))
        #expect(rerun.alreadyPushed && rerun.archiveSignature == nil)
        #expect(rerun.images == 7 && rerun.blobsUploaded == 0 && rerun.manifestsPushed == 0 && rerun.tagsUnchanged == 6)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("already-pushed"))
        let full = try push(cut, fixture, registry: registry, state: state, extra: ["--full"])
        #expect(full.status == 1, "\(full.stdout)")

        // --require-archive-signature: FILE.sig must be beside the archive (the cut copy has none).
        let unsigned = try push(cut, fixture, registry: registry, state: state, extra: ["--require-archive-signature"])
        #expect(unsigned.status == 1 && unsigned.stderr.contains("no detached signature"), "\(unsigned.stderr)")
        #expect(try report(try push(fixture.bundle, fixture, registry: registry, state: state, extra: ["--require-archive-signature"])).alreadyPushed)

        let text = try airgap(
            "airgap-install",
            [
                "push", fixture.bundle, "--key", fixture.publicKey, "--registry", registry.host, "--project", "astrago", "--plain-http",
                "--state-dir", state,
            ])
        #expect(text.status == 0 && text.stdout.contains("already pushed") && text.stdout.contains("7 images checked"), "\(text.stdout)")

        let fullPass = try report(try push(fixture.bundle, fixture, registry: registry, state: state, extra: ["--full"]))
        #expect(!fullPass.alreadyPushed && fullPass.archiveSignature != nil && fullPass.blobsUploaded == 0)
    }

    @Test func aMissingFileOrManifestBringsBackTheFullPass() throws {
        let fixture = try PushFixture(largeLayer: 100_000)
        let registry = try RegistryServer()
        let state = fixture.root + "/state"
        _ = try report(try push(fixture.bundle, fixture, registry: registry, state: state))

        // A file of the state directory gone: the full pass puts it back.
        try FileManager.default.removeItem(atPath: state + "/files/README.txt")
        let refilled = try report(try push(fixture.bundle, fixture, registry: registry, state: state))
        #expect(!refilled.alreadyPushed)
        #expect(FileManager.default.fileExists(atPath: state + "/files/README.txt"))
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("full-pass") && journal.contains("README.txt"))

        // A manifest deleted from the registry: the full pass pushes it again.
        let digest = fixture.images["docker.io/library/nginx:1.27"]!
        let image = "docker://\(registry.host)/astrago/library/nginx"
        try Shell.check(["skopeo", "delete", "--tls-verify=false", "\(image)@\(digest)"])
        let repaired = try report(try push(fixture.bundle, fixture, registry: registry, state: state))
        #expect(!repaired.alreadyPushed && repaired.manifestsPushed >= 1)
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "\(image):1.27"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == digest)
        #expect(try report(try push(fixture.bundle, fixture, registry: registry, state: state)).alreadyPushed)
    }

    /// Format 2: a rerun that has little to upload reads only the frames it needs. With every
    /// frame of the image blobs the registry already holds zeroed in a copy of the archive, a
    /// rerun after a manifest was deleted still pushes it (it never reads those frames), and
    /// says FILE.sig was not checked; --full reads the whole archive and refuses the copy.
    @Test func aRerunOfAFormat2BundleReadsOnlyTheFramesItNeeds() throws {
        let fixture = try PushFixture(largeLayer: 100_000)
        let registry = try RegistryServer()
        let state = fixture.root + "/state"
        _ = try report(try push(fixture.bundle, fixture, registry: registry, state: state))
        let digest = fixture.images["docker.io/library/nginx:1.27"]!
        let image = "docker://\(registry.host)/astrago/library/nginx"
        try Shell.check(["skopeo", "delete", "--tls-verify=false", "\(image)@\(digest)"])

        let keys = [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.publicKey))))]
        let archive = try BundleArchive(path: fixture.bundle, keys: keys)
        let table = try SeekableReader(path: fixture.bundle).table
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.bundle)))
        var zeroed = 0
        for blob in Set(archive.index.images.flatMap { $0.blobs ?? [] }.map(\.digest)) {
            let location = try #require(archive.location(ofBlob: blob))
            let last = try #require(table.frameIndex(containing: location.dataOffset + location.entry.size - 1))
            for frame in location.firstFrame...last {
                let range = Int(table.compressedOffsets[frame])..<Int(table.compressedOffsets[frame + 1])
                bytes.replaceSubrange(range, with: [UInt8](repeating: 0, count: range.count))
                zeroed += range.count
            }
        }
        #expect(zeroed > 100_000)
        let copy = fixture.root + "/layers-zeroed.tar.zst"
        try Data(bytes).write(to: URL(fileURLWithPath: copy))

        let rerun = try report(try push(copy, fixture, registry: registry, state: state))
        #expect(!rerun.alreadyPushed && rerun.manifestsPushed >= 1 && rerun.blobsUploaded == 0)
        #expect(rerun.archiveSignature == .notChecked)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("random-access"))
        let raw = try Shell.check(["skopeo", "inspect", "--raw", "--tls-verify=false", "\(image):1.27"]).stdout
        #expect(Digest.of(Array(raw.utf8)) == digest)

        try Shell.check(["skopeo", "delete", "--tls-verify=false", "\(image)@\(digest)"])
        let full = try push(copy, fixture, registry: registry, state: state, extra: ["--full"])
        #expect(full.status == 1, "\(full.stdout)\(full.stderr)")
    }
}
