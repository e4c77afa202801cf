import Dispatch
import Foundation
import Integrity
import Synchronization
import TarStream

/// Verification of a format-2 archive on several cores. The file is still read once, front to
/// back, on the calling thread (its raw bytes hashed on another for `FILE.sig`), but each entry's
/// frames go to a queue of their own, so independent entries are decompressed and hashed at once.
/// Memory is bounded by `framesInFlight` compressed frames and one decompressed frame per worker.
///
/// It checks what the stream check does: the table cuts the stream as pack does for the signed
/// `bundle.json` (before anything is decompressed); each header is exactly what pack writes; data
/// hashes to its listed SHA-256; padding and end marker are zeros; every frame is exactly one zstd
/// frame of its declared sizes.
struct ParallelVerification {
    /// One tar unit: an entry's headers, data and padding, or the end marker.
    struct Unit: Sendable {
        var name: String
        var header: [UInt8]
        var size: Int64
        var sha256: String
        var frames: Range<Int>
        var length: Int64
    }

    /// Compressed frames read ahead of the workers (each at most ~4 MiB).
    static let framesInFlight = 8

    let path: String
    let table: SeekTable
    let units: [Unit]
    let threads: Int

    /// The units of `signed`, checked against the table's cut points.
    init(path: String, signed: BundleVerifier.SignedIndex, table: SeekTable, threads: Int) throws {
        self.path = path
        self.table = table
        self.threads = threads
        var layout = SeekTable.LayoutCheck(table)
        var units: [Unit] = []
        let listed =
            [
                (BundlePaths.index, Int64(signed.indexBytes.count), SHA256Hasher.hex(of: signed.indexBytes)),
                (BundlePaths.indexSignature, Int64(signed.signatureBytes.count), SHA256Hasher.hex(of: signed.signatureBytes)),
            ] + signed.index.entries.map { ($0.path, $0.size, $0.sha256) }
        for (name, size, sha256) in listed {
            let first = layout.next, length = TarWriter.unitLength(name, size: size)
            guard layout.take(unit: length) else {
                throw BundleVerifier.frameLayoutFailure(
                    path, name == BundlePaths.index || name == BundlePaths.indexSignature ? name : "entry \(name)", layout.next)
            }
            units.append(
                Unit(
                    name: name, header: TarWriter.headerBytes(name, size: size), size: size, sha256: sha256, frames: first..<layout.next,
                    length: length))
        }
        let first = layout.next
        guard layout.take(unit: TarWriter.endMarkerLength) else {
            throw BundleVerifier.frameLayoutFailure(path, "the end-of-archive marker", layout.next)
        }
        guard layout.complete else {
            throw BundleError.verification(
                "\(path): the seek table lists \(table.frames.count - layout.next) frame(s) after the end-of-archive marker")
        }
        units.append(
            Unit(
                name: "the end-of-archive marker", header: [UInt8](repeating: 0, count: Int(TarWriter.endMarkerLength)), size: 0,
                sha256: SHA256Hasher.hex(of: []), frames: first..<layout.next, length: TarWriter.endMarkerLength))
        self.units = units
    }

    /// Reads and checks every frame; returns the SHA-256 of the whole file when `hashFile`.
    func run(hashFile: Bool, progress: (Int64) -> Void) throws -> [UInt8]? {
        let file: PositionalFile
        do { file = try PositionalFile(path: path) } catch let error as ArchiveError { throw BundleError.from(error) }
        let pool = DispatchQueue(label: "airgap.verify-entries", attributes: .concurrent)
        let workers = DispatchSemaphore(value: max(1, threads))
        // Compressed frames in flight, each in a buffer of its own, reused.
        let frames = BufferPool(count: Self.framesInFlight, size: Int(table.frames.map(\.compressedSize).max() ?? 0))
        let outputs = BufferPool(count: 0, size: SeekTable.frameSize)
        let rawQueue = DispatchQueue(label: "airgap.verify-raw-hash")
        let rawHasher = RawHash()
        let done = DispatchGroup()
        let failures = Mutex<[Int: String]>([:])
        let table = self.table, path = self.path
        var dropped: Int64 = 0
        do {
            for (number, unit) in units.enumerated() {
                if !failures.withLock({ $0.isEmpty }) { break }
                let check = UnitCheck(unit: unit, path: path)
                let queue = DispatchQueue(label: "airgap.verify-entry", target: pool)
                for index in unit.frames {
                    let frame = PooledFrame(pool: frames, size: Int(table.frames[index].compressedSize), users: hashFile ? 2 : 1)
                    do { try file.read(at: table.compressedOffsets[index], into: frame.buffer) } catch {
                        frame.abandon()
                        throw error
                    }
                    // Read once, front to back: large files give their read pages back as push's reader does.
                    let end = table.compressedOffsets[index + 1]
                    if file.size >= PositionalFile.dropBehindFrom, end - dropped >= PositionalFile.dropBehindStep {
                        file.dropFromCache(dropped..<end)
                        dropped = end
                    }
                    if hashFile {
                        rawQueue.async {
                            rawHasher.hasher.withLock { $0.update(UnsafeRawBufferPointer(frame.buffer)) }
                            frame.release()
                        }
                    }
                    queue.async(group: done) {
                        defer { frame.release() }
                        workers.wait()
                        defer { workers.signal() }
                        let output = outputs.take()
                        defer { outputs.give(output) }
                        check.feed(UnsafeRawBufferPointer(frame.buffer), index: index, table: table, output: output)
                    }
                }
                queue.async(group: done) {
                    if let failure = check.finish() { failures.withLock { $0[number] = failure } }
                }
                progress(unit.size)
            }
            if hashFile {
                let tail = try file.bytes(at: table.compressedOffsets[table.frames.count], count: table.encodedSize)
                rawQueue.async { rawHasher.hasher.withLock { hasher in tail.withUnsafeBytes { hasher.update($0) } } }
            }
        } catch {
            done.wait()
            rawQueue.sync {}
            throw (error as? ArchiveError).map(BundleError.from) ?? error
        }
        done.wait()
        let digest = rawQueue.sync { hashFile ? rawHasher.hasher.withLock { $0.finalize() } : nil }
        if let (_, failure) = failures.withLock({ $0.min { $0.key < $1.key } }) { throw BundleError.verification("\(path): \(failure)") }
        return digest
    }
}

