#if canImport(Glibc)
    import Glibc
#endif

/// A file that appears whole or not at all, and survives a crash once committed: the bytes go to
/// a temporary file created exclusively (`O_EXCL`, never through a link) with its final mode from
/// the first byte, beside `path` (or in `temporaryDirectory`, which must be on the same file
/// system); `commit` `fsync`s it, renames it into place and `fsync`s the directory. After a crash
/// `path` holds the old bytes or the new ones, never a part. A file neither committed nor
/// abandoned is abandoned when it goes away: its temporary file is removed.
///
/// The one implementation of this in the package (ADR 0005). One writer at a time: it is not
/// `Sendable`; an owner that hands it across tasks keeps it in a `Mutex`.
public final class AtomicFile {
    public let path: String
    public let temporaryPath: String
    /// The temporary file, open for writing until `sync` (for `Writeback` hints); -1 after.
    public private(set) var descriptor: Int32
    private var finished = false

    /// Creates the temporary file with `mode` (0600 unless said otherwise: private from the first byte).
    public init(_ path: String, mode: mode_t = 0o600, temporaryDirectory: String? = nil) throws(FileSystemError) {
        self.path = path
        let name = path.split(separator: "/").last.map(String.init) ?? path
        temporaryPath =
            (temporaryDirectory.map { $0 + "/" + name } ?? path) + ".partial-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .errno("create", temporaryPath) }
    }

    deinit { abandon() }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(descriptor, base + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw .errno("write", temporaryPath)
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws(FileSystemError) {
        try bytes.withUnsafeBytes { buffer in Result { () throws(FileSystemError) in try write(buffer) } }.get()
    }

    /// Makes the bytes durable under the temporary name (`fsync`, close), for callers that commit
    /// several files only once all are written. `commit` does it when it was not done. On failure
    /// the file is abandoned.
    public func sync() throws(FileSystemError) {
        guard descriptor >= 0 else { return }
        let synced = fsync(descriptor) == 0 ? nil : FileSystemError.errno("fsync", temporaryPath)
        let closed = close(descriptor) == 0 ? nil : FileSystemError.errno("write", temporaryPath)
        descriptor = -1
        if let failure = synced ?? closed {
            abandon()
            throw failure
        }
    }

    /// `sync`, rename into place, `fsync` of the directory. On failure the file is abandoned
    /// (once renamed, only the directory's `fsync` can fail: the file is whole at `path` then).
    public func commit() throws(FileSystemError) {
        precondition(!finished, "AtomicFile \(path) committed or abandoned twice")
        try sync()
        guard rename(temporaryPath, path) == 0 else {
            let failure = FileSystemError.errno("rename into place", path)
            abandon()
            throw failure
        }
        finished = true
        try PosixFile.syncDirectory(containing: path)
    }

    /// Drops what was written: the temporary file is removed (one that cannot be removed only
    /// wastes space: nothing reads a temporary name).
    public func abandon() {
        guard !finished else { return }
        finished = true
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }
}
