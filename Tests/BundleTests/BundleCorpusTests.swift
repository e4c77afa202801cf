import Bundle
import Foundation
import Integrity
import TestSupport
import Testing

/// The adversarial corpus (Tests/BundleTests/Corpus/make_corpus.py): hostile variants of a valid
/// bundle — flipped bytes in every entry, truncations, traversal, links and devices, duplicates,
/// reordering, wrong sizes, swapped signatures, wrong keys, changed headers, bytes hidden in the
/// compression container, integer overflows and header floods, non-canonical signatures, hostile
/// detached signatures, keys of other curves, colliding and control-character names, and bundle
/// paths that are not files. Each case runs through the real `airgap-bundle verify` and `inspect`
/// (run_corpus.py records exit status, output and the child's own peak RSS from wait4): each
/// is refused with its status and message, never prints a raw control character, and stays
/// under 100 MB; extracting it in-process leaves nothing behind.
@Suite("An adversarial corpus of bundles is refused, case by case")
struct BundleCorpusTests {
    struct Case: Decodable {
        var file: String
        var kind: String
        var description: String
        var expect: String?
        var expectAny: [String]?
        var exit: Int
        var verifyKey: String
        var keyFile: String?
        var sig: String?
        var requireArchiveSignature: Bool?
        var inspectExit: Int?
        var inspectExpect: String?
        var pathKind: String?
    }

    struct Run: Decodable {
        var exit: Int
        var stdout: String
        var stderr: String
        var maxrssKb: Int
        var seconds: Double
    }

    struct Result: Decodable {
        var file: String
        var verify: Run
        var inspect: Run
    }

    static let memoryLimitKB = 100 * 1024

