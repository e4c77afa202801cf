import System

/// Writes a byte stream to a file through a compressor — zstd with libzstd's streaming API
/// (multi-threaded), gzip with libarchive's filter, or none — and hashes the compressed bytes as
/// they are written. The caller supplies the tar bytes; this only compresses.
final class CompressedFileWriter {
    private enum Encoder {
        case zstd(ZstdEncoder)
        case seekable(SeekableZstdEncoder)
        case gzip(GzipEncoder)
        case none
    }

    private let output: HashingFileWriter
    private let encoder: Encoder

    /// `threads` > 1 compresses zstd on that many threads of libzstd's; gzip and none use one.
    /// `seekable`: zstd as independent frames with a seek table (bundle format 2), compressed on
    /// `threads` threads. `finish` leaves the file's `fsync` and rename to `file.commit()`.
    init(file: AtomicFile, compression: Compression, level: Int?, threads: Int, seekable: Bool) throws {
        let path = file.temporaryPath
        guard !seekable || compression == .zstd else {
            throw ArchiveError(path: path, message: "the seekable format is zstd only, not \(compression.rawValue)", kind: .unreadable)
        }
        let output = HashingFileWriter(file: file)
        self.output = output
        switch compression {
        case .zstd where seekable: encoder = .seekable(try SeekableZstdEncoder(level: level ?? 3, workers: threads, path: path))
        case .zstd: encoder = .zstd(try ZstdEncoder(level: level ?? 3, workers: threads > 1 ? threads : 0, path: path))
        case .gzip: encoder = .gzip(try GzipEncoder(level: level ?? 6, path: path, output: output))
        case .none: encoder = .none
        }
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        switch encoder {
        case .zstd(let zstd): try zstd.compress(buffer, into: output)
        case .seekable(let zstd): try zstd.compress(buffer, into: output)
        case .gzip(let gzip): try gzip.compress(buffer)
        case .none: try output.write(buffer)
        }
    }

    /// What follows starts a new frame (seekable zstd only; a no-op otherwise).
    func frameBoundary() throws {
        if case .seekable(let zstd) = encoder { try zstd.boundary(into: output) }
    }

    /// Ends the compressed stream and returns the file's size and SHA-256.
    func finish() throws -> (size: Int64, sha256: [UInt8]) {
        switch encoder {
        case .zstd(let zstd): try zstd.finish(into: output)
        case .seekable(let zstd): try zstd.finish(into: output)
        case .gzip(let gzip): try gzip.finish()
        case .none: break
        }
        return try output.finish()
    }
}
