import Bundle
import Integrity
import NIOCore
import TarStream

/// The bundle's entries read frame by frame out of the archive, every byte checked before it is
/// handed out (`VerifiedEntrySource`; ADR 0019):
/// - a frame is decompressed once per read (and, for entries several responses read at once,
///   about once for all of them, through `FrameCache`);
/// - a whole-entry read hashes along the entry's `EntryProof` chain; its last frame is handed out
///   only once the entry's SHA-256 equals `bundle.json`'s;
/// - a Range read first makes sure the entry is proven (extending the chain to the end if no
///   read has yet), then checks every frame it reads against the proven frame digests;
/// - a frame read from the file again (not cached) is checked against its recorded digest.
final class CheckedFrames: VerifiedEntrySource {
    let archive: BundleArchive
    private let decoder: FrameDecoder
    let cache: FrameCache
    private let states: [String: EntryState]

    /// Opens the archive's frames a second time, for reads that bypass `BundleArchive`'s
    /// per-call buffers; its seek table must cut the stream where `archive`'s entries start.
    init(archive: BundleArchive, decodeSlots: Int, cacheBytes: Int) throws(ServeError) {
        self.archive = archive
        let reader: SeekableReader
        do { reader = try SeekableReader(path: archive.path) } catch { throw .bundle("\(archive.path): cannot open for reading: \(error)") }
        var states: [String: EntryState] = [:]
        for entry in archive.index.entries {
            guard let location = archive.location(of: entry.path) else { continue }
            guard location.firstFrame < reader.table.frames.count, reader.table.decompressedOffsets[location.firstFrame] == location.headerOffset
            else { throw .bundle("\(archive.path) changed while it was opened: its seek table no longer matches bundle.json") }
            states[entry.path] = EntryState()
        }
        self.states = states
        do { decoder = try FrameDecoder(reader: reader, slots: decodeSlots) } catch { throw .bundle("\(archive.path): \(error)") }
        cache = FrameCache(capacity: cacheBytes)
    }

    private var table: SeekTable { decoder.reader.table }

    func startRead(_ location: BundleArchive.Location, range: Range<Int64>) -> EntryRead {
        let state = states[location.entry.path]
        state?.readers.add(1, ordering: .relaxed)
        return EntryRead(location: location, range: range) { state?.readers.subtract(1, ordering: .relaxed) }
    }

    func nextPiece(_ read: EntryRead, maximum: Int) throws -> ByteBuffer {
        let location = read.location
        guard let state = states[location.entry.path], !read.isDone, maximum > 0 else {
            throw ServeError.bundle("\(archive.path): no bytes left to read of \(location.entry.path)")
        }
        if read.generation == nil {
            let generation = state.proof.withLock { $0.generation }
            read.generation = generation
            if !read.isWholeEntry { try prove(location, state, generation: generation) }
        }
        let position = location.dataOffset + read.offset
        guard let index = table.frameIndex(containing: position), let generation = read.generation else {
            throw ServeError.bundle("\(archive.path): byte \(position) is outside the archive")
        }
        // Keep the frame when others read the entry too, or when this read will come back for
        // the rest of it (the piece budget gave less than the frame's rest).
        let rest = min(location.dataOffset + read.range.upperBound, table.decompressedOffsets[index + 1]) - position
        let (frame, shared) = try checkedFrame(index, location, state, generation: generation, keep: Int64(maximum) < rest)
        let frameStart = table.decompressedOffsets[index]
        let end = min(location.dataOffset + read.range.upperBound, frameStart + Int64(frame.readableBytes))
        let count = min(maximum, Int(end - position))
        guard count > 0, let slice = frame.getSlice(at: frame.readerIndex + Int(position - frameStart), length: count) else {
            throw ServeError.bundle("\(archive.path): frame \(index) does not hold byte \(position) of the stream")
        }
        read.offset += Int64(count)
        // A frame only this read holds is handed on whole (no copy); a piece of a shared or
        // partly sent frame is copied, so an unsent piece never keeps a whole frame alive.
        if !shared, count == frame.readableBytes { return slice }
        var piece = ByteBufferAllocator().buffer(capacity: count)
        piece.writeImmutableBuffer(slice)
        return piece
    }

