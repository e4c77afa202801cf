#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a finished archive into `NAME.part-0001`, … of at most `partSize` bytes each (USB disks
/// with a file size limit). Every part is written under a temporary name and synced; only when
/// all are complete are they renamed, and the whole archive removed: an interrupted split leaves
/// no part under a final name.
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
        var temporaries: [String] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            var offset: Int64 = 0
            for number in 1...count {
                let temporary = ArchiveParts.partPath(archive, number) + ".partial"
                temporaries.append(temporary)
                let target = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                guard target >= 0 else { throw failure(temporary, "cannot create") }
                defer { close(target) }
                var left = min(partSize, total - offset)
                while left > 0 {
                    let got = pread(source, buffer.baseAddress, Int(min(left, Int64(buffer.count))), off_t(offset))
                    if got < 0, errno == EINTR { continue }
                    guard got > 0 else { throw failure(archive, "cannot read") }
                    var written = 0
                    while written < got {
                        let n = write(target, buffer.baseAddress! + written, got - written)
                        if n < 0, errno == EINTR { continue }
                        guard n > 0 else { throw failure(temporary, "cannot write") }
                        written += n
                    }
                    offset += Int64(got)
                    left -= Int64(got)
                }
                guard fsync(target) == 0 else { throw failure(temporary, "cannot sync") }
            }
        } catch {
            for temporary in temporaries { unlink(temporary) }
            throw error
        }
        var parts: [String] = []
        for (index, temporary) in temporaries.enumerated() {
            let final = ArchiveParts.partPath(archive, index + 1)
            guard rename(temporary, final) == 0 else { throw failure(final, "cannot rename into place") }
            parts.append(final)
        }
        unlink(archive)
        let directory = String(archive[..<(archive.lastIndex(of: "/") ?? archive.startIndex)])
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        return parts
    }

    private static func failure(_ path: String, _ what: String) -> ArchiveError {
        ArchiveError(path: path, message: "\(what): \(String(cString: strerror(errno)))", kind: .unreadable)
    }
}
