/// The seek table of zstd's *seekable format* (`contrib/seekable_format` in the zstd repository),
/// as bundle format 2 writes it: independent zstd frames, then one skippable frame (magic
/// `0x184D2A5E`) holding, per frame, its compressed and decompressed size (4 bytes each, little
/// endian), then a 9-byte footer — the frame count, a descriptor byte and the magic `0x8F92EAB1`
/// as the file's last four bytes.
///
/// Reading is strict: the descriptor must be 0 (no per-frame checksums, no reserved or unused
/// bits: pack writes none), no frame may be empty or larger than `frameSize` decompressed, the
/// frame count is capped at `frameLimit` before anything is allocated, and the frames must cover
/// every byte before the table — nothing before, between or after them.
public struct SeekTable: Sendable, Equatable {
    /// One frame as the table declares it.
    public struct Frame: Sendable, Equatable {
        public var compressedSize: UInt32
        public var decompressedSize: UInt32
    }

    /// The decompressed size of a full frame: every tar entry starts a frame, and a longer entry
    /// is cut into frames of this size (see docs/adr, "seekable bundle format").
    public static let frameSize = 4 << 20
    /// The most frames a table may declare (8 MiB of table); far more than any bundle has.
    public static let frameLimit = 1 << 20
    static let skippableMagic: UInt32 = 0x184D_2A5E
    static let footerMagic: UInt32 = 0x8F92_EAB1
    static let footerSize = 9
    /// Skippable magic and frame size, before the entries.
    static let headerSize = 8

    public let frames: [Frame]
    /// `compressedOffsets[i]`: where frame `i` starts in the file; the last element is where the
    /// table starts. `decompressedOffsets` likewise in the decompressed stream.
    public let compressedOffsets: [Int64]
    public let decompressedOffsets: [Int64]

    /// A table over `frames`, with their offsets.
    public init(frames: [Frame]) {
        self.frames = frames
        var compressed: [Int64] = [0], decompressed: [Int64] = [0]
        compressed.reserveCapacity(frames.count + 1)
        decompressed.reserveCapacity(frames.count + 1)
        for frame in frames {
            compressed.append(compressed[compressed.count - 1] + Int64(frame.compressedSize))
            decompressed.append(decompressed[decompressed.count - 1] + Int64(frame.decompressedSize))
        }
        compressedOffsets = compressed
        decompressedOffsets = decompressed
    }

    /// The size of the table's skippable frame, magic and size field included.
    public var encodedSize: Int { Self.headerSize + frames.count * 8 + Self.footerSize }
    /// The decompressed size of the whole stream.
    public var decompressedSize: Int64 { decompressedOffsets[frames.count] }

    /// The table's bytes, exactly as they end a format-2 archive.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encodedSize)
        func put(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        put(Self.skippableMagic)
        put(UInt32(encodedSize - Self.headerSize))
        for frame in frames {
            put(frame.compressedSize)
            put(frame.decompressedSize)
        }
        put(UInt32(frames.count))
        bytes.append(0)
        put(Self.footerMagic)
        return bytes
    }

    /// The frame holding decompressed offset `offset` (binary search); nil past the end.
    public func frameIndex(containing offset: Int64) -> Int? {
        guard offset >= 0, offset < decompressedSize else { return nil }
        var low = 0, high = frames.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if decompressedOffsets[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// Checks, unit by unit, that the frames are cut exactly as `TarWriter` cuts them: each unit
    /// (an entry's headers, data and padding; then the end-of-archive marker) starts a frame and
    /// is cut every `frameSize` bytes. A frame spanning two entries fails here.
    public struct LayoutCheck: Sendable {
        public let table: SeekTable
        /// The first frame of the next unit.
        public private(set) var next = 0
        public init(_ table: SeekTable) { self.table = table }

        /// Takes the frames of the next unit of `length` bytes; false if they are not cut that way.
        public mutating func take(unit length: Int64) -> Bool {
            var remaining = length
            while remaining > 0 {
                let size = min(Int64(frameSize), remaining)
                guard next < table.frames.count, Int64(table.frames[next].decompressedSize) == size else { return false }
                next += 1
                remaining -= size
            }
            return length > 0
        }

        /// Whether every frame of the table belongs to a unit taken.
        public var complete: Bool { next == table.frames.count }
    }

    static func littleEndian(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Reads the table at the end of a file of `fileSize` bytes through `read(offset, count)`.
    /// Nil when the file does not end with the seekable magic (a format-1 archive); a table that
    /// is there but not what pack writes is refused, before anything sized by it is allocated.
    static func read(fileSize: Int64, path: String, _ read: (Int64, Int) throws -> [UInt8]) throws -> SeekTable? {
        guard fileSize >= Int64(headerSize + footerSize) else { return nil }
        let footer = try read(fileSize - Int64(footerSize), footerSize)
        guard footer.count == footerSize, littleEndian(footer[5..<9]) == footerMagic else { return nil }
        func damaged(_ why: String) -> ArchiveError { ArchiveError(path: path, message: "damaged seek table (zstd seekable format): \(why)") }
        guard footer[4] == 0 else {
            throw damaged("its descriptor byte is 0x\(String(footer[4], radix: 16)); bundles write 0 (no checksums, no reserved bits)")
        }
        let count = Int(littleEndian(footer[0..<4]))
        guard count <= frameLimit else { throw damaged("it declares \(count) frames, more than the \(frameLimit) a bundle may have") }
        guard count > 0 else { throw damaged("it declares no frames") }
        let tableSize = Int64(headerSize + count * 8 + footerSize)
        guard tableSize <= fileSize else {
            throw damaged("it declares \(count) frames, which need \(tableSize) bytes of table, but the file has only \(fileSize) bytes")
        }
        let bytes = try read(fileSize - tableSize, Int(tableSize))
        guard bytes.count == Int(tableSize) else { throw damaged("the file changed size while its seek table was read") }
        guard littleEndian(bytes[0..<4]) == skippableMagic else {
            throw damaged("\(count) frames need a table of \(tableSize) bytes, but no skippable frame (0x184D2A5E) starts there")
        }
        guard Int64(littleEndian(bytes[4..<8])) == tableSize - Int64(headerSize) else {
            throw damaged("its skippable frame's size field says \(littleEndian(bytes[4..<8])) bytes, but \(count) frames take \(tableSize - 8)")
        }
        var frames: [Frame] = []
        frames.reserveCapacity(count)
        var covered: Int64 = 0
        for index in 0..<count {
            let at = headerSize + index * 8
            let frame = Frame(compressedSize: littleEndian(bytes[at..<(at + 4)]), decompressedSize: littleEndian(bytes[(at + 4)..<(at + 8)]))
            guard frame.compressedSize > 0, frame.decompressedSize > 0 else { throw damaged("frame \(index) is declared empty; pack writes none") }
            guard frame.decompressedSize <= UInt32(frameSize) else {
                throw damaged(
                    "frame \(index) is declared \(frame.decompressedSize) bytes decompressed, more than the \(frameSize) of a bundle's frames")
            }
            let (sum, overflow) = covered.addingReportingOverflow(Int64(frame.compressedSize))
            guard !overflow, sum <= fileSize - tableSize else {
                throw damaged("its frames reach past the start of the table (frame \(index) ends beyond byte \(fileSize - tableSize))")
            }
            covered = sum
            frames.append(frame)
        }
        guard covered == fileSize - tableSize else {
            throw damaged("its frames cover \(covered) bytes, but \(fileSize - tableSize) bytes precede the table (bytes no frame accounts for)")
        }
        return SeekTable(frames: frames)
    }
}
