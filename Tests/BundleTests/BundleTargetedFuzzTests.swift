import Bundle
import Foundation
import Integrity
import TestSupport
import Testing

/// Fuzzing aimed where the security review found holes: tar header fields rewritten with a valid
/// checksum (so the mutation reaches the number parsers and limits, not just the checksum test),
/// pax records of random lengths and counts, and `bundle.json.sig` documents rewritten in every
/// way that keeps them JSON. Every mutant must be refused as a verification failure: no crash, no
/// acceptance, nothing extracted.
@Suite("Targeted fuzzing of tar headers and bundle.json.sig")
struct BundleTargetedFuzzTests {
    typealias Generator = BundleFuzzTests.SeededGenerator

    /// The offset of every header block of a plain tar (entry data skipped by its size field).
    static func headerOffsets(_ tar: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 0
        while offset + 512 <= tar.count, tar[offset..<(offset + 512)].contains(where: { $0 != 0 }) {
            offsets.append(offset)
            let sizeField = String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self)
            let size = Int(sizeField.trimmingCharacters(in: CharacterSet(charactersIn: "\0 ")), radix: 8) ?? 0
            offset += 512 + (size + 511) / 512 * 512
        }
        return offsets
    }

    static func fixChecksum(_ tar: inout [UInt8], at offset: Int) {
        for i in 148..<156 { tar[offset + i] = 0x20 }
        let sum = tar[offset..<(offset + 512)].reduce(0) { $0 + Int($1) }
        let digits = Array(String(format: "%06o", sum).utf8)
        for (i, digit) in digits.prefix(6).enumerated() { tar[offset + 148 + i] = digit }
        tar[offset + 154] = 0
        tar[offset + 155] = 0x20
    }

    /// Header fields of a ustar block: (offset, width).
    static let fields = [
        (0, 100), (100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (156, 1), (157, 100), (257, 8), (265, 32), (297, 32), (329, 16), (345, 155),
    ]

    static func mutateHeader(_ tar: [UInt8], _ rng: inout Generator) -> [UInt8] {
        var bytes = tar
        let offsets = headerOffsets(tar)
        let header = offsets[Int.random(in: 0..<offsets.count, using: &rng)]
        let (start, width) = fields[Int.random(in: 0..<fields.count, using: &rng)]
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:  // random bytes
            for i in 0..<width { bytes[header + start + i] = UInt8.random(in: 0...255, using: &rng) }
        case 1:  // octal digits of random length, maybe unterminated
            for i in 0..<width { bytes[header + start + i] = UInt8(ascii: "0") + UInt8.random(in: 0...7, using: &rng) }
        case 2:  // GNU base-256, positive or negative
            bytes[header + start] = Bool.random(using: &rng) ? 0x80 : 0xFF
            for i in 1..<width { bytes[header + start + i] = UInt8.random(in: 0...255, using: &rng) }
        default:  // a type flag for extended headers, so the block's data is read as pax or a long name
            bytes[header + 156] = [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")][Int.random(in: 0..<4, using: &rng)]
        }
        fixChecksum(&bytes, at: header)
        return bytes
    }

    /// A pax header with random records inserted before a random entry.
    static func insertPaxHeader(_ tar: [UInt8], _ rng: inout Generator) -> [UInt8] {
        var records: [UInt8] = []
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let value = String(repeating: "a", count: Int.random(in: 0...40, using: &rng))
            let key = ["path", "size", "linkpath", "comment", "mtime"][Int.random(in: 0..<5, using: &rng)]
            let lengthText: String
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: lengthText = String(UInt64.random(in: 0...UInt64.max, using: &rng))
            case 1: lengthText = "9223372036854775807"
            case 2: lengthText = String(Int.random(in: 0...200, using: &rng))
            default: lengthText = "-" + String(Int.random(in: 1...99, using: &rng))
            }
            let sizeValue = ["-1", "99999999999999999999", "9223372036854775807", "12", "0x10"][Int.random(in: 0..<5, using: &rng)]
            records += Array("\(lengthText) \(key)=\(key == "size" ? sizeValue : value)\n".utf8)
        }
        var block = [UInt8](repeating: 0, count: 512)
        for (i, byte) in Array("././@PaxHeader".utf8).enumerated() { block[i] = byte }
        for (i, byte) in Array("0000644\0".utf8).enumerated() { block[100 + i] = byte }
        for (i, byte) in Array(String(format: "%011o", records.count).utf8 + [0]).enumerated() { block[124 + i] = byte }
        block[156] = UInt8(ascii: "x")
        for (i, byte) in Array("ustar\000".utf8).enumerated() { block[257 + i] = byte }
        var header = block
        fixChecksum(&header, at: 0)
        let data = records + [UInt8](repeating: 0, count: (512 - records.count % 512) % 512)
        let offsets = headerOffsets(tar)
        let at = offsets[Int.random(in: 0..<offsets.count, using: &rng)]
        return Array(tar[..<at]) + header + data + Array(tar[at...])
    }

    /// `bundle.json.sig` rewritten: still JSON in most cases, never what pack wrote.
    static func mutateSignatureDocument(_ original: [UInt8], _ rng: inout Generator) -> [UInt8] {
        var object = (try? JSONSerialization.jsonObject(with: Data(original))) as? [String: Any] ?? [:]
        var text = String(decoding: original, as: UTF8.self)
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: object["extra\(Int.random(in: 0...9, using: &rng))"] = String(repeating: "A", count: Int.random(in: 1...6000, using: &rng))
        case 1: object["algorithm"] = ["none", "", "ed25519", "ECDSA-P256-SHA256", "rsa", "ecdsa-p384-sha384"][Int.random(in: 0..<6, using: &rng)]
        case 2: text = text.replacingOccurrences(of: " : ", with: ":"); return Array(text.utf8)
        case 3: text = text.replacingOccurrences(of: "\n", with: "\r\n"); return Array(text.utf8)
        case 4: text = "\(text.dropLast())  \n"; return Array(text.utf8)
        case 5: text = text.replacingOccurrences(of: "{", with: "{\n  \"algorithm\" : \"none\","); return Array(text.utf8)
        case 6: return Array(original.prefix(Int.random(in: 0..<original.count, using: &rng)))
        default:
            var signature = Array((object["signature"] as? String ?? "").utf8)
            if !signature.isEmpty {
                let at = Int.random(in: 0..<signature.count, using: &rng)
                signature[at] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)[Int.random(in: 0..<64, using: &rng)]
                if signature == Array((object["signature"] as? String ?? "").utf8) { signature.append(UInt8(ascii: "A")) }
            }
            object["signature"] = String(decoding: signature, as: UTF8.self)
        }
        let options: JSONSerialization.WritingOptions = Bool.random(using: &rng) ? [.sortedKeys] : [.prettyPrinted]
        return Array((try? JSONSerialization.data(withJSONObject: object, options: options)) ?? Data())
    }

    /// The entries of a plain-tar bundle, in order, as (name, bytes).
    static func entries(_ tar: [UInt8]) -> [(String, [UInt8])] {
        headerOffsets(tar).map { offset in
            let name = String(decoding: tar[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let sizeField = String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self)
            let size = Int(sizeField.trimmingCharacters(in: CharacterSet(charactersIn: "\0 ")), radix: 8) ?? 0
            return (name, Array(tar[(offset + 512)..<(offset + 512 + size)]))
        }
    }

    /// A plain tar in pack's exact header form.
    static func tar(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, data) in entries {
            var block = [UInt8](repeating: 0, count: 512)
            for (i, byte) in Array(name.utf8).enumerated() { block[i] = byte }
            for (field, text) in [
                (100, "0000644"), (108, "0000000"), (116, "0000000"), (124, String(format: "%011o", data.count)), (136, "00000000000"),
            ] {
                for (i, byte) in Array(text.utf8).enumerated() { block[field + i] = byte }
            }
            block[156] = UInt8(ascii: "0")
            for (i, byte) in Array("ustar\u{0}00".utf8).enumerated() { block[257 + i] = byte }
            fixChecksum(&block, at: 0)
            out += block + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
        }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    @Test func headerAndSignatureMutantsAreAllRefused() throws {
        let fixture = try StagedFixture(imageLayerSize: 3000)
        let (key, pub) = try fixture.keygen("fuzz")
        let bundle = fixture.root + "/good.tar"
        #expect(try fixture.pack(key: key, output: bundle, extra: ["--compression", "none"]).status == 0)
        let keys = [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: pub))))]
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
        // The helpers reproduce pack's bytes, so a mutant differs from a valid bundle in its one change only.
        #expect(Self.tar(Self.entries(original)) == original)
        _ = try BundleVerifier(keys: keys).verify(bundle)

        var rng = Generator(state: 0x5EC_0DE)
        let iterations = 450
        var refused = 0, unchanged = 0
        for iteration in 0..<iterations {
            let mutant: [UInt8]
            let kind: String
            switch iteration % 3 {
            case 0:
                mutant = Self.mutateHeader(original, &rng)
                kind = "header field"
            case 1:
                mutant = Self.insertPaxHeader(original, &rng)
                kind = "pax records"
            default:
                var entries = Self.entries(original)
                entries[1].1 = Self.mutateSignatureDocument(entries[1].1, &rng)
                mutant = Self.tar(entries)
                kind = "bundle.json.sig"
            }
            if mutant == original { unchanged += 1; continue }
            let path = fixture.root + "/mutant.tar"
            try Data(mutant).write(to: URL(fileURLWithPath: path))
            let target = fixture.root + "/extract-\(iteration)"
            do {
                try BundleExtractor.extract(path, keys: keys, into: target)
                Issue.record("mutant \(iteration) (\(kind)) was accepted")
            } catch let error as BundleError {
                #expect(error.kind == .verification, "mutant \(iteration) (\(kind)): \(error)")
                refused += 1
            }
            #expect(!FileManager.default.fileExists(atPath: target), "mutant \(iteration) left \(target)")
        }
        #expect(refused + unchanged == iterations)
        #expect(unchanged < iterations / 10, "too many mutations changed nothing: \(unchanged)")
    }
}
