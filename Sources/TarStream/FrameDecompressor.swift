import CZstd

/// Decompresses single frames of a seekable archive, checking each against its seek-table
/// entry: exactly one zstd frame of the declared compressed size, decompressing to exactly the
/// declared size. One per thread (it holds a libzstd context).
public final class FrameDecompressor {
    private let context: OpaquePointer
    public let path: String

    public init(path: String) throws {
        guard let context = ZSTD_createDCtx() else { throw ArchiveError(path: path, message: "zstd: out of memory") }
        self.context = context
        self.path = path
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses frame `index` of `table`, whose compressed bytes are `source`, into
    /// `destination` (at least its declared decompressed size); returns that size.
    public func decompress(_ source: UnsafeRawBufferPointer, frame index: Int, of table: SeekTable, into destination: UnsafeMutableRawBufferPointer)
        throws -> Int
    {
        let frame = table.frames[index]
        func damaged(_ why: String) -> ArchiveError {
            ArchiveError(path: path, message: "zstd frame \(index) (at byte \(table.compressedOffsets[index])) \(why)")
        }
        guard source.count == Int(frame.compressedSize), destination.count >= Int(frame.decompressedSize) else {
            throw damaged("was not read whole")
        }
        guard ZSTD_findFrameCompressedSize(source.baseAddress, source.count) == source.count else {
            throw damaged("is not exactly one zstd frame of the \(source.count) bytes the seek table says")
        }
        // Not single-segment: the window descriptor (exponent, mantissa) must stay within 4 MiB,
        // as the stream check's window limit requires.
        if source[4] & 0x20 == 0 {
            let exponent = UInt64(source[5] >> 3), mantissa = UInt64(source[5] & 7)
            let base = UInt64(1) << (10 + exponent)
            let window = base + base / 8 * mantissa
            guard window <= UInt64(SeekTable.frameSize) else {
                throw damaged(
                    "asks for a window of \(window) bytes, more than the 4 MiB a bundle's frames use (Frame requires too much memory for decoding)")
            }
        }
        let produced = ZSTD_decompressDCtx(context, destination.baseAddress, Int(frame.decompressedSize), source.baseAddress, source.count)
        if ZSTD_isError(produced) != 0 {
            throw damaged(
                "cannot be decompressed to the \(frame.decompressedSize) bytes the seek table says (\(String(cString: ZSTD_getErrorName(produced))))")
        }
        guard produced == Int(frame.decompressedSize) else {
            throw damaged("decompresses to \(produced) bytes, but the seek table says \(frame.decompressedSize)")
        }
        return produced
    }
}
