import Foundation
import Integrity
import System
import TarStream
import TestSupport
import Testing

@Suite("Our tar codec round-trips and interoperates with GNU tar")
struct TarRoundTripTests {
    let dir: String
    init() throws { dir = try TestPaths.scratch("tar") }

    func writeSample(_ compression: Compression) throws -> (String, [String: [UInt8]]) {
        let longName = "images/blobs/sha256/" + String(repeating: "a", count: 64) + "/" + String(repeating: "n", count: 90)
        let veryLong = String(repeating: "deep/", count: 60) + "file.txt"
        var files: [(String, [UInt8])] = [
            ("bundle.json", Array(#"{"formatVersion":1}"#.utf8)),
            ("empty", []),
            ("exactly-512", [UInt8](repeating: 7, count: 512)),
            (longName, Array("long".utf8)),
            (veryLong, Array("very long".utf8)),
        ]
        let bigPath = dir + "/big.bin"
        try Shell.check(["sh", "-c", "head -c 3000001 /dev/urandom > '\(bigPath)'"])
        let archive = dir + "/sample" + compression.fileSuffix
        let file = try AtomicFile(archive, mode: 0o644)
        let writer = try TarWriter(file: file, compression: compression)
        for (name, bytes) in files { try writer.addFile(name, bytes: bytes) }
        try writer.addFile("images/big.bin", contentsOf: bigPath, size: 3_000_001)
        try writer.finish()
        try file.commit()
        files.append(("images/big.bin", Array(try Data(contentsOf: URL(fileURLWithPath: bigPath)))))
        return (archive, Dictionary(uniqueKeysWithValues: files))
    }

    @Test(arguments: Compression.allCases)
    func roundTripsAndGNUTarAgrees(compression: Compression) throws {
        let (archive, files) = try writeSample(compression)
        let reader = try TarReader(path: archive)
        #expect(reader.compression == compression)
        var seen: [String: [UInt8]] = [:]
        while let entry = try reader.next() {
            #expect(entry.kind == .regular)
            seen[entry.path] = try reader.readAll(limit: 10 << 20)
        }
        #expect(seen == files)

        // GNU tar lists and extracts the same files with the same bytes.
        let flag = compression == .zstd ? "--zstd" : (compression == .gzip ? "-z" : "")
        let out = dir + "/extracted-\(compression)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Shell.check(["tar", flag, "-xf", archive, "-C", out].filter { !$0.isEmpty })
        for (name, bytes) in files {
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out + "/" + name))) == bytes, "\(name)")
        }
        let listing = try Shell.check(["tar", flag, "-tvf", archive].filter { !$0.isEmpty }).stdout
        #expect(listing.contains("root/root") || listing.contains("0/0"))
        #expect(listing.contains("1970-01-01"))
    }

    @Test func packingTwiceIsByteIdentical() throws {
        // Same inputs, twice: identical bytes.
        let source = dir + "/fixed.bin"
        try Data(repeating: 42, count: 100_000).write(to: URL(fileURLWithPath: source))
        var digests: [String] = []
        for round in 0..<2 {
            for compression in Compression.allCases {
                let path = dir + "/fixed-\(round)" + compression.fileSuffix
                let file = try AtomicFile(path, mode: 0o644)
                let writer = try TarWriter(file: file, compression: compression)
                try writer.addFile("a", bytes: [1, 2, 3])
                try writer.addFile("b/c", contentsOf: source, size: 100_000)
                try writer.finish()
                try file.commit()
                digests.append(try SHA256Hasher.hashFile(atPath: path).hex)
            }
        }
        #expect(Array(digests[0..<3]) == Array(digests[3..<6]))
    }

    @Test func readsWhatGNUTarWritesIncludingLinks() throws {
        let tree = dir + "/tree"
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/sub/file"))
        try FileManager.default.createSymbolicLink(atPath: tree + "/link", withDestinationPath: "/etc/passwd")
        let archive = dir + "/gnu.tar.gz"
        try Shell.check(["tar", "-czf", archive, "-C", tree, "sub", "link"])
        // GNU tar pads the archive with zero blocks past the end marker: only lenient reads allow that.
        let reader = try TarReader(path: archive, strictContainer: false)
        var kinds: [String: TarEntry.Kind] = [:]
        while let entry = try reader.next() { kinds[entry.path] = entry.kind }
        #expect(kinds["sub/"] == .directory)
        #expect(kinds["sub/file"] == .regular)
        #expect(kinds["link"] == .symlink)
    }

    @Test func rejectsTruncationAndTrailingGarbage() throws {
        let (archive, _) = try writeSample(.none)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: archive))
        for cut in [100, 512, 700, 1536, bytes.count / 2, bytes.count - 1024, bytes.count - 1] {
            let path = dir + "/cut-\(cut).tar"
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            #expect(throws: ArchiveError.self, "cut at \(cut)") {
                let reader = try TarReader(path: path)
                while try reader.next() != nil { _ = try reader.readAll(limit: 10 << 20) }
            }
        }
        let garbage = dir + "/garbage.tar"
        try (bytes + Data("trailing".utf8)).write(to: URL(fileURLWithPath: garbage))
        do {
            let reader = try TarReader(path: garbage)
            while try reader.next() != nil {}
            Issue.record("garbage accepted")
        } catch { #expect("\(error)".contains("garbage after the end")) }
    }

    @Test func strictContainersRefuseGzipHeaderFieldsThatLenientReadsAccept() throws {
        let tree = dir + "/named"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: tree + "/file"))
        try Shell.check(["tar", "-cf", dir + "/named.tar", "-C", tree, "file"])
        try Shell.check(["gzip", "-k", dir + "/named.tar"])  // gzip stores the file name (FNAME)
        do {
            let reader = try TarReader(path: dir + "/named.tar.gz")
            _ = try reader.next()
            Issue.record("a gzip header with a name was accepted in strict mode")
        } catch { #expect("\(error)".contains("name, comment or extra field")) }
        let lenient = try TarReader(path: dir + "/named.tar.gz", strictContainer: false)
        #expect(try lenient.next()?.path == "file")
    }
}
