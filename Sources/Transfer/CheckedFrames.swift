import Bundle
import Integrity
import NIOCore
import TarStream

/// The bundle's entries read out of the archive in chunks of 256 KiB (a chunk never crosses a
/// frame), every byte checked before it is handed out (`VerifiedEntrySource`; ADR 0019):
/// - a chunk of a frame of raw zstd blocks (nearly every frame of an image layer) is read with
///   `pread` of just its bytes (`RawFrameMap`); a chunk of any other frame is cut out of the
///   decompressed frame (a few kept in `decoded`, so a frame is decompressed about once per read);
/// - a whole-entry read extends the entry's `EntryProof` chain (a keyed tag per chunk, and the
///   entry's SHA-256); its last chunk is handed out only once that SHA-256 equals `bundle.json`'s;
/// - a chunk read from the file again is checked against its recorded tag first;
/// - a Range read first makes sure the entry is proven (extending the chain to the end if no
///   read has yet), so Range responses are checked too;
/// - chunks of entries several responses read at once are kept in `cache` (checked bytes only).
package final class CheckedFrames: VerifiedEntrySource {
    /// Bytes per chunk: the unit of reading, checking, caching and sending.
    package static let chunkSize = 256 << 10

    package let archive: BundleArchive
    private let reader: SeekableReader
    private let decoder: FrameDecoder
    private let raw: RawFrameMap
    /// Checked chunks of hot entries (the only bytes handed out without reading the file).
    package let cache: FrameCache
    /// Decompressed frames that are not raw, unchecked: only a shortcut to their chunks, which
    /// are checked like any read from the file.
    private let decoded: FrameCache
    private let states: [String: EntryState]
    /// Tags chunks as the chain records them, and again when they are read once more.
    private let tags = ChunkAuthenticator()

    /// Opens the archive's frames a second time, for reads of exact byte ranges; its seek table
    /// must cut the stream where `archive`'s entries start.
    package init(archive: BundleArchive, decodeSlots: Int, cacheBytes: Int) throws(TransferError) {
        self.archive = archive
        do { reader = try SeekableReader(path: archive.path) } catch { throw TransferError("\(archive.path): cannot open for reading: \(error)") }
        var states: [String: EntryState] = [:]
        for entry in archive.index.entries {
            guard let location = archive.location(of: entry.path) else { continue }
            guard location.firstFrame < reader.table.frames.count, reader.table.decompressedOffsets[location.firstFrame] == location.headerOffset
            else { throw TransferError("\(archive.path) changed while it was opened: its seek table no longer matches bundle.json") }
            states[entry.path] = EntryState()
        }
        self.states = states
        do { decoder = try FrameDecoder(reader: reader, slots: decodeSlots) } catch { throw TransferError("\(archive.path): \(error)") }
        raw = RawFrameMap(reader: reader)
        cache = FrameCache(capacity: cacheBytes)
        decoded = FrameCache(capacity: decodeSlots * SeekTable.frameSize)
    }

    private var table: SeekTable { reader.table }

    package func startRead(_ location: BundleArchive.Location, range: Range<Int64>) -> EntryRead {
        let state = states[location.entry.path]
        state?.readers.add(1, ordering: .relaxed)
        return EntryRead(location: location, range: range) { state?.readers.subtract(1, ordering: .relaxed) }
    }

    package func nextPiece(_ read: EntryRead, maximum: Int) throws -> ByteBuffer {
        let location = read.location
        guard let state = states[location.entry.path], !read.isDone, maximum > 0 else {
            throw TransferError("\(archive.path): no bytes left to read of \(location.entry.path)")
        }
        if read.generation == nil {
            let generation = state.proof.withLock { $0.generation }
            read.generation = generation
            if !read.isWholeEntry { try prove(location, state, generation: generation) }
        }
        guard let piece = try piece(of: read, state, maximum: maximum, waiting: true) else {
            throw TransferError("\(archive.path): a read of \(location.entry.path) gave up waiting")
        }
        return piece
    }

    /// The next piece of `read` if it can be had without waiting — its chunk in the cache, or in
    /// the page cache with its entry's proof free — so an event loop may call it; nil: call
    /// `nextPiece` on the pool. Never the first piece of a read.
    package func nextPieceIfReady(_ read: EntryRead, maximum: Int) throws -> ByteBuffer? {
        guard read.generation != nil, let state = states[read.location.entry.path], !read.isDone, maximum > 0 else { return nil }
        return try piece(of: read, state, maximum: maximum, waiting: false)
    }

    private func piece(of read: EntryRead, _ state: EntryState, maximum: Int, waiting: Bool) throws -> ByteBuffer? {
        let location = read.location
        guard let generation = read.generation else { throw TransferError("\(archive.path): a read without a generation") }
        let position = location.dataOffset + read.offset
        let number = Int((position - location.headerOffset) / Int64(Self.chunkSize))
        guard let (chunk, chunkStart) = try checkedChunk(number, location, state, generation: generation, waiting: waiting) else { return nil }
        let end = min(location.dataOffset + read.range.upperBound, chunkStart + Int64(chunk.readableBytes))
        let count = min(maximum, Int(end - position))
        guard count > 0, let piece = chunk.getSlice(at: chunk.readerIndex + Int(position - chunkStart), length: count) else {
            throw TransferError("\(archive.path): chunk \(number) of \(location.entry.path) does not hold byte \(position) of the stream")
        }
        read.offset += Int64(count)
        return piece
    }

    /// Where chunk `number` of `location`'s entry lies in the decompressed stream, and its frame.
    private func chunkRange(_ number: Int, _ location: BundleArchive.Location) -> (Range<Int64>, frame: Int)? {
        let start = location.headerOffset + Int64(number) * Int64(Self.chunkSize)
        guard let frame = table.frameIndex(containing: start) else { return nil }
        return (start..<min(start + Int64(Self.chunkSize), table.decompressedOffsets[frame + 1]), frame)
    }

    /// The chunk holding the entry's last data byte (its first for an empty entry).
    private func lastChunk(_ location: BundleArchive.Location) -> Int {
        Int((location.dataOffset + max(location.entry.size, 1) - 1 - location.headerOffset) / Int64(Self.chunkSize))
    }

    /// Extends the entry's chain to its end unless it is proven already (for a Range read).
    private func prove(_ location: BundleArchive.Location, _ state: EntryState, generation: Int) throws {
        let last = lastChunk(location)
        while true {
            let next = try state.proof.withLock { proof -> Int? in
                guard proof.generation == generation else { throw changed(location, "while it was read") }
                return proof.proven ? nil : proof.chunkTags.count
            }
            guard let next, next <= last else { return }
            _ = try checkedChunk(next, location, state, generation: generation)
        }
    }

    /// The bytes of chunk `number`, as the file holds them now (unchecked); nil when not
    /// `waiting` and the bytes are not at hand (not in the page cache, or a frame to decompress).
    private func readChunk(_ range: Range<Int64>, frame: Int, waiting: Bool) throws -> ByteBuffer? {
        let frameStart = table.decompressedOffsets[frame]
        let from = Int(range.lowerBound - frameStart), to = Int(range.upperBound - frameStart)
        let rawSegments = waiting ? .some(raw.segments(frame)) : raw.scanned(frame)
        guard let rawSegments else { return nil }
        if let segments = rawSegments {
            if waiting, from == 0 { raw.readAhead(frame) }
            var buffer = ByteBufferAllocator().buffer(capacity: to - from)
            var complete = true
            try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: to - from) { destination in
                for segment in segments where complete && segment.start < to && segment.start + segment.length > from {
                    let lower = max(from, segment.start), upper = min(to, segment.start + segment.length)
                    let target = UnsafeMutableRawBufferPointer(rebasing: destination[(lower - from)..<(upper - from)])
                    let offset = segment.fileOffset + Int64(lower - segment.start)
                    if waiting {
                        try reader.file.read(at: offset, into: target)
                    } else {
                        complete = try reader.file.readIfCached(at: offset, into: target)
                    }
                }
                return to - from
            }
            return complete ? buffer : nil
        }
        let whole: ByteBuffer
        if let kept = decoded.frame(frame, entry: "", generation: 0) {
            whole = kept
        } else {
            guard waiting else { return nil }
            whole = try decoder.decode(frame)
            decoded.keep(frame, bytes: whole, entry: "", generation: 0)
        }
        guard let slice = whole.getSlice(at: whole.readerIndex + from, length: to - from) else {
            throw ArchiveError(path: archive.path, message: "zstd frame \(frame) is shorter than the seek table says")
        }
        var copy = ByteBufferAllocator().buffer(capacity: to - from)
        copy.writeImmutableBuffer(slice)
        return copy
    }

    /// Chunk `number` of `location`'s entry, checked under the proof's `generation`, and where it
    /// starts in the stream. Not `waiting`: nil instead of waiting for the proof's lock, the disk
    /// or a decompression.
    private func checkedChunk(_ number: Int, _ location: BundleArchive.Location, _ state: EntryState, generation: Int, waiting: Bool = true)
        throws -> (ByteBuffer, Int64)?
    {
        let key = location.entry.path
        guard let (range, frame) = chunkRange(number, location) else {
            throw TransferError("\(archive.path): chunk \(number) of \(key) is outside the archive")
        }
        let cacheKey = Int(range.lowerBound)
        if let hit = cache.frame(cacheKey, entry: key, generation: generation) { return (hit, range.lowerBound) }
        // A chunk the chain has recorded is read and checked without holding the proof, so many
        // responses re-reading one entry (a base layer every node pulls) do not queue on its lock.
        let look = { (proof: inout EntryProof) throws -> [UInt8]? in
            guard proof.generation == generation else { throw self.changed(location, "while it was read") }
            return number >= 0 && number < proof.chunkTags.count ? proof.chunkTags[number] : nil
        }
        let found = waiting ? .some(try state.proof.withLock { try look(&$0) }) : try state.proof.withLockIfAvailable { try look(&$0) }
        guard let recorded = found else { return nil }
        if let recorded {
            let bytes: ByteBuffer
            do {
                guard let read = try readChunk(range, frame: frame, waiting: waiting) else { return nil }
                bytes = read
            } catch {
                failUnproven(state, generation, key)
                throw changed(location, "(\(error))")
            }
            guard bytes.withUnsafeReadableBytes({ tags.tag($0, at: range.lowerBound) }) == recorded else {
                failUnproven(state, generation, key)
                throw changed(location, "after it was first read: bytes \(range) differ from what was read before")
            }
            if state.readers.load(ordering: .relaxed) > 1 {
                // Kept only under the generation it was checked against; an event loop does not
                // wait for the lock to keep it (a read extending the chain may hold it for a disk read).
                let keep = { (proof: inout EntryProof) in
                    if proof.generation == generation { self.cache.keep(cacheKey, bytes: bytes, entry: key, generation: generation) }
                }
                if waiting { state.proof.withLock { keep(&$0) } } else { _ = state.proof.withLockIfAvailable { keep(&$0) } }
            }
            return (bytes, range.lowerBound)
        }
        if waiting {
            return try state.proof.withLock {
                try checkLocked(&$0, number, range, frame: frame, location, state, generation: generation, waiting: true)
            }
        }
        return try state.proof.withLockIfAvailable {
            try checkLocked(&$0, number, range, frame: frame, location, state, generation: generation, waiting: false)
        } ?? nil
    }

    /// A chunk of `generation` differed from its recorded tag: the chain starts over unless the
    /// entry was proven (then only this read fails).
    private func failUnproven(_ state: EntryState, _ generation: Int, _ key: String) {
        state.proof.withLock { proof in
            if proof.generation == generation, !proof.proven { failed(&proof, key) }
        }
    }

    /// `checkedChunk` under the entry's proof lock (`proof`).
    private func checkLocked(
        _ proof: inout EntryProof, _ number: Int, _ range: Range<Int64>, frame: Int, _ location: BundleArchive.Location, _ state: EntryState,
        generation: Int, waiting: Bool
    ) throws -> (ByteBuffer, Int64)? {
        let key = location.entry.path, cacheKey = Int(range.lowerBound)
        guard proof.generation == generation else { throw changed(location, "while it was read") }
        if let hit = cache.frame(cacheKey, entry: key, generation: generation) { return (hit, range.lowerBound) }
        guard number >= 0, number <= proof.chunkTags.count else {
            throw TransferError("\(archive.path): chunk \(number) of \(key) was asked for before the chunks ahead of it")
        }
        let bytes: ByteBuffer
        do {
            guard let read = try readChunk(range, frame: frame, waiting: waiting) else { return nil }
            bytes = read
        } catch {
            if !proof.proven { failed(&proof, key) }
            throw changed(location, "(\(error))")
        }
        let tag = bytes.withUnsafeReadableBytes { tags.tag($0, at: range.lowerBound) }
        if number < proof.chunkTags.count {
            guard tag == proof.chunkTags[number] else {
                if !proof.proven { failed(&proof, key) }
                throw changed(location, "after it was first read: bytes \(range) differ from what was read before")
            }
        } else {
            try extend(&proof, with: bytes, tag: tag, chunk: number, at: range.lowerBound, location)
        }
        if state.readers.load(ordering: .relaxed) > 1 { cache.keep(cacheKey, bytes: bytes, entry: key, generation: generation) }
        return (bytes, range.lowerBound)
    }

    /// Adds chunk `number` (the next one) to the chain; at the entry's last chunk, the entry is
    /// proven or the chain fails.
    private func extend(
        _ proof: inout EntryProof, with bytes: ByteBuffer, tag: [UInt8], chunk number: Int, at start: Int64, _ location: BundleArchive.Location
    ) throws {
        let key = location.entry.path
        if number == 0 {
            let header = TarWriter.headerBytes(key, size: location.entry.size)
            guard bytes.getBytes(at: bytes.readerIndex, length: header.count) == header else {
                failed(&proof, key)
                throw changed(location, "(its tar header differs)")
            }
        }
        let dataStart = max(location.dataOffset, start)
        let dataEnd = min(location.dataOffset + location.entry.size, start + Int64(bytes.readableBytes))
        if dataEnd > dataStart {
            bytes.withUnsafeReadableBytes { all in
                proof.hasher?.update(UnsafeRawBufferPointer(rebasing: all[Int(dataStart - start)..<Int(dataEnd - start)]))
            }
        }
        proof.chunkTags.append(tag)
        guard number == lastChunk(location), let hasher = proof.hasher else { return }
        let actual = hasher.finalizeHex()
        guard actual == location.entry.sha256 else {
            failed(&proof, key)
            throw TransferError(
                "\(archive.path): entry \(key) was changed after the archive was opened: its SHA-256 is \(actual), "
                    + "bundle.json says \(location.entry.sha256)")
        }
        proof.hasher = nil
        proof.proven = true
    }

    private func failed(_ proof: inout EntryProof, _ key: String) {
        proof.reset()
        cache.drop(entry: key)
    }

    private func changed(_ location: BundleArchive.Location, _ detail: String) -> TransferError {
        TransferError("\(archive.path): entry \(location.entry.path) was changed after the archive was opened \(detail)")
    }
}
