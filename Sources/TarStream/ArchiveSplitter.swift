import System

#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a finished archive into `NAME.part-0001`, … of at most `partSize` bytes each (USB disks
/// with a file size limit). Every part is an `AtomicFile`, written and synced; only when all are
/// complete are they committed, and the whole archive removed: an interrupted split leaves no
/// part under a final name.
public enum ArchiveSplitter {
    /// Returns the parts written. The archive is removed only after every part is in place.
    public static func split(_ archive: String, partSize: Int64) throws -> [String] {
        guard partSize >= 1 << 20 else { throw ArchiveError(path: archive, message: "a part must be at least 1 MiB", kind: .unreadable) }
        let source = open(archive, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw ArchiveError(path: archive, message: "cannot open: \(String(cString: strerror(errno)))", kind: .unreadable) }
        defer { close(source) }
        var status = stat()
        guard fstat(source, &status) == 0 else { throw failure(archive, "cannot read") }
        let total = Int64(status.st_size)
        let count = max(1, Int((total + partSize - 1) / partSize))
        guard count <= ArchiveParts.limit else {
            throw ArchiveError(
                path: archive, message: "\(count) parts of \(partSize) bytes would be more than \(ArchiveParts.limit)", kind: .unreadable)
        }
        var parts: [AtomicFile] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            var offset: Int64 = 0
            for number in 1...count {
                let part = try AtomicFile(ArchiveParts.partPath(archive, number), mode: 0o644)
                parts.append(part)
                var left = min(partSize, total - offset)
                while left > 0 {
                    let got = pread(source, buffer.baseAddress, Int(min(left, Int64(buffer.count))), off_t(offset))
                    if got < 0, errno == EINTR { continue }
                    guard got > 0 else { throw failure(archive, "cannot read") }
                    try part.write(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
                    offset += Int64(got)
                    left -= Int64(got)
                }
                try part.sync()
            }
            // Every part is whole on disk before the first takes its final name.
            for part in parts { try part.commit() }
        } catch let error as FileSystemError {
            throw ArchiveError(path: error.path, message: "cannot \(error.operation): \(error.reason)", kind: .unreadable)
        }
        unlink(archive)
        // Best effort: the parts are durable (each commit synced the directory); after a crash
        // before this, the whole archive is merely still there beside them.
        try? PosixFile.syncDirectory(containing: archive)
        return parts.map(\.path)
    }

    private static func failure(_ path: String, _ what: String) -> ArchiveError {
        ArchiveError(path: path, message: "\(what): \(String(cString: strerror(errno)))", kind: .unreadable)
    }
}