/// One compressed frame in a pooled buffer, shared by its users (the raw hash, the entry's
/// check); the buffer goes back to the pool when the last is done.
private final class PooledFrame: Sendable {
    /// The pooled buffer's address (a raw pointer is not `Sendable`).
    private let whole: UInt
    private let size: Int
    private let pool: BufferPool
    private let users: Mutex<Int>

    init(pool: BufferPool, size: Int, users: Int) {
        self.pool = pool
        whole = UInt(bitPattern: pool.take().baseAddress)
        self.size = size
        self.users = Mutex(users)
    }

    /// The frame's bytes, at the start of the pooled buffer.
    var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: whole), count: size) }

    func release() {
        if users.withLock({
            $0 -= 1; return $0 == 0
        }) {
            abandon()
        }
    }
    func abandon() { pool.give(whole) }
}

/// Buffers of one size, reused; `take` waits while `count` (when not 0) are all in use.
private final class BufferPool: Sendable {
    private let size: Int
    /// Base addresses of free buffers (raw pointers are not Sendable).
    private let free = Mutex<[UInt]>([])
    private let available: DispatchSemaphore?

    init(count: Int, size: Int) {
        self.size = max(1, size)
        available = count > 0 ? DispatchSemaphore(value: count) : nil
    }

    deinit { for address in free.withLock({ $0 }) { buffer(at: address).deallocate() } }

    private func buffer(at address: UInt) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(bitPattern: address), count: size)
    }

    func take() -> UnsafeMutableRawBufferPointer {
        available?.wait()
        if let address = free.withLock({ $0.popLast() }) { return buffer(at: address) }
        return .allocate(byteCount: size, alignment: 16)
    }

    func give(_ buffer: UnsafeMutableRawBufferPointer) { give(UInt(bitPattern: buffer.baseAddress)) }

    func give(_ address: UInt) {
        free.withLock { $0.append(address) }
        available?.signal()
    }
}

/// The SHA-256 of the file's raw bytes, fed on one serial queue (the lock is never contended).
private final class RawHash: Sendable {
    let hasher = Mutex(SHA256Hasher())
}

/// The checks of one unit, fed its frames in order on its own serial queue.
// @unchecked: its state is used only on that queue (`feed` in order, then `finish`); frames and
// output buffers are raw pointers, never `Sendable`.
private final class UnitCheck: @unchecked Sendable {
    let unit: ParallelVerification.Unit
    let path: String
    private var position: Int64 = 0
    private let hasher = SHA256Hasher()
    private var failure: String?
    private var decompressor: FrameDecompressor?

    init(unit: ParallelVerification.Unit, path: String) {
        self.unit = unit
        self.path = path
    }

    func feed(_ frame: UnsafeRawBufferPointer, index: Int, table: SeekTable, output: UnsafeMutableRawBufferPointer) {
        guard failure == nil else { return }
        do {
            let decompressor = try self.decompressor ?? FrameDecompressor(path: path)
            self.decompressor = decompressor
            let size = try decompressor.decompress(frame, frame: index, of: table, into: output)
            consume(UnsafeRawBufferPointer(rebasing: output[0..<size]))
        } catch let error as ArchiveError {
            failure = "not a readable bundle archive, or its compressed data is damaged: \(error.message)"
        } catch {
            failure = "\(error)"
        }
    }

    /// Header bytes, then data (hashed), then zeros, by position in the unit.
    private func consume(_ bytes: UnsafeRawBufferPointer) {
        let headerEnd = Int64(unit.header.count), dataEnd = headerEnd + unit.size
        var offset = 0
        while offset < bytes.count, failure == nil {
            if position < headerEnd {
                let count = min(bytes.count - offset, Int(headerEnd - position))
                if !unit.header[Int(position)..<(Int(position) + count)].elementsEqual(
                    UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
                {
                    failure =
                        unit.size == 0 && unit.header.allSatisfy({ $0 == 0 })
                        ? "damaged end-of-archive marker"
                        : "entry \(unit.name) has a changed tar header, or another entry is in its place (mode, owner, time, name, size or format differ from what pack writes)"
                }
                offset += count
                position += Int64(count)
            } else if position < dataEnd {
                let count = min(bytes.count - offset, Int(clamping: dataEnd - position))
                hasher.update(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
                offset += count
                position += Int64(count)
            } else {
                if UnsafeRawBufferPointer(rebasing: bytes[offset...]).contains(where: { $0 != 0 }) {
                    failure = "entry \(unit.name) is followed by non-zero padding"
                }
                position += Int64(bytes.count - offset)
                offset = bytes.count
            }
        }
    }

    func finish() -> String? {
        decompressor = nil
        if let failure { return failure }
        guard position == unit.length else { return "\(unit.name) is cut short" }
        let actual = hasher.finalizeHex()
        guard actual == unit.sha256 else { return "entry \(unit.name) was changed: its SHA-256 is \(actual), bundle.json says \(unit.sha256)" }
        return nil
    }
}
