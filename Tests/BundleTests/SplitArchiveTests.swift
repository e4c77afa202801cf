import Bundle
import Foundation
import Integrity
import TestSupport
import Testing

/// A bundle split into `NAME.part-0001`, `NAME.part-0002`, … (as `split` or `--split-size`
/// writes it for USB disks) is read as one stream by verify and inspect; the `.sig` covers the
/// whole; a missing, extra-short or swapped part is refused.
@Suite("Split bundles are read as one stream")
struct SplitArchiveTests {
    @Test func partsVerifyAsOneAndDamagedSplitsAreRefused() throws {
        let fixture = try StagedFixture(imageLayerSize: 300_000)
        let (key, pub) = try fixture.keygen("split")
        let whole = fixture.root + "/whole.tar.zst"
        #expect(try fixture.pack(key: key, output: whole).status == 0)
        let split = fixture.root + "/split/astrago.tar.zst"
        try FileManager.default.createDirectory(atPath: fixture.root + "/split", withIntermediateDirectories: true)
        try Shell.check(["split", "-b", "100k", "-d", "-a", "4", "--numeric-suffixes=1", whole, split + ".part-"])
        try FileManager.default.copyItem(atPath: whole + ".sig", toPath: split + ".sig")
        let parts = try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/split").filter { $0.contains(".part-") }.sorted()
        #expect(parts.count >= 3, "\(parts)")

        for name in [split, split + ".part-0001"] {
            let verified = try airgapBundle(["verify", name, "--key", pub, "--require-archive-signature", "--json"])
            #expect(verified.status == 0, "\(name): \(verified.stderr)")
            #expect(verified.stdout.contains("\"archiveSignature\" : \"verified\""))
            let inspected = try airgapBundle(["inspect", name, "--key", pub])
            #expect(inspected.status == 0 && inspected.stdout.contains("astrago 1.0.0"), "\(inspected.stderr)")
        }

        // A swapped pair of parts: the stream is damaged, and the .sig does not match either.
        let first = split + ".part-0001", second = split + ".part-0002"
        try FileManager.default.moveItem(atPath: first, toPath: split + ".tmp")
        try FileManager.default.moveItem(atPath: second, toPath: first)
        try FileManager.default.moveItem(atPath: split + ".tmp", toPath: second)
        #expect(try airgapBundle(["verify", split, "--key", pub]).status == 1)
        try FileManager.default.moveItem(atPath: first, toPath: split + ".tmp")
        try FileManager.default.moveItem(atPath: second, toPath: first)
        try FileManager.default.moveItem(atPath: split + ".tmp", toPath: second)
        #expect(try airgapBundle(["verify", split, "--key", pub]).status == 0)

        // The last part missing: the stream ends early.
        let last = fixture.root + "/split/" + parts.last!
        try FileManager.default.moveItem(atPath: last, toPath: fixture.root + "/last-part")
        let cut = try airgapBundle(["verify", split, "--key", pub])
        #expect(cut.status == 1)
        #expect(cut.stderr.contains("truncated") || cut.stderr.contains("cut short"), "\(cut.stderr)")
    }
}
