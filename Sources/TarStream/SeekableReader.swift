import CZstd

/// Random access into a seekable (format-2) archive's decompressed stream: any byte range is
/// read by decompressing only the frames that hold it, found through the seek table — time and
/// memory proportional to the range (plus at most one frame before and after), not to the
/// archive. Each frame is checked as it is read: exactly one zstd frame of the compressed size
/// the table declares, decompressing to exactly the size it declares.
///
/// Safe to share between threads: reads take their own buffers and use `pread`.
public final class SeekableReader: Sendable {
    public let file: PositionalFile
    public let table: SeekTable
    public var path: String { file.path }

    /// Opens a seekable archive (or the parts of a split one); fails if it has no seek table.
    public init(path: String) throws {
        let file = try PositionalFile(path: path)
        self.file = file
        guard let table = try SeekTable.read(fileSize: file.size, path: path, { try file.bytes(at: $0, count: $1) }) else {
            throw ArchiveError(
                path: path, message: "not in zstd's seekable format (no seek table at its end): a format-1 bundle has no random access")
        }
        self.table = table
    }

    /// Hands the decompressed bytes `range` of the stream to `body`, in order, in pieces of at
    /// most one frame. Fails if the range reaches past the stream's end.
    public func read(_ range: Range<Int64>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !range.isEmpty else { return }
        guard range.lowerBound >= 0, range.upperBound <= table.decompressedSize, var index = table.frameIndex(containing: range.lowerBound) else {
            throw ArchiveError(path: path, message: "bytes \(range) are outside the archive's \(table.decompressedSize) decompressed bytes")
        }
        let compressed = UnsafeMutableRawBufferPointer.allocate(byteCount: ZSTD_compressBound(SeekTable.frameSize), alignment: 16)
        let decompressed = UnsafeMutableRawBufferPointer.allocate(byteCount: SeekTable.frameSize, alignment: 16)
        defer {
            compressed.deallocate()
            decompressed.deallocate()
        }
        let decompressor = try FrameDecompressor(path: path)
        var position = range.lowerBound
        while position < range.upperBound {
            let frame = table.frames[index]
            let start = table.decompressedOffsets[index]
            guard Int(frame.compressedSize) <= compressed.count else {
                let at = table.compressedOffsets[index]
                throw ArchiveError(
                    path: path, message: "zstd frame \(index) (at byte \(at)) is declared larger than any frame of 4 MiB compresses to")
            }
            let source = UnsafeMutableRawBufferPointer(rebasing: compressed[0..<Int(frame.compressedSize)])
            try file.read(at: table.compressedOffsets[index], into: source)
            let produced = try decompressor.decompress(UnsafeRawBufferPointer(source), frame: index, of: table, into: decompressed)
            let from = Int(position - start), to = Int(min(range.upperBound, start + Int64(produced)) - start)
            try body(UnsafeRawBufferPointer(rebasing: decompressed[from..<to]))
            position = start + Int64(to)
            index += 1
        }
    }
}
