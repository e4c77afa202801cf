import Bundle
import Dispatch
import OCI
import Synchronization
import System

/// A bundle archive as an image source: its blobs read either in one verifying pass over the
/// whole archive (`BundleVerifier`: signature, then every entry against the signed
/// `bundle.json`), or, from a format-2 archive, by random access to only the entries wanted
/// (`BundleArchive`, each checked against `bundle.json` as read). Either way a blob's body ends
/// only after its SHA-256 matched, and a failure abandons the blob being read.
///
/// The reading runs as blocking work (libarchive, zstd); each blob's pieces go to the task that
/// sends it through a `PieceChannel`, at most `concurrency` blobs at once, so memory stays at
/// about `concurrency × piecesQueued × pieceSize`. The first pass also hands every other entry
/// to `keeper`; what it verified and kept is in `firstPass` afterwards.
public struct BundleArchiveSource<Keeper: ArchiveEntryKeeper>: ImageSource {
    public enum Reading: Sendable {
        /// One pass over the whole archive, verifying everything (and `FILE.sig` if present).
        case stream
        /// Only the entries wanted, from a format-2 archive's frames.
        case randomAccess(BundleArchive)
    }

    /// What the first pass verified and what its keeper kept.
    public final class FirstPass: Sendable {
        private let result = Mutex<(VerifiedBundle, Keeper)?>(nil)
        public var value: (verified: VerifiedBundle, kept: Keeper)? { result.withLock { $0 } }
        func store(_ value: (VerifiedBundle, Keeper)) { result.withLock { $0 = value } }
    }

    public let path: String
    public let verifier: BundleVerifier
    /// The signed `bundle.json` the copy was planned from: the pass must find the same bytes.
    public let indexBytes: [UInt8]
    public let reading: Reading
    public let keeper: Keeper
    public var pieceSize = 1 << 20
    /// Pieces of one blob that may wait for its destination.
    public var piecesQueued = 4
    /// Archive bytes read, as they are read (for a progress line).
    public var progress: @Sendable (Int64) -> Void = { _ in }
    public let firstPass = FirstPass()

    public init(path: String, verifier: BundleVerifier, indexBytes: [UInt8], reading: Reading, keeper: Keeper) {
        self.path = path
        self.verifier = verifier
        self.indexBytes = indexBytes
        self.reading = reading
        self.keeper = keeper
    }

    public func readBlobs(
        _ blobs: [Descriptor], pass: Int, concurrency: Int, receive: @escaping @Sendable (Descriptor, BlobBody) async -> Void
    ) async throws {
        let receivers = Receivers(concurrency: concurrency)
        let source = self
        // A later pass reads only the blobs that failed: by random access where the format allows.
        var reading = self.reading
        if pass > 0, case .stream = reading,
            let archive = try? await BlockingWork.run({ try BundleArchive(path: source.path, keys: source.verifier.keys) })
        {
            reading = .randomAccess(archive)
        }
        let chosen = reading
        do {
            let result = try await BlockingWork.run { () throws -> PassResult in
                try source.readPass(blobs, keeping: pass == 0, reading: chosen, receivers: receivers, receive: receive)
            }
            await receivers.waitForAll()
            if pass == 0 { firstPass.store((result.verified, result.kept)) }
        } catch {
            await receivers.waitForAll()
            throw error
        }
    }

    struct PassResult: Sendable {
        var verified: VerifiedBundle
        var kept: Keeper
    }

    /// One pass, on the calling thread (blocking work).
    private func readPass(
        _ blobs: [Descriptor], keeping: Bool, reading: Reading, receivers: Receivers,
        receive: @escaping @Sendable (Descriptor, BlobBody) async -> Void
    ) throws -> PassResult {
        var progress: @Sendable (Int64) -> Void = { _ in }
        if keeping { progress = self.progress }
        var sink = PassSink(
            wanted: Dictionary(blobs.map { ($0.digest, $0) }, uniquingKeysWith: { first, _ in first }), keeper: keeper, keeping: keeping,
            indexBytes: indexBytes, pieceSize: pieceSize, piecesQueued: piecesQueued, progress: progress,
            receivers: receivers, receive: receive)
        switch reading {
        case .stream:
            let verified = try verifier.verify(path, into: &sink)
            return PassResult(verified: verified, kept: sink.keeper)
        case .randomAccess(let archive):
            let read = try sink.feed(from: archive)
            let verified = VerifiedBundle(
                index: archive.index, signerFingerprint: archive.signerFingerprint, archiveSignature: .notChecked,
                entriesChecked: read.entries, bytesChecked: read.bytes)
            return PassResult(verified: verified, kept: sink.keeper)
        }
    }
}

/// The tasks that receive blobs, at most `concurrency` running: the reading thread blocks (it is
/// blocking work) until one ends before it starts another.
final class Receivers: Sendable {
    private let slots: DispatchSemaphore
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(concurrency: Int) { slots = DispatchSemaphore(value: max(1, concurrency)) }

    func start(_ work: @escaping @Sendable () async -> Void) {
        slots.wait()
        let slots = self.slots
        let task = Task {
            defer { slots.signal() }
            await work()
        }
        tasks.withLock { $0.append(task) }
    }

    func waitForAll() async {
        for task in tasks.withLock({ $0 }) { await task.value }
    }
}
