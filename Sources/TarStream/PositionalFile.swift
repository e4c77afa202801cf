import CZstd
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An archive's bytes read by position (`pread`), across the parts of a split archive as one
/// file. Safe to use from several threads at once: each part's descriptor is opened once and
/// `pread` does not move a shared position.
public final class PositionalFile: Sendable {
    public let path: String
    /// The logical size: all parts together.
    public let size: Int64
    let parts: [String]
    /// Where each part starts in the logical file, and one past the last.
    private let starts: [Int64]
    private let descriptors: Mutex<[Int32?]>

    /// Opens the archive at `path` (or its parts), regular files only.
    public init(path: String) throws {
        self.path = path
        parts = ArchiveParts.files(for: path) { access($0, F_OK) == 0 }
        var starts: [Int64] = [0]
        for part in parts {
            let (fd, size) = try StrictDecompressor.openRegularFile(part)
            close(fd)
            let (sum, overflow) = starts[starts.count - 1].addingReportingOverflow(size)
            guard !overflow else { throw ArchiveError(path: part, message: "the parts add up to more than 2^63 bytes", kind: .unreadable) }
            starts.append(sum)
        }
        self.starts = starts
        size = starts[starts.count - 1]
        descriptors = Mutex([Int32?](repeating: nil, count: parts.count))
    }

    deinit { descriptors.withLock { for fd in $0 { if let fd { close(fd) } } } }

    private func descriptor(_ part: Int) throws -> Int32 {
        try descriptors.withLock { open in
            if let fd = open[part] { return fd }
            let (fd, _) = try StrictDecompressor.openRegularFile(parts[part])
            open[part] = fd
            return fd
        }
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`; fails past the end.
    public func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws {
        var done = 0
        while done < buffer.count {
            let position = offset + Int64(done)
            guard position >= 0, position < size else {
                throw ArchiveError(
                    path: path, message: "truncated: the file ends at byte \(size), before byte \(position) (was it changed after verification?)")
            }
            // The last part starting at or before `position`.
            var part = 0
            while part + 1 < parts.count, starts[part + 1] <= position { part += 1 }
            let within = position - starts[part]
            let wanted = min(buffer.count - done, Int(clamping: starts[part + 1] - position))
            let fd = try descriptor(part)
            let n = pread(fd, buffer.baseAddress! + done, wanted, off_t(within))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "the file is shorter than when it was opened"
                throw ArchiveError(path: parts[part], message: "cannot read: \(reason)", kind: n < 0 ? .unreadable : .damaged)
            }
            done += n
        }
    }

    /// Reads exactly `count` bytes at `offset` into `buffer` if the page cache holds them all
    /// (`preadv2` with `RWF_NOWAIT`: never waits for the disk, so an event loop may call it);
    /// false if any of them would have to be read from the disk, or the file ends before them.
    public func readIfCached(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var done = 0
        while done < buffer.count {
            let position = offset + Int64(done)
            guard position >= 0, position < size else { return false }
            var part = 0
            while part + 1 < parts.count, starts[part + 1] <= position { part += 1 }
            let wanted = min(buffer.count - done, Int(clamping: starts[part + 1] - position))
            let n = airgap_pread_nowait(try descriptor(part), buffer.baseAddress! + done, wanted, position - starts[part])
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    /// A file read once, front to back, from this size on gives its read pages back every
    /// `dropBehindStep` bytes (as the stream reader does).
    public static let dropBehindFrom = StrictDecompressor.dropBehindFrom
    public static let dropBehindStep = StrictDecompressor.dropBehindStep

    /// Hands the cached pages of bytes `range` back to the kernel (a hint for a file read once:
    /// a bundle of tens of GB does not push out what the rest of the machine caches).
    public func dropFromCache(_ range: Range<Int64>) {
        for part in parts.indices where starts[part] < range.upperBound && starts[part + 1] > range.lowerBound {
            guard let fd = try? descriptor(part) else { continue }
            let from = max(range.lowerBound, starts[part]) - starts[part]
            let to = min(range.upperBound, starts[part + 1]) - starts[part]
            _ = posix_fadvise(fd, off_t(from), off_t(to - from), Int32(POSIX_FADV_DONTNEED))
        }
    }

    /// `count` bytes at `offset`.
    public func bytes(at offset: Int64, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }
}
