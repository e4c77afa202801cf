import Bundle
import BundlePacking
import Foundation
import Integrity
import NIOCore
import OCI
import Registry
import Synchronization
import TestSupport
import Testing
import Transfer

/// The engine's one copy on its own: a source and a destination in memory (implementations of the
/// same protocols, as NIOEmbedded is for NIO), and a real registry behind the fault proxy.
@Suite("The transfer engine's copy: each blob once, every byte checked, failures read again", .serialized)
struct BlobCopyTests {
    static func blob(_ bytes: [UInt8]) -> Descriptor {
        Descriptor(mediaType: "application/octet-stream", digest: Digest.of(bytes), size: Int64(bytes.count))
    }

    static func randomBytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255) } }

    @Test func eachSharedBlobIsReadOnceAndEveryByteChecked() async throws {
        let a = Self.randomBytes(3000), b = Self.randomBytes(2500)
        let lie = Self.randomBytes(2000), long = Self.randomBytes(2200)
        // c's descriptor names other bytes than the source serves; d's declares fewer bytes than it has.
        let c = Descriptor(mediaType: "application/octet-stream", digest: Digest.of(Self.randomBytes(2000)), size: 2000)
        let d = Descriptor(mediaType: "application/octet-stream", digest: Digest.of(long), size: 1000)
        let source = MemorySource([Self.blob(a).digest: a, Self.blob(b).digest: b, c.digest: lie, d.digest: long])
        let destination = MemoryDestination()
        let transferred = Mutex<Int64>(0)
        let outcome = try await BlobCopy(from: source, to: destination).run(
            [Self.blob(a), Self.blob(b), Self.blob(a), c, Self.blob(b), d]
        ) { event in
            if case .transferred(let bytes) = event { transferred.withLock { $0 += bytes } }
        }
        #expect(source.opens(Self.blob(a).digest) == 1 && source.opens(Self.blob(b).digest) == 1, "a shared blob is read once")
        #expect(Set(outcome.copied.keys) == [Self.blob(a).digest, Self.blob(b).digest])
        #expect(destination.stored(Self.blob(a).digest) == a && destination.stored(Self.blob(b).digest) == b)
        #expect(destination.stored(c.digest) == nil && destination.stored(d.digest) == nil, "nothing is kept of a blob that does not match")
        guard case .digestMismatch(let expected, let actual) = outcome.failed[c.digest] as? BlobWriteError else {
            Issue.record("c: \(String(describing: outcome.failed[c.digest]))")
            return
        }
        #expect(expected == c.digest && actual == Digest.of(lie))
        guard case .sizeMismatch(_, let declared, _, let truncated) = outcome.failed[d.digest] as? BlobWriteError else {
            Issue.record("d: \(String(describing: outcome.failed[d.digest]))")
            return
        }
        #expect(declared == 1000 && !truncated, "more bytes than declared fail at once")
        #expect(transferred.withLock { $0 } >= Int64(a.count + b.count))
    }

    @Test func aBlobThatFailsIsReadAgainInARepairPass() async throws {
        let a = Self.randomBytes(5000), b = Self.randomBytes(800)
        let passes = Mutex<[Int]>([])
        let source = MemorySource([Self.blob(a).digest: a, Self.blob(b).digest: b], breakingFirstRead: [Self.blob(a).digest])
        let destination = MemoryDestination()
        let outcome = try await BlobCopy(from: source, to: destination, repairPasses: 2).run([Self.blob(a), Self.blob(b)]) { event in
            if case .repairPass(let pass, let blobs) = event { passes.withLock { $0.append(pass * 100 + blobs) } }
        }
        #expect(outcome.failed.isEmpty && outcome.copied.count == 2)
        #expect(passes.withLock { $0 } == [101], "one repair pass, for the one blob that broke off")
        #expect(source.opens(Self.blob(a).digest) == 2 && source.opens(Self.blob(b).digest) == 1)
        #expect(destination.stored(Self.blob(a).digest) == a)

        let once = MemorySource([Self.blob(a).digest: a], breakingFirstRead: [Self.blob(a).digest])
        let failed = try await BlobCopy(from: once, to: MemoryDestination()).run([Self.blob(a)])
        #expect(failed.copied.isEmpty && failed.failed[Self.blob(a).digest] != nil, "without repair passes the failure is reported")
    }

    @Test func aRegistryDownloadThatBreaksOffResumesWithRangeAndIsChecked() async throws {
        let registry = try RegistryServer()
        let proxy = try FaultProxy(upstream: registry)
        let direct = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [registry.host]))
        let client = try RegistryClient(configuration: RegistryConfiguration(insecureHosts: [proxy.host]))
        defer { Task { try? await direct.shutdown() } }
        defer { Task { try? await client.shutdown() } }
        let layer = try ImageFactory.randomLayer(size: 1 << 20, directory: try TestPaths.scratch("transfer-layer"))
        let image = ImageFactory.image(layers: [layer])
        try await ImageFactory.push(image, to: try ImageReference(parsing: "\(registry.host)/copy/app"), tag: "1", client: direct)
        try proxy.setRules([
            ["path_contains": "/blobs/\(layer.descriptor.digest)", "method": "GET", "action": "reset_after", "bytes": 300_000, "times": 1]
        ])
        let repository = try ImageReference(parsing: "\(proxy.host)/copy/app")
        let blobs = image.blobs.map(\.descriptor)
        let layout = try OCILayout(creatingAt: try TestPaths.scratch("transfer-layout"))
        let copy = BlobCopy(
            from: RegistrySource(client: client, origins: Dictionary(blobs.map { ($0.digest, repository) }, uniquingKeysWith: { first, _ in first })),
            to: LayoutDestination(layout: layout))
        let outcome = try await copy.run(blobs + blobs)
        #expect(outcome.failed.isEmpty, "\(outcome.failed)")
        #expect(outcome.copied.count == blobs.count)
        for blob in blobs { #expect(layout.hasBlob(blob)) }
        let (hex, size) = try SHA256Hasher.hashFile(atPath: layout.blobPath(layer.descriptor.digest))
        #expect(hex == layer.descriptor.digest.hex && size == layer.descriptor.size)
        // One resume, from where the client's bytes stopped: past 0, at most the cut.
        let offsets = try proxy.resumeOffsets()
        #expect(offsets.count == 1 && offsets.allSatisfy { $0 > 0 && $0 <= 300_000 }, "\(offsets)")
        let gets = try proxy.requestLog().filter { ($0["path"] as? String)?.contains("/blobs/sha256:") ?? false }
        #expect(gets.count == blobs.count + 1, "each blob fetched once, the broken one resumed once: \(gets.count)")
    }

    /// A packed bundle of one image with one random (so stored raw) layer of 2.5 MB, opened for
    /// random access through serve's checked chunks.
    static func packedBundle() throws -> (layer: SyntheticBlob, path: String, source: CheckedFrames) {
        let stage = try TestPaths.scratch("transfer-stage")
        let layout = try OCILayout(creatingAt: stage + "/images")
        let layer = try ImageFactory.randomLayer(size: 2_500_000, directory: stage)
        try ImageFactory.store(ImageFactory.image(layers: [layer]), in: layout, as: "example/app:1")
        let key = try SigningKey.generate(.ed25519)
        let output = try TestPaths.scratch("transfer-bundle") + "/app.tar.zst"
        var options = PackOptions(builder: .init(name: "airgap-bundle", version: "test"))
        options.name = "app"
        options.version = "1.0.0"
        _ = try BundlePacker.pack(directory: stage, key: key, output: output, options: options)
        let source = try CheckedFrames(archive: try BundleArchive(path: output, keys: [key.publicKey]), decodeSlots: 1, cacheBytes: 0)
        return (layer, output, source)
    }

    @Test func aBundleArchiveHandsOutOneBlobByRandomAccessChecked() async throws {
        let (layer, _, source) = try Self.packedBundle()
        let destination = MemoryDestination()
        let missing = Self.blob(Self.randomBytes(100))
        let outcome = try await BlobCopy(from: source, to: destination).run([layer.descriptor, missing])
        #expect(outcome.copied[layer.descriptor.digest] == layer.descriptor.size)
        #expect(destination.stored(layer.descriptor.digest).map(Digest.of) == layer.descriptor.digest)
        let refusal = outcome.failed[missing.digest].map { "\($0)" } ?? ""
        #expect(refusal.contains("holds no blob"), "\(refusal)")
    }

    @Test func aBlobWhoseBytesChangedInTheArchiveAfterItWasOpenedIsRefusedByRandomAccess() async throws {
        let (layer, path, source) = try Self.packedBundle()
        guard case .bytes(let bytes) = layer.source else { throw TestSupportError("the layer is not in memory") }
        // The layer is random, so pack stored it raw: its bytes stand in the file as they are.
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let archive = Array(try handle.readToEnd() ?? Data())
        let probe = Array(bytes[(bytes.count / 2)..<(bytes.count / 2 + 64)])
        let at = try #require(
            archive.indices.dropLast(probe.count).first { archive[$0] == probe[0] && Array(archive[$0..<($0 + probe.count)]) == probe })
        try handle.seek(toOffset: UInt64(at + 10))
        try handle.write(contentsOf: [archive[at + 10] ^ 0x5A])
        let destination = MemoryDestination()
        let outcome = try await BlobCopy(from: source, to: destination).run([layer.descriptor])
        #expect(outcome.copied[layer.descriptor.digest] == nil)
        #expect(destination.stored(layer.descriptor.digest) == nil, "the destination kept a blob whose bytes changed")
        let refusal = outcome.failed[layer.descriptor.digest].map { "\($0)" } ?? ""
        #expect(refusal.contains("was changed after the archive was opened"), "\(refusal)")
    }
}

