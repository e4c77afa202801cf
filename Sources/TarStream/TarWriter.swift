import Integrity
import System

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a deterministic tar stream, compressed, into an `AtomicFile`: regular files only, in the
/// order added, with zero timestamps and owners and fixed modes. Long paths use pax `path` records.
/// The compressed bytes are hashed as they are written: `finish` returns the archive's SHA-256
/// without reading the file again. The archive appears once the caller commits the file.
public final class TarWriter {
    /// The archive `finish` wrote: its size and the SHA-256 of its bytes.
    public struct Written: Sendable {
        public let size: Int64
        public let sha256: [UInt8]
    }

    private let output: CompressedFileWriter
    private var buffer: [UInt8] = []
    private let flushSize = 1 << 20
    /// Source files are read into these in turn (1 MiB each), so a buffer being hashed on
    /// another thread is not overwritten by the next read.
    private let readBuffers = (0..<4).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096) }

    deinit { for buffer in readBuffers { buffer.deallocate() } }

    /// Whether every entry starts a new zstd frame, with a seek table at the end (bundle format 2).
    public let seekable: Bool

    /// `seekable`: zstd's seekable format (bundle format 2) — each entry starts a new frame, a
    /// longer one is cut every `SeekTable.frameSize` bytes, frames are compressed on `threads`
    /// threads and a seek table ends the file.
    public init(file: AtomicFile, compression: Compression, level: Int? = nil, threads: Int = 2, seekable: Bool = false) throws {
        self.seekable = seekable
        output = try CompressedFileWriter(file: file, compression: compression, level: level, threads: threads, seekable: seekable)
        buffer.reserveCapacity(flushSize + TarHeader.blockSize * 4)
    }

    /// Adds a file whose content is in memory.
    public func addFile(_ name: String, bytes: [UInt8], mode: UInt32 = 0o644) throws {
        try writeHeader(name, size: Int64(bytes.count), mode: mode)
        buffer.append(contentsOf: bytes)
        try pad(Int64(bytes.count))
    }

    /// Adds a file streamed from `sourcePath`; fails if it does not hold exactly `size` bytes.
    /// With `hasher`, its content is hashed as it is read, so a caller can check a digest it
    /// trusted without reading the file twice; the hashing runs on the hasher's thread,
    /// overlapped with reading and compressing. Call `hasher.finalize()` afterwards.
    public func addFile(_ name: String, contentsOf sourcePath: String, size: Int64, mode: UInt32 = 0o644, hashingInto hasher: BackgroundSHA256? = nil)
        throws
    {
        try writeHeader(name, size: size, mode: mode)
        let fd = open(sourcePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ArchiveError(path: sourcePath, message: "cannot open: \(String(cString: strerror(errno)))", kind: .unreadable) }
        defer { close(fd) }
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        // A read buffer is reused only once the hasher is done with it, and none is left in use.
        var hashing = [BackgroundSHA256.Token?](repeating: nil, count: readBuffers.count)
        defer { for token in hashing { token?.wait() } }
        var remaining = size, next = 0
        while remaining > 0 {
            let chunk = readBuffers[next]
            hashing[next]?.wait()
            hashing[next] = nil
            let n = read(fd, chunk.baseAddress, min(chunk.count, Int(remaining)))
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw ArchiveError(path: sourcePath, message: "cannot read: \(String(cString: strerror(errno)))", kind: .unreadable) }
            guard n > 0 else { throw ArchiveError(path: sourcePath, message: "changed while packing: expected \(size) bytes") }
            let bytes = UnsafeRawBufferPointer(rebasing: chunk[0..<n])
            hashing[next] = hasher?.update(borrowing: bytes)
            try flush(force: true)
            try output.write(bytes)
            remaining -= Int64(n)
            next = (next + 1) % readBuffers.count
        }
        var extra: UInt8 = 0
        guard read(fd, &extra, 1) == 0 else { throw ArchiveError(path: sourcePath, message: "changed while packing: longer than \(size) bytes") }
        try pad(size)
    }

    /// Writes the end-of-archive marker (the `fsync` is left to the file's `commit`); returns the
    /// archive's size and the SHA-256 of its bytes, computed as they were written.
    @discardableResult
    public func finish() throws -> Written {
        try startFrame()
        buffer.append(contentsOf: [UInt8](repeating: 0, count: TarHeader.blockSize * 2))
        try flush(force: true)
        let (size, sha256) = try output.finish()
        return Written(size: size, sha256: sha256)
    }

    private func writeHeader(_ name: String, size: Int64, mode: UInt32) throws {
        try startFrame()
        buffer.append(contentsOf: Self.headerBytes(name, size: size, mode: mode))
        try flush()
    }

    /// The exact header bytes this writer emits for a file (a pax header first for long names or
    /// huge sizes). Readers compare against it to refuse changed modes, owners or times.
    public static func headerBytes(_ name: String, size: Int64, mode: UInt32 = 0o644) -> [UInt8] {
        let octalLimit: Int64 = 0o77777777777
        if size <= octalLimit, let (prefix, short) = TarHeader.split(name) {
            return TarHeader.encode(name: short, size: size, mode: mode, prefix: prefix)
        }
        var records = TarHeader.paxRecord("path", name)
        if size > octalLimit { records += TarHeader.paxRecord("size", String(size)) }
        var bytes = TarHeader.encode(name: "././@PaxHeader", size: Int64(records.count), typeflag: UInt8(ascii: "x"))
        bytes += records
        let remainder = records.count % TarHeader.blockSize
        if remainder != 0 { bytes += [UInt8](repeating: 0, count: TarHeader.blockSize - remainder) }
        let fallback = String(decoding: Array(name.utf8).suffix(100), as: UTF8.self)
        bytes += TarHeader.encode(name: fallback, size: min(size, octalLimit), mode: mode)
        return bytes
    }

    /// In the seekable format, what is appended next starts a new frame.
    private func startFrame() throws {
        guard seekable else { return }
        try flush(force: true)
        try output.frameBoundary()
    }

    /// The bytes one entry takes in the tar stream: its headers, its data and the padding.
    public static func unitLength(_ name: String, size: Int64) -> Int64 {
        let remainder = size % Int64(TarHeader.blockSize)
        return Int64(headerBytes(name, size: size).count) + size + (remainder == 0 ? 0 : Int64(TarHeader.blockSize) - remainder)
    }

    /// The end-of-archive marker's length: two zero blocks.
    public static let endMarkerLength = Int64(TarHeader.blockSize * 2)

    private func pad(_ size: Int64) throws {
        let remainder = Int(size % Int64(TarHeader.blockSize))
        if remainder != 0 { buffer.append(contentsOf: [UInt8](repeating: 0, count: TarHeader.blockSize - remainder)) }
        try flush()
    }

    private func flush(force: Bool = false) throws {
        guard !buffer.isEmpty, force || buffer.count >= flushSize else { return }
        try buffer.withUnsafeBytes { try output.write($0) }
        buffer.removeAll(keepingCapacity: true)
    }
}
