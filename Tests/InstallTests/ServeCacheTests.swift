import Bundle
import Foundation
import Integrity
import OCI
import TestSupport
import Testing
import Transfer

@testable import BundleServer

/// What serve's chunk cache may hand out after the archive changed under it (ADR 0019): only
/// bytes its proof checked against bundle.json's digest. A blob served whole from the cache is
/// still the right blob; a chunk read from the changed file again is refused, Range reads too.
@Suite("serve's cache of checked chunks and its proofs when the archive changes after the start", .serialized)
struct ServeCacheTests {
    /// A real packed bundle (shared layer of 10 MiB: three frames, one changed byte in the
    /// second), opened twice: once with a cache of 64 MiB, once with none.
    struct Opened {
        let fixture: PushFixture
        let served: String
        let cached: CheckedFrames
        let uncached: CheckedFrames
        let location: BundleArchive.Location
        let layer: [UInt8]

        init() throws {
            fixture = try PushFixture(largeLayer: 10 << 20)
            served = fixture.root + "/served.tar.zst"
            try FileManager.default.copyItem(atPath: fixture.bundle, toPath: served)
            let key = try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: fixture.publicKey))))
            let archive = try BundleArchive(path: served, keys: [key])
            cached = try CheckedFrames(archive: archive, decodeSlots: 1, cacheBytes: 64 << 20)
            uncached = try CheckedFrames(archive: archive, decodeSlots: 1, cacheBytes: 0)
            location = try #require(archive.location(ofBlob: fixture.sharedLayer))
            layer = try ServeBytes.blob(fixture, fixture.sharedLayer)
        }

        /// Overwrites the served file in place (same inode) with a copy holding one changed byte.
        func changeArchive() throws {
            try ServeBytes.copyWithChangedByte(fixture, in: fixture.sharedLayer, to: fixture.root + "/changed.tar.zst")
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: served))
            try handle.write(contentsOf: try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/changed.tar.zst")))
            try handle.close()
        }
    }

    /// Reads `read` to its end in pieces of at most `maximum` bytes; the bytes handed out before
    /// a failure are in `received`.
    static func readAll(_ source: CheckedFrames, _ read: EntryRead, maximum: Int = 1 << 20, received: inout [UInt8]) throws {
        while !read.isDone {
            let piece = try source.nextPiece(read, maximum: maximum)
            received += piece.readableBytesView
        }
    }

    @Test func aBlobServedFromTheCacheAfterTheChangeIsStillExactlyTheSignedBlob() throws {
        let opened = try Opened()
        let whole = 0..<opened.location.entry.size
        // Two responses at once make the entry hot: its frames are kept as the first one proves it.
        let first = opened.cached.startRead(opened.location, range: whole)
        let second = opened.cached.startRead(opened.location, range: whole)
        var firstBytes: [UInt8] = []
        try Self.readAll(opened.cached, first, received: &firstBytes)
        #expect(firstBytes == opened.layer)
        #expect(opened.cached.cache.heldBytes >= opened.layer.count)

        try opened.changeArchive()
        var secondBytes: [UInt8] = []
        try Self.readAll(opened.cached, second, received: &secondBytes)
        #expect(secondBytes == opened.layer, "the cache handed out bytes other than the proven ones")
        #expect(Digest.of(secondBytes) == opened.fixture.sharedLayer)
    }

    @Test func aProvenBlobReadFromTheChangedFileIsRefusedWholeAndByRange() throws {
        let opened = try Opened()
        let size = opened.location.entry.size
        var proving: [UInt8] = []
        try Self.readAll(opened.uncached, opened.uncached.startRead(opened.location, range: 0..<size), received: &proving)
        #expect(proving == opened.layer)
        #expect(opened.uncached.cache.heldBytes == 0)

        try opened.changeArchive()
        // The changed byte is in the middle (the second frame); the first 1 MiB is unchanged.
        var head: [UInt8] = []
        try Self.readAll(opened.uncached, opened.uncached.startRead(opened.location, range: 0..<(1 << 20)), received: &head)
        #expect(head == Array(opened.layer[0..<(1 << 20)]))
        var middle: [UInt8] = []
        let changedRange = (size / 2 - 100)..<(size / 2 + 100)
        #expect(throws: TransferError.self) {
            try Self.readAll(opened.uncached, opened.uncached.startRead(opened.location, range: changedRange), received: &middle)
        }
        #expect(middle.isEmpty, "a Range read handed out changed bytes")
        var whole: [UInt8] = []
        #expect(throws: TransferError.self) {
            try Self.readAll(opened.uncached, opened.uncached.startRead(opened.location, range: 0..<size), received: &whole)
        }
        #expect(whole.count < opened.layer.count)
        #expect(whole == Array(opened.layer[0..<whole.count]), "bytes before the refusal must be the signed ones")
    }

    @Test func aBlobChangedBeforeAnyWholeReadIsRefusedByRangeBeforeAnyByte() throws {
        let opened = try Opened()
        try opened.changeArchive()
        var tail: [UInt8] = []
        let size = opened.location.entry.size
        // Even a range of unchanged bytes: the entry is proven first, and the proof fails.
        #expect(throws: TransferError.self) {
            try Self.readAll(opened.uncached, opened.uncached.startRead(opened.location, range: (size - 10)..<size), received: &tail)
        }
        #expect(tail.isEmpty)
    }

    /// The event loop's read (`nextPieceIfReady`) waits for nothing and checks like the pool's:
    /// the first piece of a read is never its own, and a chunk of the changed file is refused there too.
    @Test func theEventLoopsReadOfTheChangedFileIsRefusedLikeThePools() throws {
        let opened = try Opened()
        let size = opened.location.entry.size
        let proving = opened.uncached.startRead(opened.location, range: 0..<size)
        #expect(try opened.uncached.nextPieceIfReady(proving, maximum: 1 << 20) == nil, "the first piece of a read must go to the pool")
        var proven: [UInt8] = []
        try Self.readAll(opened.uncached, proving, received: &proven)
        #expect(proven == opened.layer)

        // Rewritten in place: the page cache now holds the changed file, so no read waits for the disk.
        try opened.changeArchive()
        let again = opened.uncached.startRead(opened.location, range: 0..<size)
        var received = Array(try opened.uncached.nextPiece(again, maximum: 1 << 20).readableBytesView)
        var onTheLoop = 0
        #expect(throws: TransferError.self) {
            while !again.isDone {
                let piece = try #require(try opened.uncached.nextPieceIfReady(again, maximum: 1 << 20), "a cached page made the loop wait")
                received += piece.readableBytesView
                onTheLoop += 1
            }
        }
        #expect(onTheLoop > 0, "no piece was read on the loop before the changed chunk")
        #expect(received.count < opened.layer.count)
        #expect(received == Array(opened.layer[0..<received.count]), "bytes before the refusal must be the signed ones")
    }
}
