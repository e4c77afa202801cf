import CZstd

/// One zstd frame, compressed with libzstd's streaming API straight into the archive file's
/// buffers. With `workers` ≥ 1 libzstd compresses on that many threads of its own while the
/// caller reads and hashes the next input; the bytes are the same for any number of workers ≥ 1
/// (and the same as libarchive's zstd filter gave with the same level and threads).
final class ZstdEncoder {
    private let context: OpaquePointer
    private let path: String

    /// Refuses a level libzstd does not accept (negative levels are its fast modes).
    static func checkLevel(_ level: Int, path: String) throws(ArchiveError) {
        let levels = Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())
        guard levels.contains(level) else {
            throw ArchiveError(path: path, message: "zstd level \(level) is out of range (\(levels.lowerBound)…\(levels.upperBound))")
        }
    }

    init(level: Int, workers: Int, path: String) throws(ArchiveError) {
        self.path = path
        try Self.checkLevel(level, path: path)
        guard let context = ZSTD_createCCtx() else { throw ArchiveError(path: path, message: "zstd: out of memory") }
        self.context = context
        try check(ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, Int32(level)), "zstd level")
        if workers > 0 {
            try check(ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, Int32(min(workers, 256))), "zstd workers")
        }
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Compresses `input` into `output`.
    func compress(_ input: UnsafeRawBufferPointer, into output: HashingFileWriter) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        while source.pos < source.size {
            _ = try step(&source, ZSTD_e_continue, output)
        }
    }

    /// Ends the frame: flushes everything libzstd still holds.
    func finish(into output: HashingFileWriter) throws {
        var source = ZSTD_inBuffer(src: nil, size: 0, pos: 0)
        while try step(&source, ZSTD_e_end, output) != 0 {}
    }

    /// One call of `ZSTD_compressStream2` into the free space of the output's current buffer;
    /// returns libzstd's hint (for `ZSTD_e_end`: 0 once the frame is complete).
    private func step(_ source: inout ZSTD_inBuffer, _ directive: ZSTD_EndDirective, _ output: HashingFileWriter) throws -> Int {
        var remaining = 0
        try output.fill { space in
            var target = ZSTD_outBuffer(dst: space.baseAddress, size: space.count, pos: 0)
            let result = ZSTD_compressStream2(context, &target, &source, directive)
            try check(result, "zstd compression")
            remaining = result
            return target.pos
        }
        return remaining
    }

    private func check(_ code: Int, _ what: String) throws(ArchiveError) {
        if ZSTD_isError(code) != 0 {
            throw ArchiveError(path: path, message: "\(what): \(String(cString: ZSTD_getErrorName(code)))")
        }
    }
}
