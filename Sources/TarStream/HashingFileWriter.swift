import Dispatch
import Integrity
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The archive file, as compressed bytes reach it: each full buffer is written and SHA-256-hashed
/// on a second thread while the compressor fills the next one in place, so the archive is hashed
/// as it is written (never re-read) and hashing and disk writes overlap with compression.
/// `finish` `fsync`s the file and returns its size and SHA-256.
///
/// Memory is fixed: `slotCount` buffers of `slotSize` bytes.
final class HashingFileWriter: @unchecked Sendable {
    static let slotSize = 4 << 20
    static let slotCount = 3
    /// Disk writeback is started every this many bytes, so that `fsync` at the end has little left.
    static let writebackInterval: Int64 = 8 << 20

    let path: String
    private let fd: Int32
    private let slots: [UnsafeMutableRawBufferPointer]
    /// Signalled when a slot's bytes are written and hashed, and it may be filled again.
    private let slotFree: [DispatchSemaphore]
    private var current = 0
    /// Whether this side holds `slotFree[current]` (libdispatch refuses to free a semaphore
    /// below its initial value).
    private var holdingCurrent = false
    private var filled = 0
    private var closed = false
    private let queue = DispatchQueue(label: "airgap.archive-file-writer")
    // The members below are used on `queue` only (and read after draining it).
    private let hasher = SHA256Hasher()
    private var written: Int64 = 0
    private var writebackStart: Int64 = 0
    /// The first write failure; set on `queue`, read anywhere.
    private let failure = Mutex<String?>(nil)

    init(path: String) throws(ArchiveError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError(path: path, message: "cannot create: \(String(cString: strerror(errno)))", kind: .unreadable) }
        slots = (0..<Self.slotCount).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotSize, alignment: 4096) }
        slotFree = (0..<Self.slotCount).map { _ in DispatchSemaphore(value: 1) }
        slotFree[0].wait()
        holdingCurrent = true
    }

    deinit {
        // Queued writes hold this object, so none is pending here.
        if holdingCurrent { slotFree[current].signal() }
        if !closed { close(fd) }
        for slot in slots { slot.deallocate() }
    }

    /// Lets `body` write into the free space of the current buffer (never empty); `body` returns
    /// how many bytes it wrote there. A full buffer goes to the writing thread.
    func fill(_ body: (UnsafeMutableRawBufferPointer) throws -> Int) throws {
        let space = UnsafeMutableRawBufferPointer(rebasing: slots[current][filled...])
        let count = try body(space)
        precondition(count >= 0 && count <= space.count, "wrote outside the buffer")
        filled += count
        if filled == Self.slotSize { try submit() }
    }

    /// Copies `bytes` into the buffers.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            try fill { space in
                let count = min(space.count, bytes.count - offset)
                space.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
                offset += count
                return count
            }
        }
    }

    /// Writes what is left, waits for the writing thread, `fsync`s and closes the file.
    func finish() throws -> (size: Int64, sha256: [UInt8]) {
        try submit(last: true)
        queue.sync {}
        try throwIfFailed()
        closed = true
        if fsync(fd) != 0 {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ArchiveError(path: path, message: "fsync failed: \(reason)", kind: .unreadable)
        }
        guard close(fd) == 0 else { throw ArchiveError(path: path, message: "close failed: \(String(cString: strerror(errno)))", kind: .unreadable) }
        return (written, hasher.finalize())
    }

    /// Hands the current buffer to the writing thread and waits until the next one is free.
    private func submit(last: Bool = false) throws {
        let index = current, count = filled
        if count > 0 {
            // The slot is not touched again until `done` is signalled.
            let slot = Filled(bytes: UnsafeRawBufferPointer(rebasing: slots[index][0..<count]))
            let done = slotFree[index]
            queue.async { [self] in
                defer { done.signal() }
                writeAndHash(slot.bytes)
            }
        } else {
            slotFree[index].signal()
        }
        holdingCurrent = false
        guard !last else { return }
        current = (index + 1) % Self.slotCount
        filled = 0
        slotFree[current].wait()
        holdingCurrent = true
        try throwIfFailed()
    }

    private struct Filled: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }

    private func writeAndHash(_ bytes: UnsafeRawBufferPointer) {
        guard failure.withLock({ $0 == nil }), let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, base + offset, bytes.count - offset)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "no progress"
                failure.withLock { $0 = "write failed: \(reason)" }
                return
            }
            offset += n
        }
        hasher.update(bytes)
        written += Int64(bytes.count)
        if written - writebackStart >= Self.writebackInterval {
            FileWriteback.start(fd, from: writebackStart, count: written - writebackStart)
            writebackStart = written
        }
    }

    private func throwIfFailed() throws(ArchiveError) {
        if let message = failure.withLock({ $0 }) { throw ArchiveError(path: path, message: message, kind: .unreadable) }
    }
}

/// Linux's `sync_file_range(SYNC_FILE_RANGE_WRITE)`: starts writing a range of a file to disk
/// without waiting (as OCI's blob writer does), so the `fsync` at the end finds little left to do
/// and the disk works while the compressor does. Glibc does not export it to Swift, so it is
/// looked up at run time; where it is missing, `fsync` does all the work.
enum FileWriteback {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    /// `SYNC_FILE_RANGE_WRITE` from <fcntl.h>.
    private static let startWrite: UInt32 = 2
    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
            guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
            return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
            return nil
        #endif
    }()

    /// A hint: its failure changes nothing, as `fsync` writes (and checks) everything.
    static func start(_ fd: Int32, from offset: Int64, count: Int64) {
        _ = syncFileRange?(fd, offset, count, startWrite)
    }
}