    /// The last frame holding data of `location` (its first frame for an empty entry).
    private func lastFrame(_ location: BundleArchive.Location) -> Int {
        guard location.entry.size > 0 else { return location.firstFrame }
        return table.frameIndex(containing: location.dataOffset + location.entry.size - 1) ?? location.firstFrame
    }

    /// Extends the entry's chain to its end unless it is proven already (for a Range read).
    private func prove(_ location: BundleArchive.Location, _ state: EntryState, generation: Int) throws {
        let last = lastFrame(location)
        while true {
            let next = try state.proof.withLock { proof -> Int? in
                guard proof.generation == generation else { throw changed(location, "while it was read") }
                return proof.proven ? nil : location.firstFrame + proof.frameDigests.count
            }
            guard let next, next <= last else { return }
            _ = try checkedFrame(next, location, state, generation: generation, keep: false)
        }
    }

    /// Frame `index` of `location`'s entry, checked under the proof's `generation`, and whether
    /// it is shared (in the cache). It is kept in the cache when `keep` or when others read the
    /// entry now.
    private func checkedFrame(_ index: Int, _ location: BundleArchive.Location, _ state: EntryState, generation: Int, keep: Bool) throws -> (
        ByteBuffer, Bool
    ) {
        let key = location.entry.path
        if let hit = cache.frame(index, entry: key, generation: generation) { return (hit, true) }
        return try state.proof.withLock { proof in
            guard proof.generation == generation else { throw changed(location, "while it was read") }
            if let hit = cache.frame(index, entry: key, generation: generation) { return (hit, true) }
            let position = index - location.firstFrame
            guard position <= proof.frameDigests.count, position >= 0 else {
                throw ServeError.bundle("\(archive.path): frame \(index) of \(key) was asked for before the frames ahead of it")
            }
            let bytes: ByteBuffer
            do { bytes = try decoder.decode(index) } catch {
                if !proof.proven { failed(&proof, key) }
                throw changed(location, "(\(error))")
            }
            let digest = bytes.withUnsafeReadableBytes { SHA256Hasher.digest($0) }
            if position < proof.frameDigests.count {
                guard digest == proof.frameDigests[position] else {
                    if !proof.proven { failed(&proof, key) }
                    throw changed(location, "after it was first read: frame \(index) differs from what was read before")
                }
            } else {
                try extend(&proof, with: bytes, digest: digest, frame: index, location)
            }
            let shared = keep || state.readers.load(ordering: .relaxed) > 1
            if shared { cache.keep(index, bytes: bytes, entry: key, generation: generation) }
            return (bytes, shared)
        }
    }

    /// Adds frame `index` (the next one) to the chain; at the entry's last frame, the entry is
    /// proven or the chain fails.
    private func extend(_ proof: inout EntryProof, with bytes: ByteBuffer, digest: [UInt8], frame index: Int, _ location: BundleArchive.Location)
        throws
    {
        let key = location.entry.path
        let frameStart = table.decompressedOffsets[index]
        if index == location.firstFrame {
            let header = TarWriter.headerBytes(key, size: location.entry.size)
            guard bytes.getBytes(at: bytes.readerIndex, length: header.count) == header else {
                failed(&proof, key)
                throw changed(location, "(its tar header differs)")
            }
        }
        let dataStart = max(location.dataOffset, frameStart)
        let dataEnd = min(location.dataOffset + location.entry.size, frameStart + Int64(bytes.readableBytes))
        if dataEnd > dataStart {
            bytes.withUnsafeReadableBytes { all in
                proof.hasher?.update(UnsafeRawBufferPointer(rebasing: all[Int(dataStart - frameStart)..<Int(dataEnd - frameStart)]))
            }
        }
        proof.frameDigests.append(digest)
        guard index == lastFrame(location), let hasher = proof.hasher else { return }
        let actual = hasher.finalizeHex()
        guard actual == location.entry.sha256 else {
            failed(&proof, key)
            throw ServeError.bundle(
                "\(archive.path): entry \(key) was changed after serve started: its SHA-256 is \(actual), bundle.json says \(location.entry.sha256)")
        }
        proof.hasher = nil
        proof.proven = true
    }

    private func failed(_ proof: inout EntryProof, _ key: String) {
        proof.reset()
        cache.drop(entry: key)
    }

    private func changed(_ location: BundleArchive.Location, _ detail: String) -> ServeError {
        .bundle("\(archive.path): entry \(location.entry.path) was changed after serve started \(detail)")
    }
}
