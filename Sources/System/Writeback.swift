#if canImport(Glibc)
    import Glibc
#endif

/// Linux's `sync_file_range(SYNC_FILE_RANGE_WRITE)`: starts writing a range of a file to disk
/// and returns without waiting, so that the `fsync` at commit finds little left to write and the
/// disk works while the network or the compressor does (OCI's blob writer, TarStream's archive
/// writer). Glibc does not export it to Swift, so it is looked up at
/// run time; where it is missing, nothing is started early and `fsync` does all the work.
public enum Writeback {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    /// `SYNC_FILE_RANGE_WRITE` from <fcntl.h>.
    private static let startWrite: UInt32 = 2
    // Immutable once initialized (globals initialize once, thread-safely); C function pointers are not `Sendable`.
    private nonisolated(unsafe) static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
            guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
            return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
            return nil
        #endif
    }()

    /// A hint: its failure changes nothing, as `fsync` at commit writes (and checks) everything.
    public static func start(_ fd: Int32, from offset: Int64, count: Int64) {
        _ = syncFileRange?(fd, offset, count, startWrite)
    }
}
