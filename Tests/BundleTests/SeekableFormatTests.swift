import Bundle
import Dispatch
import Foundation
import Integrity
import OCI
import Synchronization
import TarStream
import TestSupport
import Testing

/// Format 2 (zstd's seekable format) as stock tools and the random-access reader see it.
@Suite("Format 2: a seekable archive that stock tools still read")
struct SeekableFormatTests {
    /// A staged fixture with a 9 MB file (cut into three frames) and a format-2 bundle of it.
    static func packed() throws -> (StagedFixture, bundle: String, pub: String, big: [UInt8]) {
        let fixture = try StagedFixture(imageLayerSize: 300_000)
        var generator = SystemRandomNumberGenerator()
        let big = (0..<9_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try Data(big).write(to: URL(fileURLWithPath: fixture.stage + "/files/big.bin"))
        let (key, pub) = try fixture.keygen("seek")
        let bundle = fixture.root + "/seek.tar.zst"
        let packed = try fixture.pack(key: key, output: bundle)
        #expect(packed.status == 0, "\(packed.stderr)")
        return (fixture, bundle, pub, big)
    }

    /// The seek table, read here independently of the code under test: (offset, compressed size,
    /// decompressed size) per frame.
    static func frames(of bundle: String) throws -> [(offset: Int, compressed: Int, decompressed: Int)] {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
        func le(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        #expect(le(bytes.count - 4) == 0x8F92_EAB1 && bytes[bytes.count - 5] == 0)
        let count = le(bytes.count - 9)
        let tableStart = bytes.count - (8 + 8 * count + 9)
        #expect(le(tableStart) == 0x184D_2A5E && le(tableStart + 4) == 8 * count + 9)
        var offset = 0
        return (0..<count).map { index in
            let frame = (offset: offset, compressed: le(tableStart + 8 + 8 * index), decompressed: le(tableStart + 12 + 8 * index))
            offset += frame.compressed
            return frame
        }
    }

    @Test func stockToolsReadItAndDdWithZstdGetsAnEntryFromItsFrame() throws {
        let (fixture, bundle, pub, big) = try Self.packed()
        let index = try BundleVerifier(keys: []).readSignedIndex(bundle).index
        #expect(index.formatVersion == 2)
        #expect(try Shell.run(["zstd", "-q", "-t", bundle]).status == 0)
        let listed = try Shell.run(["sh", "-c", "zstd -dc '\(bundle)' | tar -t"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.split(separator: "\n").map(String.init) == ["bundle.json", "bundle.json.sig"] + index.entries.map(\.path))
        let out = fixture.root + "/untarred"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let untarred = try Shell.run(["tar", "-I", "zstd", "-xf", bundle, "-C", out])
        #expect(untarred.status == 0, "\(untarred.stderr)")
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/files/big.bin"))) == big)
        let signature = try Shell.run([
            "sh", "-c", "base64 -d '\(bundle).sig' > '\(bundle).der' && openssl dgst -sha256 -verify '\(pub)' -signature '\(bundle).der' '\(bundle)'",
        ])
        #expect(signature.status == 0 && signature.stdout.contains("Verified OK"), "\(signature.stdout)\(signature.stderr)")

        // Each frame alone, cut out with dd at the offsets of the seek table and decompressed by
        // the zstd command: files/sub/data.bin's frame is exactly its header, data and padding,
        // and big.bin's second frame is exactly its bytes from 4 MiB minus its 512-byte header on.
        let frames = try Self.frames(of: bundle)
        var found = 0
        for (number, frame) in frames.enumerated() {
            let piece = fixture.root + "/frame-\(number)"
            let cut = try Shell.run([
                "sh", "-c",
                "dd if='\(bundle)' iflag=skip_bytes,count_bytes skip=\(frame.offset) count=\(frame.compressed) bs=65536 status=none | zstd -q -d -c > '\(piece)'",
            ])
            #expect(cut.status == 0, "\(cut.stderr)")
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: piece)))
            #expect(bytes.count == frame.decompressed)
            if bytes.starts(with: Array("files/sub/data.bin".utf8) + [0]) {
                let data = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.stage + "/files/sub/data.bin")))
                #expect(
                    bytes == TarWriter.headerBytes("files/sub/data.bin", size: Int64(data.count)) + data
                        + [UInt8](repeating: 0, count: 512 - data.count % 512))
                found += 1
            }
            if bytes.starts(with: Array("files/big.bin".utf8) + [0]) {
                #expect(frame.decompressed == 4 << 20)
                #expect(number + 1 < frames.count)
                let next = try Shell.run([
                    "sh", "-c",
                    "dd if='\(bundle)' iflag=skip_bytes,count_bytes skip=\(frames[number + 1].offset) count=\(frames[number + 1].compressed) bs=65536 status=none | zstd -q -d -c > '\(piece)-next'",
                ])
                #expect(next.status == 0)
                #expect(Array(try Data(contentsOf: URL(fileURLWithPath: piece + "-next"))) == Array(big[((4 << 20) - 512)..<((8 << 20) - 512)]))
                found += 1
            }
        }
        #expect(found == 2)
    }

    @Test func theRandomAccessReaderReadsAnyRangeFromItsFramesOnly() throws {
        let (fixture, bundle, pub, big) = try Self.packed()
        let keys = [try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: pub))))]
        let archive = try BundleArchive(path: bundle, keys: keys)
        func read(_ location: BundleArchive.Location, _ range: Range<Int64>? = nil) throws -> [UInt8] {
            var bytes: [UInt8] = []
            try archive.read(location, range: range) { bytes += $0 }
            return bytes
        }
        let bigLocation = try #require(archive.location(of: "files/big.bin"))
        #expect(try read(bigLocation) == big)
        // A range inside one frame, one across the first cut (4 MiB minus the header), the last byte.
        for range: Range<Int64> in [5_000_000..<5_000_100, Int64((4 << 20) - 600)..<Int64((4 << 20) - 400), 8_999_999..<9_000_000] {
            #expect(try read(bigLocation, range) == Array(big[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        // Every blob of every image, by digest, whole (so checked against its digest).
        let layout = fixture.stage + "/images"
        for image in archive.index.images {
            for blob in image.blobs ?? [] {
                let location = try #require(archive.location(ofBlob: blob.digest))
                #expect(try read(location) == Array(try Data(contentsOf: URL(fileURLWithPath: layout + "/blobs/sha256/" + blob.digest.hex))))
            }
        }
        #expect(archive.location(ofBlob: try Digest("sha256:" + String(repeating: "0", count: 64))) == nil)
        // One reader shared by several threads, each reading its own range (as a server's
        // parallel requests do): every read gets its own bytes.
        let ranges: [Range<Int64>] = (0..<8).map { Int64($0) * 1_000_000..<(Int64($0) * 1_000_000 + 700_000) }
        let results = Mutex<[Int: [UInt8]]>([:])
        DispatchQueue.concurrentPerform(iterations: ranges.count) { number in
            var bytes: [UInt8] = []
            try? archive.read(bigLocation, range: ranges[number]) { bytes += $0 }
            results.withLock { $0[number] = bytes }
        }
        for (number, range) in ranges.enumerated() {
            #expect(results.withLock { $0[number] } == Array(big[Int(range.lowerBound)..<Int(range.upperBound)]))
        }
        #expect(throws: BundleError.self) { try read(bigLocation, 0..<9_000_001) }

        // Only the frames asked for are read: zero every frame but big.bin's second one, and a
        // range inside it still reads; a whole read of a damaged entry fails verification.
        let frames = try Self.frames(of: bundle)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))
        let keep = bigLocation.firstFrame + 1
        for (number, frame) in frames.enumerated() where number > 1 && number != keep {
            bytes.replaceSubrange(frame.offset..<(frame.offset + frame.compressed), with: [UInt8](repeating: 0, count: frame.compressed))
        }
        let damaged = fixture.root + "/damaged.tar.zst"
        try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        let partial = try BundleArchive(path: damaged, keys: keys)
        var piece: [UInt8] = []
        try partial.read(try #require(partial.location(of: "files/big.bin")), range: 5_000_000..<5_001_000) { piece += $0 }
        #expect(piece == Array(big[5_000_000..<5_001_000]))
        let readme = try #require(partial.location(of: "files/README.txt"))
        #expect(throws: BundleError.self) { try partial.read(readme) { _ in } }

        // A format-1 bundle has no random access.
        let key = fixture.root + "/seek.key"
        let one = fixture.root + "/one.tar.zst"
        #expect(try fixture.pack(key: key, output: one, extra: ["--format", "1"]).status == 0)
        #expect(throws: BundleError.self) { _ = try BundleArchive(path: one, keys: keys) }
    }
}
