import CZlib
import CZstd
import Integrity

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a bundle file as one decompressed byte stream, strictly: exactly one zstd frame or one
/// gzip member (no name, comment or extra field), starting at byte 0 and ending at the file's end.
/// Skippable frames, a second frame or member, and any byte after the stream are refused; gzip's
/// CRC-32 and length are checked by zlib. Plain tar passes through. The format is known from
/// the first bytes, not from the file name. With `strict: false` (chart archives from elsewhere —
/// Helm writes an extra field into its gzip headers) header fields and trailing bytes are allowed.
final class StrictDecompressor {
    let path: String
    let strict: Bool
    private(set) var compression: Compression = .none
    private var fd: Int32
    /// The files of a split archive after the current one (`ArchiveParts`).
    private var nextParts: [String]
    /// The file's size when it was opened.
    let fileSize: Int64
    /// Two input buffers in turn: one is hashed on the second thread while the other is read.
    private let buffers: [UnsafeMutableRawBufferPointer]
    private var tokens: [BackgroundSHA256.Token?] = [nil, nil]
    private var current = 0
    private var input: UnsafeMutableRawBufferPointer { buffers[current] }
    private var inputStart = 0, inputEnd = 0
    private var fileEnded = false
    private var streamEnded = false
    private var zstd: OpaquePointer?
    private var zlib: UnsafeMutablePointer<z_stream>?
    /// SHA-256 of the file's raw bytes, on a second thread, when asked for (a detached signature to check).
    private let rawHash: BackgroundSHA256?
    /// Bytes read from the current file, and how far its pages were handed back to the kernel.
    private var fileOffset: Int64 = 0, droppedUpTo: Int64 = 0
    /// An archive is read once, front to back: the pages already read are dropped from the page
    /// cache every `dropBehindStep` bytes, so a bundle of tens of GB does not push out what the
    /// registry or the rest of the machine is writing (`bench/push` at 10 GB). Small files are
    /// left alone: a cached bundle read twice in a row stays cached.
    static let dropBehindStep: Int64 = 64 << 20
    static let dropBehindFrom: Int64 = 1 << 30
    private let dropBehind: Bool
    /// The seek table at the end of a format-2 archive (zstd's seekable format), read when the
    /// file was opened; nil for one frame (format 1). With it the frames are checked one by one
    /// as they are decompressed: each must end exactly where the table says, with the size it
    /// says, and the table must follow the last one, then the end of the file.
    private(set) var seekTable: SeekTable?
    private var frameIndex = 0
    private var frameCompressed: Int64 = 0, frameDecompressed: Int64 = 0

    init(path: String, strict: Bool = true, hashFile: Bool = false) throws {
        self.path = path
        self.strict = strict
        rawHash = hashFile ? BackgroundSHA256() : nil
        buffers = [.allocate(byteCount: 1 << 20, alignment: 16), .allocate(byteCount: 1 << 20, alignment: 16)]
        // Every part is checked now (regular files, sizes), and opened in turn while reading.
        let file = try PositionalFile(path: path)
        (fd, _) = try Self.openRegularFile(file.parts[0])
        nextParts = Array(file.parts.dropFirst())
        fileSize = file.size
        dropBehind = file.size >= Self.dropBehindFrom
        if dropBehind { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }
        try fillInput()
        let head = Array(UnsafeRawBufferPointer(rebasing: input[inputStart..<min(inputEnd, inputStart + 4)]))
        if head.count >= 4, head == [0x28, 0xB5, 0x2F, 0xFD] {
            compression = .zstd
            if strict { seekTable = try SeekTable.read(fileSize: fileSize, path: path) { try file.bytes(at: $0, count: $1) } }
            zstd = ZSTD_createDStream()
            ZSTD_initDStream(zstd)
            // A frame of at most 4 MiB never needs a larger window: one that asks for more (up to
            // libzstd's default 128 MiB of buffer) is refused instead of allocated.
            if seekTable != nil { _ = ZSTD_DCtx_setParameter(zstd, ZSTD_d_windowLogMax, 22) }
        } else if head.count >= 2, head[0] == 0x1F, head[1] == 0x8B {
            compression = .gzip
            guard inputEnd - inputStart >= 10 else { throw damaged("the gzip header is cut short") }
            // FLG: no FEXTRA, FNAME, FCOMMENT or FHCRC — every byte of the header is then fixed.
            guard !strict || input[inputStart + 3] == 0 else {
                throw damaged("the gzip header carries a name, comment or extra field, which bundles never have")
            }
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            guard airgap_inflate_init_gzip(stream) == Z_OK else { throw damaged("zlib could not start") }
            zlib = stream
        } else if head.count >= 4, head[0] & 0xF0 == 0x50, head[1] == 0x2A, head[2] == 0x4D, head[3] == 0x18 {
            throw damaged("it starts with a zstd skippable frame; bundles have exactly one zstd frame")
        }
    }

