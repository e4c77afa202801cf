import OCI
import Synchronization

/// What a copy reports as it goes, for terminals, logs and journals.
public enum TransferEvent: Sendable {
    /// More bytes of a blob passed (checked as they passed).
    case transferred(Int64)
    case blobCopied(Descriptor)
    case blobFailed(Descriptor, Error)
    /// Another pass over the source reads again the blobs that failed (`blobs` of them).
    case repairPass(pass: Int, blobs: Int)
}

/// What became of each blob a copy was asked to send.
public struct CopyOutcome: Sendable {
    public var copied: [Digest: Int64] = [:]
    /// Blobs the destination took without their bytes passing (`ImageDestination.mountBlob`).
    public var mounted = Set<Digest>()
    public var failed: [Digest: Error] = [:]
    public init() {}
}

/// The one copy of the transfer engine: every blob from a source to a destination, each shared
/// blob read and sent once, every byte checked against its digest while it streams (by the
/// source, the destination or the copy itself: one hash per byte), at most `concurrency` blobs
/// in flight, and blobs that failed read again in up to `repairPasses` more passes over the
/// source. Retries of single requests, resumes and mounts are the backings' (a registry's
/// `send` retries with backoff, a download resumes with `Range`, a push mounts shared blobs).
///
/// pull: registry → OCI layout; push: bundle archive → registry; pack's stage: OCI layout →
/// bundle stage (see docs/adr for the engine).
public struct BlobCopy<Source: ImageSource, Destination: ImageDestination>: Sendable {
    public let source: Source
    public let destination: Destination
    public var concurrency: Int
    public var repairPasses: Int

    public init(from source: Source, to destination: Destination, concurrency: Int = 4, repairPasses: Int = 0) {
        self.source = source
        self.destination = destination
        self.concurrency = max(1, concurrency)
        self.repairPasses = max(0, repairPasses)
    }

    /// Sends every blob of `blobs` (each digest once). A failure of the source's pass itself (an
    /// archive that does not verify) is thrown once every blob begun has ended; failures of single
    /// blobs are in the outcome.
    public func run(_ blobs: [Descriptor], events: @escaping @Sendable (TransferEvent) -> Void = { _ in }) async throws -> CopyOutcome {
        var pending = unique(blobs)
        var outcome = CopyOutcome()
        for pass in 0...repairPasses {
            if pass > 0 {
                guard !outcome.failed.isEmpty else { break }
                events(.repairPass(pass: pass, blobs: outcome.failed.count))
                pending = pending.filter { outcome.failed[$0.digest] != nil }
            }
            let done = try await runPass(pending, pass: pass, events: events)
            outcome.copied.merge(done.copied) { $1 }
            outcome.mounted.formUnion(done.mounted)
            outcome.failed = done.failed
        }
        return outcome
    }

    private func runPass(_ blobs: [Descriptor], pass: Int, events: @escaping @Sendable (TransferEvent) -> Void) async throws -> CopyOutcome {
        // The first pass runs even with nothing to send: a source may verify or keep more than blobs.
        guard !blobs.isEmpty || pass == 0 else { return CopyOutcome() }
        let record = Mutex(CopyOutcome())
        let destination = self.destination, source = self.source
        // Mounted where the destination can; read from the source otherwise.
        let mounted = await boundedMap(blobs, limit: concurrency) { blob -> Bool in
            do { return try await destination.mountBlob(blob, from: source) } catch {
                record.withLock { $0.failed[blob.digest] = error }
                events(.blobFailed(blob, error))
                return true
            }
        }
        let toRead = zip(blobs, mounted).filter { !$0.1 }.map(\.0)
        record.withLock { state in
            for (blob, done) in zip(blobs, mounted) where done && state.failed[blob.digest] == nil { state.mounted.insert(blob.digest) }
        }
        guard !toRead.isEmpty || pass == 0 else { return record.withLock { $0 } }
        try await source.readBlobs(toRead, pass: pass, concurrency: concurrency) { blob, body in
            let hashing = !body.checkedBySource && !destination.checksDigests
            let verified = VerifiedBody(body, blob, hashing: hashing) { events(.transferred($0)) }
            do {
                try await destination.writeBlob(blob, verified.checked)
                guard verified.ended else {
                    throw TransferError("blob \(blob.digest): the destination stopped reading before the blob's end was checked")
                }
                record.withLock { $0.copied[blob.digest] = blob.size }
                events(.blobCopied(blob))
            } catch {
                body.abandon()
                record.withLock { $0.failed[blob.digest] = error }
                events(.blobFailed(blob, error))
            }
        }
        return record.withLock { $0 }
    }

}

/// `blobs` without repeats: the first of each digest.
func unique(_ blobs: [Descriptor]) -> [Descriptor] {
    var seen = Set<Digest>()
    return blobs.filter { seen.insert($0.digest).inserted }
}
