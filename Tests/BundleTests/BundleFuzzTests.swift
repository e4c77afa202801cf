import Bundle
import Foundation
import Integrity
import TestSupport
import Testing

/// A bounded random corpus over the bundle reader: seeded mutations of valid bundles (plain tar and
/// zstd). Every mutant must be refused with a verification error — never a crash, a hang, an
/// acceptance, or a file written outside the extraction target.
@Suite("Fuzzing the bundle reader with a bounded random corpus")
struct BundleFuzzTests {
    /// SplitMix64: a small seeded generator, so a failing case can be replayed from its seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    enum Mutation: CaseIterable { case flipByte, flipBytes, truncate, insert, overwriteBlock, duplicateRange, append }

    static func mutate(_ original: [UInt8], _ mutation: Mutation, _ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        let position = Int.random(in: 0..<bytes.count, using: &rng)
        switch mutation {
        case .flipByte:
            bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
        case .flipBytes:
            for _ in 0..<Int.random(in: 2...16, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            }
        case .truncate:
            bytes = Array(bytes.prefix(position))
        case .insert:
            bytes.insert(contentsOf: (0..<Int.random(in: 1...600, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: position)
        case .overwriteBlock:
            let start = position / 512 * 512
            for i in start..<min(start + 512, bytes.count) { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        case .duplicateRange:
            let length = Int.random(in: 1...2048, using: &rng)
            let range = position..<min(position + length, bytes.count)
            bytes.insert(contentsOf: bytes[range], at: Int.random(in: 0...bytes.count, using: &rng))
        case .append:
            bytes += (0..<Int.random(in: 1...1024, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        return bytes
    }

    /// `zstd` is format 2 (seekable: many frames and a seek table), `zstd-1` format 1 (one frame).
    @Test(arguments: ["none", "zstd", "zstd-1"])
    func mutantsAreAllRefused(variant: String) throws {
        let compression = variant == "zstd-1" ? "zstd" : variant
        let fixture = try StagedFixture(imageLayerSize: 3000)
        let (key, pub) = try fixture.keygen("fuzz")
        let bundle = fixture.root + "/good." + compression
        #expect(
            try fixture.pack(key: key, output: bundle, extra: ["--compression", compression] + (variant == "zstd-1" ? ["--format", "1"] : [])).status
                == 0)
        let keys = [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: pub))))]
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
        _ = try BundleVerifier(keys: keys).verify(bundle)

        var rng = SeededGenerator(state: variant == "zstd" ? 0x5EE_CAB1E : variant == "zstd-1" ? 0xA11CE : 0xB0B)
        let iterations = 300
        var refused = 0
        let outside = fixture.root + "/outside-marker"
        for iteration in 0..<iterations {
            let mutation = Mutation.allCases[iteration % Mutation.allCases.count]
            let mutant = Self.mutate(original, mutation, &rng)
            if mutant == original { refused += 1; continue }
            let path = fixture.root + "/mutant"
            try Data(mutant).write(to: URL(fileURLWithPath: path))
            // The detached signature sits beside it, as pack leaves it: a changed byte anywhere,
            // even one that decompresses to the same content, must be caught.
            try? FileManager.default.removeItem(atPath: path + ".sig")
            try FileManager.default.copyItem(atPath: bundle + ".sig", toPath: path + ".sig")
            let target = fixture.root + "/extract-\(iteration)"
            do {
                try BundleExtractor.extract(path, keys: keys, into: target)
                Issue.record("mutant \(iteration) (\(mutation)) was accepted")
            } catch let error as BundleError {
                #expect(error.kind == .verification, "mutant \(iteration) (\(mutation)): \(error)")
                refused += 1
            }
            #expect(!FileManager.default.fileExists(atPath: target), "mutant \(iteration) left \(target)")
            #expect(!FileManager.default.fileExists(atPath: outside))
        }
        #expect(refused == iterations)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter {
            $0.contains(".partial") || $0.hasPrefix("extract-")
        }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }
}
