import Bundle
import NIOCore
import OCI

/// One pass over a bundle archive as the verifier (or the random-access reader) hands it out:
/// wanted blobs go to their receivers piece by piece, other entries to the keeper.
struct PassSink<Keeper: ArchiveEntryKeeper>: BundleEntrySink {
    private enum Current {
        case none
        case blob(PieceChannel, PieceBuffer)
        case kept
        case skip
    }

    let wanted: [Digest: Descriptor]
    var keeper: Keeper
    let keeping: Bool
    let indexBytes: [UInt8]
    let pieceSize: Int
    let piecesQueued: Int
    let progress: @Sendable (Int64) -> Void
    let receivers: Receivers
    let receive: @Sendable (Descriptor, BlobBody) async -> Void
    private var current = Current.none

    init(
        wanted: [Digest: Descriptor], keeper: Keeper, keeping: Bool, indexBytes: [UInt8], pieceSize: Int, piecesQueued: Int,
        progress: @escaping @Sendable (Int64) -> Void, receivers: Receivers, receive: @escaping @Sendable (Descriptor, BlobBody) async -> Void
    ) {
        self.wanted = wanted
        self.keeper = keeper
        self.keeping = keeping
        self.indexBytes = indexBytes
        self.pieceSize = pieceSize
        self.piecesQueued = piecesQueued
        self.progress = progress
        self.receivers = receivers
        self.receive = receive
    }

    /// Whether the entry begun last is used; false: it may go unread.
    var wantsCurrentEntry: Bool {
        if case .skip = current { return false }
        return true
    }

    mutating func prepare(_ signed: BundleVerifier.SignedIndex) throws {
        guard signed.indexBytes == indexBytes else {
            throw BundleError.verification("\(signed.reader.path): bundle.json changed while it was being pushed")
        }
    }

    mutating func begin(_ entry: BundleIndex.Entry) throws {
        if let blob = BundlePaths.blobDigest(entry.path).flatMap({ wanted[$0] }) {
            let channel = PieceChannel(capacity: piecesQueued)
            let receive = self.receive
            receivers.start { await receive(blob, channel.body(naming: "blob \(blob.digest)")) }
            current = .blob(channel, PieceBuffer(size: pieceSize))
        } else if keeping, try keeper.begin(entry) {
            current = .kept
        } else {
            current = .skip
        }
    }

    mutating func write(_ chunk: UnsafeRawBufferPointer) throws {
        progress(Int64(chunk.count))
        switch current {
        case .blob(let channel, var pieces):
            current = .none  // keep the buffer uniquely referenced while it grows
            // A receiver that stopped listening (its destination failed) gets nothing more.
            _ = pieces.append(chunk, to: channel)
            current = .blob(channel, pieces)
        case .kept:
            try keeper.write(chunk)
        case .none, .skip:
            break
        }
    }

    mutating func finish(_ entry: BundleIndex.Entry) throws {
        switch current {
        case .blob(let channel, var pieces):
            pieces.finish(to: channel)
        case .kept:
            try keeper.finish(entry)
        case .none, .skip:
            break
        }
        current = .none
    }

    mutating func abandon() {
        switch current {
        case .blob(let channel, _): channel.send(.abandoned)
        case .kept: keeper.abandon()
        case .none, .skip: break
        }
        current = .none
    }

    /// Hands every entry wanted to this sink, read from the archive's frames; skips the rest unread.
    mutating func feed(from archive: BundleArchive) throws -> (entries: Int, bytes: Int64) {
        var entries = 0, bytes: Int64 = 0
        do {
            for entry in archive.index.entries {
                try begin(entry)
                if wantsCurrentEntry, let location = archive.location(of: entry.path) {
                    try archive.read(location) { try write($0) }
                    entries += 1
                    bytes += entry.size
                }
                try finish(entry)
            }
        } catch {
            abandon()
            throw error
        }
        return (entries, bytes)
    }
}
