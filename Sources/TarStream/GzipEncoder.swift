import CArchive

/// One gzip member through libarchive's gzip filter (raw format, bare header: no name, no time),
/// whose output goes to the archive file's buffers through libarchive's client callbacks.
final class GzipEncoder {
    private let archive: OpaquePointer
    private let path: String
    private let output: HashingFileWriter
    /// What the write callback could not pass on (libarchive only sees that it failed).
    private var callbackError: (any Error)?
    private var closed = false

    init(level: Int, path: String, output: HashingFileWriter) throws(ArchiveError) {
        self.path = path
        self.output = output
        guard let archive = archive_write_new() else { throw ArchiveError(path: path, message: "libarchive: out of memory") }
        self.archive = archive
        try check(archive_write_set_format_raw(archive), "raw format")
        try check(archive_write_add_filter_gzip(archive), "gzip filter")
        try check(archive_write_set_filter_option(archive, "gzip", "compression-level", String(level)), "gzip level")
        // No timestamp in the gzip header: the same input gives the same bytes.
        _ = archive_write_set_filter_option(archive, "gzip", "timestamp", nil)
        try check(archive_write_set_bytes_in_last_block(archive, 1), "block padding")
        let client = Unmanaged.passUnretained(self).toOpaque()
        let open = archive_write_open2(
            archive, client, nil,
            { _, client, buffer, count in
                Unmanaged<GzipEncoder>.fromOpaque(client!).takeUnretainedValue().pass(UnsafeRawBufferPointer(start: buffer, count: count))
            }, nil, nil)
        try check(open, "open")
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        archive_entry_set_filetype(entry, airgap_ae_ifreg())
        archive_entry_set_pathname(entry, "data")
        try check(archive_write_header(archive, entry), "start")
    }

    deinit {
        if !closed { archive_write_close(archive) }
        archive_write_free(archive)
    }

    /// libarchive's write callback: passes compressed bytes on; returns their count, or -1.
    private func pass(_ bytes: UnsafeRawBufferPointer) -> Int {
        do {
            try output.write(bytes)
            return bytes.count
        } catch {
            callbackError = error
            return -1
        }
    }

    func compress(_ input: UnsafeRawBufferPointer) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        var offset = 0
        while offset < input.count {
            let n = archive_write_data(archive, base + offset, input.count - offset)
            guard n > 0 else { throw callbackError ?? ArchiveError(path: path, message: "write failed: \(libarchiveError(archive))") }
            offset += n
        }
    }

    /// Ends the gzip member (its trailer goes to the output).
    func finish() throws {
        closed = true
        guard archive_write_close(archive) == ARCHIVE_OK else {
            throw callbackError ?? ArchiveError(path: path, message: "closing failed: \(libarchiveError(archive))")
        }
    }

    private func check(_ code: Int32, _ what: String) throws(ArchiveError) {
        guard code == ARCHIVE_OK || code == ARCHIVE_WARN else {
            throw ArchiveError(path: path, message: "\(what): \(libarchiveError(archive))")
        }
    }
}
