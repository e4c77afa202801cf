import Dispatch
import NIOCore
import Synchronization
import TarStream

/// Decompresses whole frames of the seekable archive into buffers, at most `slots` at a time:
/// each slot owns a libzstd context and a buffer for one compressed frame, so decompression
/// memory is `slots` × (4 MiB + a context) however many reads wait.
final class FrameDecoder: Sendable {
    let reader: SeekableReader

    private final class Slot: @unchecked Sendable {
        let decompressor: FrameDecompressor
        let compressed: UnsafeMutableRawBufferPointer
        init(path: String) throws {
            decompressor = try FrameDecompressor(path: path)
            compressed = .allocate(byteCount: ZstdBound.frame, alignment: 16)
        }
        deinit { compressed.deallocate() }
    }

    private let free: Mutex<[Slot]>
    private let available: DispatchSemaphore

    init(reader: SeekableReader, slots: Int) throws {
        self.reader = reader
        free = Mutex(try (0..<max(1, slots)).map { _ in try Slot(path: reader.path) })
        available = DispatchSemaphore(value: max(1, slots))
    }

    /// The decompressed bytes of frame `index`, checked against the seek table (one zstd frame of
    /// the declared sizes). Blocks the calling (pool) thread while all slots are busy.
    func decode(_ index: Int) throws -> ByteBuffer {
        let table = reader.table
        let frame = table.frames[index]
        guard Int(frame.compressedSize) <= ZstdBound.frame else {
            throw ArchiveError(path: reader.path, message: "zstd frame \(index) is declared larger than any frame of 4 MiB compresses to")
        }
        available.wait()
        let slot = free.withLock { $0.removeLast() }
        defer {
            free.withLock { $0.append(slot) }
            available.signal()
        }
        let source = UnsafeMutableRawBufferPointer(rebasing: slot.compressed[0..<Int(frame.compressedSize)])
        try reader.file.read(at: table.compressedOffsets[index], into: source)
        var buffer = ByteBufferAllocator().buffer(capacity: Int(frame.decompressedSize))
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(frame.decompressedSize)) { destination in
            try slot.decompressor.decompress(UnsafeRawBufferPointer(source), frame: index, of: table, into: destination)
        }
        return buffer
    }
}

/// The most a 4 MiB frame can compress to (zstd's bound), the size of a slot's input buffer.
enum ZstdBound {
    static let frame = SeekTable.frameSize + SeekTable.frameSize / 255 + (128 << 10)
}
