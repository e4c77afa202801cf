import Foundation
import Integrity
import System
import TestSupport
import Testing

@testable import TarStream

/// The archive file's writer: direct and through the page cache, whole buffers and a tail.
@Suite("The archive file is hashed as it is written, directly or through the page cache")
struct HashingFileWriterTests {
    let dir: String
    init() throws { dir = try TestPaths.scratch("hashing-writer") }

    @Test(arguments: [true, false])
    func writesAndHashesEveryByte(direct: Bool) throws {
        // More than all buffers together, not a multiple of the block size, fed in odd pieces.
        let count = HashingFileWriter.slotSize * (HashingFileWriter.slotCount + 1) + 12_345
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let path = dir + "/out-\(direct)"
        let file = try AtomicFile(path, mode: 0o644)
        let writer = HashingFileWriter(file: file, direct: direct)
        var offset = 0, piece = 1
        try bytes.withUnsafeBytes { all in
            while offset < count {
                let n = min(piece, count - offset)
                try writer.write(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                piece = piece * 7 % 3_000_017 + 1
            }
        }
        let (size, sha256) = try writer.finish()
        try file.commit()
        #expect(size == Int64(count))
        #expect(Hex.encode(sha256) == SHA256Hasher.hex(of: bytes))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    @Test func anEmptyFileIsFine() throws {
        let writer = HashingFileWriter(file: try AtomicFile(dir + "/empty"))
        let (size, sha256) = try writer.finish()
        #expect(size == 0)
        #expect(Hex.encode(sha256) == SHA256Hasher.hex(of: [UInt8]()))
    }

    @Test func aWriterDroppedBeforeFinishingReleasesEverything() throws {
        let writer = HashingFileWriter(file: try AtomicFile(dir + "/dropped"))
        try [UInt8](repeating: 1, count: HashingFileWriter.slotSize * 2 + 5).withUnsafeBytes { try writer.write($0) }
        // No finish: deinit must wait for nothing and free the buffers without a crash.
    }
}