    /// cases.json and the runner's results use snake_case keys.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    /// Checks each case's runs (status, message, control characters, memory) and extracts it
    /// in-process; returns the cases per kind and the peak RSS seen.
    static func check(_ cases: [Case], resultsPath: String, corpus: String, fixture: StagedFixture, goodPub: String, otherPub: String?) throws -> (
        [String: Int], Int
    ) {
        let results = try Self.decoder.decode([Result].self, from: Data(contentsOf: URL(fileURLWithPath: resultsPath)))
        #expect(results.count == cases.count)
        var keys = [
            "good": [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: goodPub))))]
        ]
        if let otherPub { keys["other"] = [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: otherPub))))] }
        var kinds: [String: Int] = [:]
        var peakKB = 0
        for (item, result) in zip(cases, results) {
            #expect(item.file == result.file)
            kinds[item.kind, default: 0] += 1
            let path = corpus + "/" + item.file
            let label = "\(item.file) (\(item.description))"
            let verifyMessage = result.verify.stderr.replacingOccurrences(of: path, with: "FILE")
            #expect(result.verify.exit == item.exit, "\(label): verify exit \(result.verify.exit), \(verifyMessage)")
            if item.exit != 0 {
                let wanted = item.expect.map { [$0] } ?? item.expectAny ?? []
                #expect(wanted.contains { verifyMessage.contains($0) }, "\(label): \"\(verifyMessage)\" lacks \(wanted)")
            }
            if let inspectExit = item.inspectExit {
                #expect(result.inspect.exit == inspectExit, "\(label): inspect exit \(result.inspect.exit), \(result.inspect.stderr)")
                if let wanted = item.inspectExpect {
                    #expect(result.inspect.stderr.contains(wanted), "\(label): inspect said \(result.inspect.stderr)")
                }
            }
            #expect(result.inspect.exit != -9 && result.verify.exit != -9, "\(label): timed out")
            for output in [result.verify.stdout, result.verify.stderr, result.inspect.stdout, result.inspect.stderr] {
                let raw = output.unicodeScalars.first {
                    $0 != "\n"
                        && ($0.properties.generalCategory == .control || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value))
                }
                #expect(raw == nil, "\(label) printed a raw control character U+\(String(raw?.value ?? 0, radix: 16))")
            }
            peakKB = max(peakKB, result.verify.maxrssKb, result.inspect.maxrssKb)
            #expect(result.verify.maxrssKb < Self.memoryLimitKB, "\(label): verify peaked at \(result.verify.maxrssKb) KB")
            #expect(result.inspect.maxrssKb < Self.memoryLimitKB, "\(label): inspect peaked at \(result.inspect.maxrssKb) KB")

            // In-process extraction: the same outcome, and nothing left on disk when refused.
            guard item.keyFile == nil, item.pathKind == nil, let trusted = keys[item.verifyKey] else { continue }
            let target = fixture.root + "/x-" + (resultsPath as NSString).lastPathComponent + "-" + item.file
            var status = 0
            do {
                try BundleExtractor.extract(path, keys: trusted, into: target, requireArchiveSignature: item.requireArchiveSignature ?? false)
            } catch let error as BundleError {
                status = error.kind == .verification ? 1 : 2
            }
            #expect(status == item.exit, "\(label): extraction ended with \(status)")
            #expect(FileManager.default.fileExists(atPath: target) == (item.exit == 0), "\(label): \(target)")
        }
        return (kinds, peakKB)
    }

    @Test func everyHostileCaseIsRefusedAndEveryControlVerifies() throws {
        let fixture = try StagedFixture(imageLayerSize: 2000)
        try Data("accent\n".utf8).write(to: URL(fileURLWithPath: fixture.stage + "/files/café.txt"))
        let (goodKey, goodPub) = try fixture.keygen("good")
        let (otherKey, otherPub) = try fixture.keygen("other", type: "ed25519")
        let good = fixture.root + "/good.tar.zst", other = fixture.root + "/other.tar.zst"
        // This corpus rebuilds archives as one zstd frame: format 1 (the seekable corpus below covers format 2).
        #expect(try fixture.pack(key: goodKey, output: good, extra: ["--format", "1"]).status == 0)
        let packedOther = try airgapBundle([
            "pack", fixture.stage, "--key", otherKey, "--output", other, "--name", "other", "--version", "2.0.0", "--created", "1790000001",
            "--format", "1",
        ])
        #expect(packedOther.status == 0, "\(packedOther.stderr)")
        let corpus = fixture.root + "/corpus"
        let scripts = TestPaths.repository + "/Tests/BundleTests/Corpus/"
        let made = try Shell.run([
            "python3", scripts + "make_corpus.py", "--bundle", good, "--other-bundle", other, "--sign-key", goodKey, "--out", corpus,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let cases = try Self.decoder.decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/cases.json")))
        #expect(cases.count >= 250)
        let resultsPath = fixture.root + "/results.json"
        let ran = try Shell.run([
            "python3", scripts + "run_corpus.py", "--binary", try TestPaths.binary("airgap-bundle"), "--corpus", corpus,
            "--key", "good=" + goodPub, "--key", "other=" + otherPub, "--out", resultsPath,
        ])
        #expect(ran.status == 0, "\(ran.stderr)")
        let (kinds, peakKB) = try Self.check(cases, resultsPath: resultsPath, corpus: corpus, fixture: fixture, goodPub: goodPub, otherPub: otherPub)
        print("corpus: \(cases.count) cases, peak RSS of verify/inspect \(peakKB / 1024) MB, kinds \(kinds.sorted { $0.key < $1.key })")
        #expect(kinds.keys.count >= 20, "\(kinds)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.contains(".partial") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    /// Format 2: the seek-table attacks of make_seekable_corpus.py (lying sizes, overlapping
    /// frames, a table pointing past the end, huge frame counts, a frame spanning two entries,
    /// second tables, empty and skippable frames, a frame of a GiB declared small, a container
    /// that does not match bundle.json's format), plus truncations and a flipped bit in every
    /// frame: each refused with exit 1 and its message, under 100 MB, nothing extracted —
    /// whether verify reads the archive as one stream or checks its entries on several cores.
    @Test func everySeekTableAttackIsRefused() throws {
        let fixture = try StagedFixture(imageLayerSize: 2000)
        let (key, pub) = try fixture.keygen("good")
        let good = fixture.root + "/good2.tar.zst", good1 = fixture.root + "/good1.tar.zst"
        #expect(try fixture.pack(key: key, output: good).status == 0)
        #expect(try fixture.pack(key: key, output: good1, extra: ["--format", "1"]).status == 0)
        let corpus = fixture.root + "/corpus"
        let scripts = TestPaths.repository + "/Tests/BundleTests/Corpus/"
        let made = try Shell.run(["python3", scripts + "make_seekable_corpus.py", "--bundle", good, "--format1-bundle", good1, "--out", corpus])
        #expect(made.status == 0, "\(made.stderr)")
        let cases = try Self.decoder.decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: corpus + "/cases.json")))
        #expect(cases.filter { $0.kind == "seek-table" }.count >= 40)
        // verify as one stream (--threads 1) and on several cores (--threads 4): the same refusals.
        for threads in ["1", "4"] {
            let resultsPath = fixture.root + "/results-\(threads).json"
            let ran = try Shell.run([
                "python3", scripts + "run_corpus.py", "--binary", try TestPaths.binary("airgap-bundle"), "--corpus", corpus,
                "--key", "good=" + pub, "--out", resultsPath, "--verify-arg=--threads=" + threads,
            ])
            #expect(ran.status == 0, "\(ran.stderr)")
            let (kinds, peakKB) = try Self.check(cases, resultsPath: resultsPath, corpus: corpus, fixture: fixture, goodPub: pub, otherPub: nil)
            print("seekable corpus, --threads \(threads): \(cases.count) cases, peak RSS of verify/inspect \(peakKB / 1024) MB, kinds \(kinds)")
            #expect(kinds["control"] == 2)
        }
    }
}
