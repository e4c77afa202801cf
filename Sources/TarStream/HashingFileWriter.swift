import Dispatch
import Integrity
import Synchronization
import System

#if canImport(Glibc)
    import Glibc
#endif

/// The archive file, as compressed bytes reach it: the compressor fills fixed buffers in place;
/// each full buffer is SHA-256-hashed on one thread and written to the file on another while the
/// next one fills, so the archive is hashed as it is written (never re-read), and hashing and
/// disk writes overlap with compression. `finish` returns the file's size and SHA-256. Memory is
/// fixed: `slotCount` buffers of `slotSize` bytes.
///
/// The file is written with `O_DIRECT` where the file system takes it: the bytes must reach the
/// disk before the file is committed anyway, and this way they neither pass through nor evict the
/// page cache (a bundle can be bigger than memory), nor wait behind the kernel's throttling of
/// buffered writeback. Elsewhere, or if a direct write is refused, it writes through the page
/// cache and asks the kernel to start writeback every `writebackInterval` bytes.
// @unchecked: each piece of mutable state is used from one place only (marked below: the caller's
// thread, `hashQueue`, `writeQueue`), handed over through each slot's `DispatchGroup`; slots are raw buffers.
final class HashingFileWriter: @unchecked Sendable {
    static let slotSize = 4 << 20
    static let slotCount = 4
    /// `O_DIRECT` needs buffers, sizes and offsets aligned to the device's block size.
    static let alignment = 4096
    static let writebackInterval: Int64 = 8 << 20
    /// `O_DIRECT` from <fcntl.h>, which Swift's Glibc module does not export (it needs _GNU_SOURCE).
    #if os(Linux) && (arch(arm64) || arch(arm))
        static let directFlag: Int32 = 0o200000
    #elseif os(Linux)
        static let directFlag: Int32 = 0o40000
    #else
        static let directFlag: Int32 = 0
    #endif

    let path: String
    private let fd: Int32
    /// The file whose descriptor this writes: its `commit` `fsync`s and closes it. Held so that
    /// the descriptor stays open while queued writes may still use it: a failed pack drops its
    /// `AtomicFile`, which closes the descriptor only once this writer is gone too.
    private let file: AtomicFile
    private let slots: [UnsafeMutableRawBufferPointer]
    /// Entered by the hashing and the writing of a slot; the slot may be filled again once both left.
    private let slotBusy: [DispatchGroup]
    private var current = 0
    private var filled = 0
    private let hashQueue = DispatchQueue(label: "airgap.archive-hash")
    private let writeQueue = DispatchQueue(label: "airgap.archive-write")
    // Used on `hashQueue` only (and read after draining it).
    private let hasher = SHA256Hasher()
    // Used on `writeQueue` only (and read after draining it).
    private var direct: Bool
    private var written: Int64 = 0
    private var writebackStart: Int64 = 0
    /// The first write failure; set on `writeQueue`, read anywhere.
    private let failure = Mutex<String?>(nil)

    /// Writes to `file`'s descriptor (direct I/O where the file system takes it; `direct: false`
    /// writes through the page cache even there, for tests); `finish` leaves the `fsync`, the
    /// close and the rename to `file.commit()`.
    init(file: AtomicFile, direct: Bool = true) {
        path = file.temporaryPath
        fd = file.descriptor
        self.file = file
        self.direct = Self.directFlag != 0 && direct && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | Self.directFlag) == 0
        slots = (0..<Self.slotCount).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slotSize, alignment: Self.alignment) }
        slotBusy = (0..<Self.slotCount).map { _ in DispatchGroup() }
    }

    // Queued work holds this object, so none is pending here.
    deinit { for slot in slots { slot.deallocate() } }

    /// Lets `body` write into the free space of the current buffer (never empty); `body` returns
    /// how many bytes it wrote there. A full buffer goes to the hashing and writing threads.
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

    /// Writes what is left, waits for both threads and returns the size and SHA-256 (the file's
    /// `commit` `fsync`s and closes it).
    func finish() throws -> (size: Int64, sha256: [UInt8]) {
        try submit()
        writeQueue.sync {}
        hashQueue.sync {}
        try throwIfFailed()
        return (written, hasher.finalize())
    }

    // @unchecked: a raw pointer is never `Sendable`; the slot is not touched again until both queues left its group.
    private struct Filled: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }

    /// Hands the current buffer to the hashing and writing threads, then waits until the next
    /// buffer is free.
    private func submit() throws {
        guard filled > 0 else { return }
        // The slot is not touched again until both have left its group.
        let slot = Filled(bytes: UnsafeRawBufferPointer(rebasing: slots[current][0..<filled]))
        let busy = slotBusy[current]
        busy.enter()
        hashQueue.async { [self] in
            hasher.update(slot.bytes)
            busy.leave()
        }
        busy.enter()
        writeQueue.async { [self] in
            writeOut(slot.bytes)
            busy.leave()
        }
        current = (current + 1) % Self.slotCount
        filled = 0
        slotBusy[current].wait()
        try throwIfFailed()
    }

    /// Writes one buffer at the end of the file (on `writeQueue`).
    private func writeOut(_ bytes: UnsafeRawBufferPointer) {
        guard failure.withLock({ $0 == nil }), let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            var count = bytes.count - offset
            if direct {
                // Only whole blocks go direct; a tail (the end of the archive) goes through the cache.
                let blocks = count / Self.alignment * Self.alignment
                if blocks == 0 { stopWritingDirect() } else { count = blocks }
            }
            let n = Glibc.write(fd, base + offset, count)
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EINVAL, direct {
                // The file system opened the file for direct I/O but refuses this write.
                stopWritingDirect()
                continue
            }
            guard n > 0 else {
                let reason = n < 0 ? String(cString: strerror(errno)) : "no progress"
                failure.withLock { $0 = "write failed: \(reason)" }
                return
            }
            offset += n
            written += Int64(n)
        }
        if !direct, written - writebackStart >= Self.writebackInterval {
            Writeback.start(fd, from: writebackStart, count: written - writebackStart)
            writebackStart = written
        }
    }

    private func stopWritingDirect() {
        direct = false
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~Self.directFlag)
    }

    private func throwIfFailed() throws(ArchiveError) {
        if let message = failure.withLock({ $0 }) { throw ArchiveError(path: path, message: message, kind: .unreadable) }
    }
}