    /// Opens `path` for reading only if it is a regular file: a FIFO or device is refused without
    /// waiting on it (O_NONBLOCK), a directory or a missing file is an unreadable input, not damage.
    static func openRegularFile(_ path: String) throws -> (fd: Int32, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw ArchiveError(path: path, message: "cannot open: \(String(cString: strerror(errno)))", kind: .unreadable) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ArchiveError(path: path, message: "cannot read: \(reason)", kind: .unreadable)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw ArchiveError(path: path, message: "not a regular file (\(FileKind.describe(mode: status.st_mode)))", kind: .unreadable)
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, Int64(status.st_size))
    }

    deinit {
        if fd >= 0 { close(fd) }
        for token in tokens { token?.wait() }
        for buffer in buffers { buffer.deallocate() }
        if let zstd { ZSTD_freeDStream(zstd) }
        if let zlib { inflateEnd(zlib); zlib.deallocate() }
    }

    /// Reads up to `buffer.count` decompressed bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        switch compression {
        case .none: return try readPlain(into: buffer)
        case .zstd: return try readZstd(into: buffer)
        case .gzip: return try readGzip(into: buffer)
        }
    }

    private func damaged(_ why: String) -> ArchiveError {
        ArchiveError(path: path, message: "not a readable bundle archive, or its compressed data is damaged or cut short: \(why)")
    }

    private func fillInput() throws {
        if inputStart < inputEnd || fileEnded { return }
        current ^= 1
        tokens[current]?.wait()  // the second thread is done with this buffer
        tokens[current] = nil
        inputStart = 0
        var n: Int
        repeat { n = Glibc.read(fd, input.baseAddress, input.count) } while n < 0 && errno == EINTR
        guard n >= 0 else { throw ArchiveError(path: path, message: "cannot read: \(String(cString: strerror(errno)))", kind: .unreadable) }
        inputEnd = n
        if n == 0, !nextParts.isEmpty {
            // The next part of a split archive continues the same stream.
            dropReadPages(force: true)
            close(fd)
            fd = -1
            (fd, _) = try Self.openRegularFile(nextParts.removeFirst())
            (fileOffset, droppedUpTo) = (0, 0)
            if dropBehind { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }
            current ^= 1  // this buffer was not filled: hand it back
            return try fillInput()
        }
        if n == 0 {
            fileEnded = true
            dropReadPages(force: true)
        } else {
            fileOffset += Int64(n)
            dropReadPages(force: false)
            if let rawHash { tokens[current] = rawHash.update(borrowing: UnsafeRawBufferPointer(rebasing: input[0..<n])) }
        }
    }

    /// A hint (see `dropBehind`): a failure changes nothing.
    private func dropReadPages(force: Bool) {
        guard dropBehind, fileOffset > droppedUpTo, force || fileOffset - droppedUpTo >= Self.dropBehindStep else { return }
        _ = posix_fadvise(fd, 0, off_t(fileOffset), Int32(POSIX_FADV_DONTNEED))
        droppedUpTo = fileOffset
    }

    /// The SHA-256 of every byte of the file, once it has been read to its end; nil before.
    func fileSHA256() -> [UInt8]? { fileEnded ? rawHash?.finalize() : nil }

    private func readPlain(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try fillInput()
        let n = min(buffer.count, inputEnd - inputStart)
        if n > 0 { buffer.baseAddress!.copyMemory(from: input.baseAddress! + inputStart, byteCount: n); inputStart += n }
        return n
    }

    /// After the stream's end: nothing may follow.
    private func requireEndOfFile() throws {
        guard strict else { return }
        try fillInput()
        if inputStart < inputEnd {
            let next = UnsafeRawBufferPointer(rebasing: input[inputStart..<min(inputEnd, inputStart + 4)])
            if compression == .zstd, seekTable == nil, next.elementsEqual([0x28, 0xB5, 0x2F, 0xFD]) {
                throw ArchiveError(
                    path: path,
                    message:
                        "garbage after the end of the compressed stream: another zstd frame follows, but the file does not end with the seek table of a format-2 archive (cut short, or frames appended)"
                )
            }
            throw ArchiveError(
                path: path,
                message: "garbage after the end of the compressed stream (\(inputEnd - inputStart)+ more bytes: another frame, member or junk)")
        }
    }

    private func readZstd(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if streamEnded { return 0 }
        var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
        while output.pos == 0 {
            try fillInput()
            if inputStart == inputEnd { throw damaged("truncated: the zstd frame ends early") }
            var chunk = ZSTD_inBuffer(src: input.baseAddress! + inputStart, size: inputEnd - inputStart, pos: 0)
            let before = output.pos
            let result = ZSTD_decompressStream(zstd, &output, &chunk)
            inputStart += chunk.pos
            if ZSTD_isError(result) != 0 { throw damaged(String(cString: ZSTD_getErrorName(result))) }
            if let seekTable {
                if try checkFrame(seekTable, compressed: chunk.pos, decompressed: output.pos - before, ended: result == 0) { return output.pos }
                continue
            }
            if result == 0 {
                streamEnded = true
                try requireEndOfFile()
                return output.pos
            }
        }
        return output.pos
    }

    /// Counts what the current frame consumed and produced against the seek table; at the
    /// frame's end, moves to the next. Returns true when the last frame ended and the table,
    /// then the end of the file, followed.
    private func checkFrame(_ table: SeekTable, compressed: Int, decompressed: Int, ended: Bool) throws -> Bool {
        let declared = table.frames[frameIndex]
        frameCompressed += Int64(compressed)
        frameDecompressed += Int64(decompressed)
        func lying(_ what: String, _ actual: String) -> ArchiveError {
            damaged(
                "zstd frame \(frameIndex) (at byte \(table.compressedOffsets[frameIndex])) \(what) \(actual), but the seek table says \(declared.compressedSize) bytes compressed, \(declared.decompressedSize) decompressed"
            )
        }
        if frameCompressed > Int64(declared.compressedSize) { throw lying("runs past", "its declared end") }
        if frameDecompressed > Int64(declared.decompressedSize) { throw lying("decompresses to more", "(\(frameDecompressed)+ bytes)") }
        guard ended else { return false }
        guard frameCompressed == Int64(declared.compressedSize), frameDecompressed == Int64(declared.decompressedSize) else {
            throw lying("is \(frameCompressed) bytes and decompresses to", "\(frameDecompressed)")
        }
        frameIndex += 1
        (frameCompressed, frameDecompressed) = (0, 0)
        guard frameIndex == table.frames.count else { return false }
        // Exactly the table read at open, then nothing: no second table, no byte after it.
        let expected = table.encoded()
        var matched = 0
        while matched < expected.count {
            try fillInput()
            guard inputStart < inputEnd else { throw damaged("truncated: the file ends inside its seek table") }
            let count = min(inputEnd - inputStart, expected.count - matched)
            guard UnsafeRawBufferPointer(rebasing: input[inputStart..<(inputStart + count)]).elementsEqual(expected[matched..<(matched + count)])
            else {
                throw damaged(
                    "the bytes after the last frame are not the seek table the file ends with (a second table, or a frame the table does not list)")
            }
            inputStart += count
            matched += count
        }
        streamEnded = true
        try requireEndOfFile()
        return true
    }

    private func readGzip(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let zlib, !streamEnded else { return 0 }
        zlib.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        zlib.pointee.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        while zlib.pointee.avail_out == uInt(min(buffer.count, Int(UInt32.max))) {
            try fillInput()
            if inputStart == inputEnd { throw damaged("truncated: the gzip stream ends early") }
            zlib.pointee.next_in = (input.baseAddress! + inputStart).assumingMemoryBound(to: Bytef.self)
            zlib.pointee.avail_in = uInt(inputEnd - inputStart)
            let status = inflate(zlib, Z_NO_FLUSH)
            inputStart = inputEnd - Int(zlib.pointee.avail_in)
            if status == Z_STREAM_END {
                streamEnded = true
                try requireEndOfFile()
                break
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                let message = zlib.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw damaged(message)
            }
        }
        return buffer.count - Int(zlib.pointee.avail_out)
    }
}
