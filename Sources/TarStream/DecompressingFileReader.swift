import CArchive

/// Reads a file as a byte stream, undoing zstd or gzip compression when present (detected from
/// the data, not the name). libarchive decompresses; the tar layer above is ours.
final class DecompressingFileReader {
    private let archive: OpaquePointer
    let path: String
    private(set) var compression: Compression = .none

    init(path: String) throws {
        self.path = path
        guard let archive = archive_read_new() else { throw ArchiveError(path: path, message: "libarchive: out of memory") }
        self.archive = archive
        archive_read_support_filter_zstd(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_format_raw(archive)
        guard archive_read_open_filename(archive, path, 1 << 20) == ARCHIVE_OK else {
            throw ArchiveError(path: path, message: "cannot open: \(libarchiveError(archive))")
        }
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw ArchiveError(path: path, message: "not a readable archive: \(libarchiveError(archive))")
        }
        switch archive_filter_code(archive, 0) {
        case ARCHIVE_FILTER_ZSTD: compression = .zstd
        case ARCHIVE_FILTER_GZIP: compression = .gzip
        default: compression = .none
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        guard n >= 0 else {
            throw ArchiveError(path: path, message: "the compressed data is damaged or cut short: \(libarchiveError(archive))")
        }
        return n
    }

    /// Bytes of the file consumed so far (compressed).
    var compressedBytesRead: Int64 { archive_filter_bytes(archive, -1) }

    deinit { archive_read_free(archive) }
}
