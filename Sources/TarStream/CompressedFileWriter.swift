import CArchive

/// Writes a byte stream to a file through a compression filter (libarchive's raw format with
/// a zstd or gzip filter). The caller supplies the tar bytes; this only compresses.
final class CompressedFileWriter {
    private let archive: OpaquePointer
    private let path: String
    private var finished = false

    init(path: String, compression: Compression, level: Int?, threads: Int) throws {
        self.path = path
        guard let archive = archive_write_new() else { throw ArchiveError(path: path, message: "libarchive: out of memory") }
        self.archive = archive
        func check(_ code: Int32, _ what: String) throws {
            guard code == ARCHIVE_OK || code == ARCHIVE_WARN else {
                throw ArchiveError(path: path, message: "\(what): \(libarchiveError(archive))")
            }
        }
        try check(archive_write_set_format_raw(archive), "raw format")
        switch compression {
        case .zstd:
            try check(archive_write_add_filter_zstd(archive), "zstd filter")
            try check(archive_write_set_filter_option(archive, "zstd", "compression-level", String(level ?? 3)), "zstd level")
            if threads > 1 { _ = archive_write_set_filter_option(archive, "zstd", "threads", String(threads)) }
        case .gzip:
            try check(archive_write_add_filter_gzip(archive), "gzip filter")
            try check(archive_write_set_filter_option(archive, "gzip", "compression-level", String(level ?? 6)), "gzip level")
            // No timestamp in the gzip header: the same input gives the same bytes.
            _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        case .none:
            try check(archive_write_add_filter_none(archive), "no filter")
        }
        try check(archive_write_set_bytes_in_last_block(archive, 1), "block padding")
        try check(archive_write_open_filename(archive, path), "open")
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, airgap_ae_ifreg())
        archive_entry_set_pathname(entry, "data")
        try check(archive_write_header(archive, entry), "start")
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        var offset = 0
        while offset < buffer.count {
            let n = archive_write_data(archive, base + offset, buffer.count - offset)
            guard n > 0 else {
                throw ArchiveError(path: path, message: "write failed: \(libarchiveError(archive))")
            }
            offset += n
        }
    }

    func finish() throws {
        finished = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw ArchiveError(path: path, message: "closing failed: \(libarchiveError(archive))")
        }
    }

    deinit {
        if !finished { archive_write_close(archive) }
        archive_write_free(archive)
    }
}
