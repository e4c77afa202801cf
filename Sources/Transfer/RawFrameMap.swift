import Foundation
import Synchronization
import TarStream

/// Where the bytes of a frame made only of zstd *raw* blocks lie in the file (an image layer is
/// gzip already, so pack stores nearly all of its frames raw): such a frame needs no
/// decompression, and any part of it is read with `pread` of just those bytes. Found once per
/// frame from the frame and block headers; a frame with any other block (or a dictionary) is
/// `nil` and read by decompressing it. The map only says where to read: every byte read through
/// it is checked against its recorded digest like any other (`CheckedFrames`).
final class RawFrameMap: Sendable {
    /// One raw block: its first decompressed byte (within the frame), where its bytes start in
    /// the file, and its length.
    struct Segment: Sendable {
        var start: Int
        var fileOffset: Int64
        var length: Int
    }

    private enum Known: Sendable {
        case raw([Segment])
        case compressed
    }

    private let reader: SeekableReader
    private let known = Mutex<[Int: Known]>([:])
    /// The archive opened once more, only to ask the kernel to read ahead (nil for a split
    /// archive, whose parts `reader` opens itself).
    private let hints: Int32?

    init(reader: SeekableReader) {
        self.reader = reader
        let descriptor = open(reader.path, O_RDONLY | O_CLOEXEC)
        hints = descriptor >= 0 ? descriptor : nil
    }

    deinit { if let hints { close(hints) } }

    /// Asks the kernel to read frames `index` and the one after it into the page cache now: many
    /// responses read the archive through one descriptor at interleaved places, which defeats
    /// the kernel's own read-ahead, and a chunk is only 256 KiB.
    func readAhead(_ index: Int) {
        guard let hints else { return }
        let table = reader.table
        let start = table.compressedOffsets[index], end = table.compressedOffsets[min(index + 2, table.frames.count)]
        _ = posix_fadvise(hints, off_t(start), off_t(end - start), Int32(POSIX_FADV_WILLNEED))
    }

    /// Whether frame `index` is known to be raw (its segments), known not to be (`.some(nil)`),
    /// or not scanned yet (nil): what a caller that must not read the file can learn.
    func scanned(_ index: Int) -> [Segment]?? {
        switch known.withLock({ $0[index] }) {
        case .raw(let segments): return .some(segments)
        case .compressed: return .some(nil)
        case nil: return nil
        }
    }

    /// The raw segments of frame `index`, or nil if it must be decompressed.
    func segments(_ index: Int) -> [Segment]? {
        if let found = known.withLock({ $0[index] }) {
            if case .raw(let segments) = found { return segments }
            return nil
        }
        let found = (try? scan(index)).flatMap { $0 }.map(Known.raw) ?? .compressed
        known.withLock { $0[index] = found }
        if case .raw(let segments) = found { return segments }
        return nil
    }

    /// Walks frame `index`'s headers: nil unless every block is raw and they add up to the sizes
    /// the seek table declares.
    private func scan(_ index: Int) throws -> [Segment]? {
        let table = reader.table
        let start = table.compressedOffsets[index], end = start + Int64(table.frames[index].compressedSize)
        let head = try reader.file.bytes(at: start, count: min(18, Int(end - start)))
        guard head.count >= 6, head[0] == 0x28, head[1] == 0xB5, head[2] == 0x2F, head[3] == 0xFD else { return nil }
        let descriptor = head[4]
        let singleSegment = descriptor & 0x20 != 0, checksum = descriptor & 0x04 != 0
        guard descriptor & 0x03 == 0 else { return nil }  // a dictionary
        let contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        var position = start + 5 + (singleSegment ? 0 : 1) + Int64(contentSizeBytes)
        let dataEnd = end - (checksum ? 4 : 0)
        var segments: [Segment] = []
        var produced = 0
        while true {
            guard position + 3 <= dataEnd else { return nil }
            let header = try reader.file.bytes(at: position, count: 3)
            let value = Int(header[0]) | Int(header[1]) << 8 | Int(header[2]) << 16
            let last = value & 1 == 1, type = (value >> 1) & 3, size = value >> 3
            guard type == 0, position + 3 + Int64(size) <= dataEnd else { return nil }
            segments.append(Segment(start: produced, fileOffset: position + 3, length: size))
            produced += size
            position += 3 + Int64(size)
            if last { break }
        }
        guard position == dataEnd, produced == Int(table.frames[index].decompressedSize) else { return nil }
        return segments
    }
}
