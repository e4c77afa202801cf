import Foundation
import Integrity
import System
import TarStream
import TestSupport
import Testing

/// The writer hashes the compressed archive as it writes it, and can hash an entry's content
/// as it reads it, so that pack reads nothing twice.
@Suite("TarWriter hashes what it writes")
struct TarWriterDigestTests {
    let dir: String
    init() throws { dir = try TestPaths.scratch("tar-digest") }

    /// Incompressible bytes, larger than all of the writer's output buffers together.
    func randomFile(megabytes: Int) throws -> String {
        let path = dir + "/random-\(megabytes)m.bin"
        try Shell.check(["sh", "-c", "head -c \(megabytes)M /dev/urandom > '\(path)'"])
        return path
    }

    @Test(arguments: Compression.allCases)
    func finishReturnsTheSHA256AndSizeOfTheFile(compression: Compression) throws {
        let source = try randomFile(megabytes: 21)
        let size = Int64(21 << 20)
        let archive = dir + "/big" + compression.fileSuffix
        let file = try AtomicFile(archive, mode: 0o644)
        let writer = try TarWriter(file: file, compression: compression, level: compression == .gzip ? 1 : nil)
        try writer.addFile("bundle.json", bytes: Array("{}\n".utf8))
        let contentHash = BackgroundSHA256()
        try writer.addFile("images/blobs/sha256/x", contentsOf: source, size: size, hashingInto: contentHash)
        try writer.addFile("tail", contentsOf: source, size: size)
        let written = try writer.finish()
        try file.commit()

        let (hex, fileSize) = try SHA256Hasher.hashFile(atPath: archive)
        #expect(Hex.encode(written.sha256) == hex)
        #expect(written.size == fileSize)
        #expect(Hex.encode(contentHash.finalize()) == (try SHA256Hasher.hashFile(atPath: source).hex))

        // GNU tar and the system's decompressors read it back whole.
        let flag = compression == .zstd ? "--zstd" : (compression == .gzip ? "-z" : "")
        let out = dir + "/out-\(compression)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try Shell.check(["tar", flag, "-xf", archive, "-C", out].filter { !$0.isEmpty })
        #expect(try SHA256Hasher.hashFile(atPath: out + "/tail").hex == (try SHA256Hasher.hashFile(atPath: source).hex))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/bundle.json")) == Data("{}\n".utf8))
    }

    @Test func zstdBytesDoNotDependOnTheNumberOfThreads() throws {
        let source = try randomFile(megabytes: 9)
        var digests: Set<String> = []
        for threads in [2, 3, 4] {
            let path = dir + "/t\(threads).tar.zst"
            let writer = try TarWriter(file: try AtomicFile(path), compression: .zstd, threads: threads)
            try writer.addFile("a", contentsOf: source, size: 9 << 20)
            try writer.addFile("b", bytes: [UInt8](repeating: 7, count: 5_000_000))
            digests.insert(Hex.encode(try writer.finish().sha256))
        }
        #expect(digests.count == 1)
    }

    /// Format 2: frames are compressed on several threads at once but written in order, each in
    /// one call: the bytes are the same for one thread or four.
    @Test func seekableBytesDoNotDependOnTheNumberOfThreads() throws {
        let source = try randomFile(megabytes: 9)
        var digests: Set<String> = []
        for threads in [1, 2, 4] {
            let path = dir + "/s\(threads).tar.zst"
            let file = try AtomicFile(path)
            let writer = try TarWriter(file: file, compression: .zstd, threads: threads, seekable: true)
            try writer.addFile("a", contentsOf: source, size: 9 << 20)
            try writer.addFile("b", bytes: [UInt8](repeating: 7, count: 5_000_000))
            try writer.addFile("c", bytes: Array("small\n".utf8))
            digests.insert(Hex.encode(try writer.finish().sha256))
            try file.commit()
            let reader = try TarReader(path: path)
            // a: 3 frames (4 MiB + 4 MiB + the rest), b: 2, c: 1, the end marker: 1.
            #expect(reader.seekTable?.frames.count == 7)
            #expect(try reader.next()?.path == "a")
        }
        #expect(digests.count == 1)
    }

    @Test func anOutOfRangeZstdLevelIsRefused() throws {
        #expect(throws: ArchiveError.self) { _ = try TarWriter(file: try AtomicFile(dir + "/bad.tar.zst"), compression: .zstd, level: 99) }
    }

    @Test func aFileShorterThanDeclaredFails() throws {
        let source = dir + "/short.bin"
        try Data(repeating: 1, count: 1000).write(to: URL(fileURLWithPath: source))
        let writer = try TarWriter(file: try AtomicFile(dir + "/short.tar.zst"), compression: .zstd)
        do {
            try writer.addFile("short", contentsOf: source, size: 2000, hashingInto: BackgroundSHA256())
            Issue.record("a short file was accepted")
        } catch let error as ArchiveError {
            #expect(error.message.contains("changed while packing"))
        }
    }
}

extension TarWriterDigestTests {
    /// The zstd frame is what the zstd command writes for the same tar stream (and what
    /// libarchive's zstd filter wrote before pack used libzstd directly): compressing on threads
    /// of our own changes no byte.
    @Test func zstdBytesAreWhatTheZstdCommandWrites() throws {
        let source = try randomFile(megabytes: 5)
        func write(_ compression: Compression) throws -> String {
            let path = dir + "/same" + compression.fileSuffix
            let file = try AtomicFile(path, mode: 0o644)
            let writer = try TarWriter(file: file, compression: compression)
            try writer.addFile("random", contentsOf: source, size: 5 << 20)
            try writer.addFile("repetitive", bytes: (0..<3_000_000).map { UInt8($0 % 13) })
            try writer.finish()
            try file.commit()
            return path
        }
        let plain = try write(.none), compressed = try write(.zstd)
        let reference = dir + "/reference.tar.zst"
        try Shell.check(["sh", "-c", "zstd -q -3 -T2 --no-check -c < '\(plain)' > '\(reference)'"])
        #expect(try SHA256Hasher.hashFile(atPath: compressed).hex == (try SHA256Hasher.hashFile(atPath: reference).hex))
    }
}
