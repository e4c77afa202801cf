import Bundle
import Foundation
import Integrity
import Testing
import TestSupport

/// The adversarial corpus (Tests/BundleTests/Corpus/make_corpus.py): ~190 hostile variants of a
/// valid bundle — flipped bytes in every entry, truncations, traversal, links and devices,
/// duplicates, reordering, wrong sizes, swapped signatures, wrong keys, changed headers, bytes
/// hidden in the compression container. Each must be refused with its message, and extracting it
/// must leave nothing behind.
@Suite("An adversarial corpus of bundles is refused, case by case")
struct BundleCorpusTests {
    struct Case: Decodable {
        var file: String
        var kind: String
        var description: String
        var expect: String?
        var expect_any: [String]?
        var exit: Int
        var verify_key: String
    }

    @Test func everyHostileCaseIsRefusedAndEveryControlVerifies() throws {
        let fixture = try StagedFixture(imageLayerSize: 2000)
        try Data("accent\n".utf8).write(to: URL(fileURLWithPath: fixture.stage + "/files/café.txt"))
        let (goodKey, goodPub) = try fixture.keygen("good")
        let (otherKey, otherPub) = try fixture.keygen("other", type: "ed25519")
        let good = fixture.root + "/good.tar.zst", other = fixture.root + "/other.tar.zst"
        #expect(try fixture.pack(key: goodKey, output: good).status == 0)
        let packedOther = try airgapBundle(["pack", fixture.stage, "--key", otherKey, "--output", other, "--name", "other", "--version", "2.0.0", "--created", "1790000001"])
        #expect(packedOther.status == 0, "\(packedOther.stderr)")
        let corpus = fixture.root + "/corpus"
        let made = try Shell.run(["python3", TestPaths.repository + "/Tests/BundleTests/Corpus/make_corpus.py",
                                  "--bundle", good, "--other-bundle", other, "--out", corpus])
        #expect(made.status == 0, "\(made.stderr)")
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/cases.json")))
        #expect(cases.count >= 150)
        let keys = [
            "good": [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: goodPub))))],
            "other": [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: otherPub))))],
        ]
        var kinds: [String: Int] = [:]
        for item in cases {
            kinds[item.kind, default: 0] += 1
            let path = corpus + "/" + item.file
            let trusted = keys[item.verify_key] ?? []
            let target = fixture.root + "/x-" + item.file
            var status = 0
            var message = ""
            do {
                try BundleExtractor.extract(path, keys: trusted, into: target)
            } catch let error as BundleError {
                status = error.kind == .verification ? 1 : 2
                message = error.message.replacingOccurrences(of: path, with: "FILE")
            }
            #expect(status == item.exit, "\(item.file) (\(item.description)): exit \(status), \(message)")
            if item.exit == 0 {
                #expect(FileManager.default.fileExists(atPath: target + "/bundle.json"), "\(item.file)")
                continue
            }
            #expect(!FileManager.default.fileExists(atPath: target), "\(item.file) left \(target)")
            let wanted = item.expect.map { [$0] } ?? item.expect_any ?? []
            #expect(wanted.contains { message.contains($0) }, "\(item.file) (\(item.description)): \"\(message)\" lacks \(wanted)")
        }
        #expect(kinds.keys.count >= 12, "\(kinds)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