/// Blobs served from memory in 1000-byte pieces; counts how often each is opened; the first
/// read of a blob in `breakingFirstRead` breaks off halfway.
final class MemorySource: BlobOpening {
    let blobs: [Digest: [UInt8]]
    let breaking: Set<Digest>
    private let counts = Mutex<[Digest: Int]>([:])

    init(_ blobs: [Digest: [UInt8]], breakingFirstRead breaking: Set<Digest> = []) {
        self.blobs = blobs
        self.breaking = breaking
    }

    func opens(_ digest: Digest) -> Int { counts.withLock { $0[digest] ?? 0 } }

    func blob(_ descriptor: Descriptor) async throws -> BlobBody {
        let count = counts.withLock { counts in
            counts[descriptor.digest, default: 0] += 1
            return counts[descriptor.digest]!
        }
        guard let bytes = blobs[descriptor.digest] else { throw TransferError("no blob \(descriptor.digest)") }
        let pieces = stride(from: 0, to: bytes.count, by: 1000).map { ByteBuffer(bytes: bytes[$0..<min($0 + 1000, bytes.count)]) }
        let queue = PieceQueue(pieces, breakAt: breaking.contains(descriptor.digest) && count == 1 ? pieces.count / 2 : nil)
        return BlobBody { try queue.next() }
    }
}

final class PieceQueue: Sendable {
    private let state: Mutex<(pieces: [ByteBuffer], handed: Int)>
    private let breakAt: Int?

    init(_ pieces: [ByteBuffer], breakAt: Int?) {
        state = Mutex((pieces, 0))
        self.breakAt = breakAt
    }

    func next() throws -> ByteBuffer? {
        try state.withLock { state in
            if state.handed == breakAt { throw TransferError("the connection was reset") }
            guard !state.pieces.isEmpty else { return nil }
            state.handed += 1
            return state.pieces.removeFirst()
        }
    }
}

/// Keeps each blob whose body ended without throwing.
final class MemoryDestination: ImageDestination {
    private let blobs = Mutex<[Digest: [UInt8]]>([:])

    func stored(_ digest: Digest) -> [UInt8]? { blobs.withLock { $0[digest] } }

    func hasBlob(_ descriptor: Descriptor) async throws -> Bool { stored(descriptor.digest) != nil }

    func writeBlob(_ descriptor: Descriptor, _ body: BlobBody) async throws {
        var bytes: [UInt8] = []
        for try await piece in body { bytes += piece.readableBytesView }
        blobs.withLock { [bytes] in $0[descriptor.digest] = bytes }
    }
}
