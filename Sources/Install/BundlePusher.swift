import Bundle
import Foundation
import Integrity
import OCI
import Registry
import TarStream

/// Options of a push.
public struct PushOptions: Sendable {
    /// Blob uploads in flight at once.
    public var concurrency = 4
    /// Bytes per piece handed from the archive reader to an upload: a blob up to this size goes
    /// up in one `PUT` from memory; a larger one as one streamed `PATCH`, with at most
    /// `PushStream.piecesQueued` pieces waiting per upload.
    public var chunkSize = 1 << 20
    /// HEAD and manifest requests in flight at once.
    public var lookupConcurrency = 16
    /// Attempts for an upload request that breaks off.
    public var attempts = 5
    /// Passes over the archive to send again the blobs whose upload failed for good.
    public var repairPasses = 2
    /// Fail when `FILE.sig` is missing.
    public var requireArchiveSignature = false
    /// Read and verify the whole archive even when an earlier push of the same signed
    /// bundle.json is complete in the registry and the state directory.
    public var fullPass = false
    /// Where charts, files, `relocation.json` and the journal go; nil: the default for the bundle.
    public var stateDirectory: String?
    /// For a delta: the base's state directory (default: beside this one, `BASE-NAME-VERSION`).
    public var baseStateDirectory: String?

    public init() {}

    /// `/var/lib/airgap-install/NAME-VERSION`.
    public static func defaultStateDirectory(name: String, version: String) -> String { "/var/lib/airgap-install/\(name)-\(version)" }
}

/// What a push did.
public struct PushReport: Sendable, Codable {
    public var bundle: String
    public var version: String
    public var registry: String
    public var project: String
    public var projectOutcome: HarborProjectOutcome
    /// Nil when the archive was not read past bundle.json (`alreadyPushed`).
    public var archiveSignature: ArchiveSignatureOutcome?
    public var images: Int
    public var blobsUploaded: Int
    public var bytesUploaded: Int64
    public var blobsSkipped: Int
    public var bytesSkipped: Int64
    public var blobsMounted: Int
    public var manifestsPushed: Int
    public var manifestsPresent: Int
    public var tagsPushed: Int
    public var tagsUnchanged: Int
    public var seconds: Double
    public var stateDirectory: String
    public var relocation: String
    /// An earlier push of this signed bundle.json was found complete: every image was checked
    /// against the registry, and the rest of the archive was not read.
    public var alreadyPushed = false
}

/// Verifies a bundle and pushes every image into the site registry in one pass over the archive
/// (see docs/site-admin-guide.md): trust first (bundle.json's signature, before any byte is
/// sent), blobs uploaded as they stream out, manifests and tags only after the whole archive
/// verified, every image checked against the registry at the end, then `relocation.json`.
public struct BundlePusher: Sendable {
    public let client: RegistryClient
    public let keys: [VerifyingKey]
    public let target: PushTarget
    public let options: PushOptions

    public init(client: RegistryClient, keys: [VerifyingKey], target: PushTarget, options: PushOptions) {
        self.client = client
        self.keys = keys
        self.target = target
        self.options = options
    }

    public func push(_ archive: String, progress: @escaping @Sendable (_ total: Int64, _ done: Int64) -> Void = { _, _ in }) async throws
        -> PushReport
    {
        let started = Date()
        if !options.fullPass, let report = try await earlierPushComplete(archive, started: started) { return report }
        let counter = ProgressCounter(report: progress)
        let context = PushContext()
        let stream = PushStream(
            client: client, concurrency: options.concurrency, chunkSize: options.chunkSize, attempts: options.attempts, context: context,
            onTrusted: { signed in try self.prepare(signed, context: context, counter: counter) },
            progress: { counter.advance($0) })
        let verifier = BundleVerifier(keys: keys, requireArchiveSignature: options.requireArchiveSignature)
        let verified: VerifiedBundle
        let randomAccess = !options.fullPass && !options.requireArchiveSignature
        do {
            verified = try await ThreadBridge.run {
                var sink = stream
                if randomAccess, let partial = try Self.pushFewFromFrames(archive, verifier: verifier, stream: stream) { return partial }
                return try verifier.verify(archive, into: &sink)
            }
        } catch {
            for task in stream.uploadTasks { await task.value }
            context.journal?.record("push-failed", ["reason": "\(error)"])
            context.removeIncoming()
            if let bundleError = error as? BundleError {
                throw bundleError.kind == .verification
                    ? InstallError.verification("\(bundleError.message); nothing was registered in \(target.registry)")
                    : InstallError.io(bundleError.message)
            }
            throw error
        }
        let active = stream
        guard let plan = active.plan, let state = context.stateDirectory else {
            throw InstallError.bundle("\(archive): the push never got past bundle.json")
        }
        for task in active.uploadTasks { await task.value }
        var outcomes = active.outcomes.snapshot
        // Blobs whose upload failed for good (a session the registry dropped, retries spent) are
        // sent again in repair passes over the archive, which upload nothing else.
        var pass = 1
        while !outcomes.failed.isEmpty, pass <= options.repairPasses {
            context.journal?.record("repair-pass", ["pass": String(pass), "blobs": String(outcomes.failed.count)])
            let repair = PushStream(
                client: client, concurrency: options.concurrency, chunkSize: options.chunkSize, attempts: options.attempts, context: context,
                onTrusted: { _ in throw InstallError.bundle("unreachable") }, progress: { _ in })
            repair.repairing = (plan, Set(outcomes.failed.keys))
            do {
                _ = try await ThreadBridge.run {
                    // Format 2: only the failed blobs' frames are read again.
                    if let seekable = try? BundleArchive(path: archive, keys: verifier.keys) {
                        try repair.prepare(try verifier.readSignedIndex(archive))
                        try Self.feed(repair, from: seekable)
                        return
                    }
                    var sink = repair
                    _ = try verifier.verify(archive, into: &sink)
                }
            } catch {
                for task in repair.uploadTasks { await task.value }
                context.removeIncoming()
                throw error
            }
            for task in repair.uploadTasks { await task.value }
            let repaired = repair.outcomes.snapshot
            outcomes.uploaded.merge(repaired.uploaded) { $1 }
            outcomes.failed = repaired.failed
            pass += 1
        }
        if !outcomes.failed.isEmpty {
            context.removeIncoming()
            let list = outcomes.failed.sorted { $0.key.description < $1.key.description }.prefix(5).map { "\($0.value)" }
            context.journal?.record("push-failed", ["reason": "\(outcomes.failed.count) blob uploads failed"])
            throw InstallError.registry(
                "\(outcomes.failed.count) blob upload(s) failed; no image was registered, and a rerun uploads only what is missing:\n  "
                    + list.joined(separator: "\n  "))
        }
        let registration = ImageRegistration(
            client: client, plan: plan, manifestBytes: active.manifestBytes, concurrency: options.lookupConcurrency,
            journal: context.journal, mountSources: context.mountSources)
        let registered = try await registration.run()
        try context.installIncoming(files: active.stagedFiles, indexBytes: active.indexBytes)
        let relocation = Self.relocationMap(plan, index: verified.index, target: target)
        let relocationPath = state + "/relocation.json"
        try StateFiles.writeJSON(relocation, to: relocationPath)
        let uploadedBytes = outcomes.uploaded.values.reduce(0, +)
        let skipped = context.present.map { plan.blobSizes[$0] ?? 0 }
        context.journal?.record("push-finished", ["images": String(plan.images.count), "uploaded": String(outcomes.uploaded.count)])
        return PushReport(
            bundle: verified.index.name, version: verified.index.version, registry: target.registry, project: target.project,
            projectOutcome: context.projectOutcome, archiveSignature: verified.archiveSignature, images: plan.images.count,
            blobsUploaded: outcomes.uploaded.count, bytesUploaded: uploadedBytes, blobsSkipped: skipped.count, bytesSkipped: skipped.reduce(0, +),
            blobsMounted: registered.blobsMounted, manifestsPushed: registered.manifestsPushed, manifestsPresent: registered.manifestsPresent,
            tagsPushed: registered.tagsPushed, tagsUnchanged: registered.tagsUnchanged, seconds: Date().timeIntervalSince(started),
            stateDirectory: state, relocation: relocationPath)
    }

    /// A rerun of a format-2 bundle that finds less than half of its bytes missing from the
    /// registry reads only what it needs by random access — the missing blobs, every manifest,
    /// the charts, files and deploy entries — each checked against the signed bundle.json as it
    /// is read (`BundleArchive`), instead of the whole archive. Nil: the archive is read whole
    /// (format 1, or most of it is to be uploaded: one pass front to back is faster then).
    static func pushFewFromFrames(_ path: String, verifier: BundleVerifier, stream: PushStream) throws -> VerifiedBundle? {
        let archive: BundleArchive
        do { archive = try BundleArchive(path: path, keys: verifier.keys) } catch let error as BundleError where error.kind == .usage {
            return nil
        }
        try stream.prepare(try verifier.readSignedIndex(path))
        guard stream.bytesToUpload * 2 < archive.index.entriesSize else { return nil }
        stream.context.journal?.record("random-access", ["bytes": String(stream.bytesToUpload)])
        let read = try feed(stream, from: archive)
        return VerifiedBundle(
            index: archive.index, signerFingerprint: archive.signerFingerprint, archiveSignature: .notChecked, entriesChecked: read.entries,
            bytesChecked: read.bytes)
    }

    /// Hands `stream` every entry it wants, read from its frames; skips the rest unread.
    @discardableResult
    static func feed(_ stream: PushStream, from archive: BundleArchive) throws -> (entries: Int, bytes: Int64) {
        var entries = 0, bytes: Int64 = 0
        do {
            for entry in archive.index.entries {
                try stream.begin(entry)
                if stream.wantsCurrentEntry, let location = archive.location(of: entry.path) {
                    try archive.read(location) { try stream.write($0) }
                    entries += 1
                    bytes += entry.size
                }
                try stream.finish(entry)
            }
        } catch {
            stream.abandon()
            throw error
        }
        return (entries, bytes)
    }

    /// Where every image of the plan goes, as `relocation.json` records it.
    static func relocationMap(_ plan: RelocationPlan, index: BundleIndex, target: PushTarget) -> RelocationMap {
        RelocationMap(
            bundle: "\(index.name)-\(index.version)", registry: target.registry, project: target.project,
            images: plan.images.map { image in
                RelocationMap.Entry(
                    source: image.source.description,
                    target: image.target.tag != nil ? image.target.description : image.target.pinned(to: image.digest).description,
                    digest: image.digest)
            })
    }

    /// A rerun's short cut: bundle.json's signature is checked, then, if an earlier push of the
    /// same bundle.json is complete (`CompletedPush`), the report says so and the rest of the
    /// archive is not read. Nil: the full pass runs (and reports any problem with the bundle).
    private func earlierPushComplete(_ archive: String, started: Date) async throws -> PushReport? {
        // With --require-archive-signature, FILE.sig must be there; it is verified only when the
        // archive is read, and the signed bundle.json already names every digest the site holds.
        if options.requireArchiveSignature, !FileManager.default.fileExists(atPath: ArchiveParts.logicalPath(archive) + ".sig") { return nil }
        let verifier = BundleVerifier(keys: keys)
        let signed = try? await ThreadBridge.run { () throws -> (BundleIndex, [UInt8])? in
            let signed = try verifier.readSignedIndex(archive)
            return signed.signatureVerified ? (signed.index, signed.indexBytes) : nil
        }
        guard let (index, indexBytes) = signed ?? nil, let plan = try? RelocationPlan(index: index, target: target) else { return nil }
        let state = options.stateDirectory ?? PushOptions.defaultStateDirectory(name: index.name, version: index.version)
        let relocation = Self.relocationMap(plan, index: index, target: target)
        let check = CompletedPush(
            client: client, plan: plan, index: index, indexBytes: indexBytes, relocation: relocation, stateDirectory: state,
            concurrency: options.lookupConcurrency)
        let journal = FileManager.default.fileExists(atPath: state) ? try? PushJournal(path: state + "/journal.jsonl") : nil
        if let reason = await check.missing() {
            journal?.record("full-pass", ["reason": reason])
            return nil
        }
        let projectOutcome = try await client.ensureHarborProject(target.project, apiBase: target.harborAPI, credential: target.credential)
        let manifests = plan.images.reduce(0) { $0 + $1.manifests.count }
        let tags = plan.images.filter { $0.target.tag != nil }.count
        journal?.record("already-pushed", ["bundle": "\(index.name)-\(index.version)", "images": String(plan.images.count)])
        return PushReport(
            bundle: index.name, version: index.version, registry: target.registry, project: target.project, projectOutcome: projectOutcome,
            archiveSignature: nil, images: plan.images.count, blobsUploaded: 0, bytesUploaded: 0, blobsSkipped: plan.blobHomes.count,
            bytesSkipped: plan.blobSizes.values.reduce(0, +), blobsMounted: 0, manifestsPushed: 0, manifestsPresent: manifests, tagsPushed: 0,
            tagsUnchanged: tags, seconds: Date().timeIntervalSince(started), stateDirectory: state, relocation: state + "/relocation.json",
            alreadyPushed: true)
    }

    /// A delta leaves out the layers its base carried: each must already be in the registry, in
    /// the repository that needs it or in one of the base's (found through the base's state
    /// directory, whose bundle.json must be the exact base this delta names). Returns where to
    /// mount each from; fails, naming what is missing, before anything is uploaded.
    private func locateBaseLayers(
        _ plan: RelocationPlan, base: BundleIndex.Base, present: Set<Digest>, state: String
    ) throws -> [Digest: ImageReference] {
        let baseState = options.baseStateDirectory ?? ((state as NSString).deletingLastPathComponent + "/\(base.name)-\(base.version)")
        var candidates: [Digest: [ImageReference]] = [:]
        if FileManager.default.fileExists(atPath: baseState + "/bundle.json") {
            let bytes: [UInt8]
            do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: baseState + "/bundle.json"))) } catch {
                throw InstallError.io("cannot read the base's \(baseState)/bundle.json: \(error.localizedDescription)")
            }
            guard SHA256Hasher.hex(of: bytes) == base.bundleJSON else {
                throw InstallError.bundle(
                    "this delta builds on \(base.name) \(base.version) with bundle.json SHA-256 \(base.bundleJSON), but \(baseState) holds another build of it; push the base this delta was made from"
                )
            }
            let baseIndex = try? JSONDecoder().decode(BundleIndex.self, from: Data(bytes))
            let relocation = try? JSONDecoder().decode(
                RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: baseState + "/relocation.json")))
            let targets = Dictionary((relocation?.images ?? []).map { ($0.source, $0.target) }, uniquingKeysWith: { first, _ in first })
            for image in baseIndex?.images ?? [] {
                guard let target = targets[image.reference].flatMap({ try? ImageReference(parsing: $0) }) else { continue }
                for blob in image.blobs ?? [] { candidates[blob.digest, default: []].append(target.repositoryOnly) }
            }
        }
        let everyRepository = plan.images.map(\.target.repositoryOnly)
        let missing = plan.expectedAtSite.subtracting(present).sorted { $0.description < $1.description }
        let client = self.client
        let candidatesFound = candidates
        let found: [Digest: ImageReference] = try ThreadBridge.wait {
            var found: [Digest: ImageReference] = [:]
            for digest in missing {
                for repository in (candidatesFound[digest] ?? []) + everyRepository where try await client.blobExists(digest, in: repository) {
                    found[digest] = repository
                    break
                }
            }
            return found
        }
        let absent = missing.filter { found[$0] == nil }
        guard absent.isEmpty else {
            let owner = { (digest: Digest) in
                plan.images.first { image in plan.blobHomes[digest]?.contains(image.target.repositoryOnly) ?? false }?.source.description ?? "?"
            }
            throw InstallError.bundle(
                "this is a delta of \(base.name) \(base.version): \(absent.count) layer(s) it leaves out are not in \(target.registry)/\(target.project) (e.g. \(absent[0]) of \(owner(absent[0]))); push \(base.name) \(base.version) first"
            )
        }
        return found
    }

    /// After bundle.json's signature verified: the plan, the state directory, the project, and
    /// which blobs the registry already has (HEAD, many at once).
    private func prepare(_ signed: BundleVerifier.SignedIndex, context: PushContext, counter: ProgressCounter) throws -> (RelocationPlan, Set<Digest>)
    {
        let plan = try RelocationPlan(index: signed.index, target: target)
        let state = options.stateDirectory ?? PushOptions.defaultStateDirectory(name: signed.index.name, version: signed.index.version)
        try context.open(stateDirectory: state)
        context.journal?.record(
            "push-started", ["bundle": "\(signed.index.name)-\(signed.index.version)", "registry": target.registry, "project": target.project])
        counter.setTotal(signed.index.entriesSize)
        let client = self.client, target = self.target, lookups = options.lookupConcurrency
        context.projectOutcome = try ThreadBridge.wait {
            try await client.ensureHarborProject(target.project, apiBase: target.harborAPI, credential: target.credential)
        }
        context.journal?.record("project", ["project": target.project, "outcome": context.projectOutcome.rawValue])
        let homes = plan.blobHomes.map { ($0.key, $0.value[0]) }
        let present = try ThreadBridge.wait {
            try await withThrowingTaskGroup(of: (Digest, Bool).self) { group in
                var found = Set<Digest>()
                var pending = homes[...]
                func next(_ group: inout ThrowingTaskGroup<(Digest, Bool), Error>) {
                    guard let (digest, home) = pending.popFirst() else { return }
                    group.addTask { (digest, try await client.blobExists(digest, in: home)) }
                }
                for _ in 0..<lookups { next(&group) }
                while let (digest, exists) = try await group.next() {
                    if exists { found.insert(digest) }
                    next(&group)
                }
                return found
            }
        }
        // A blob missing where it goes first may already be in another repository that needs it
        // (pushed by an earlier bundle): mounted from there instead of uploaded again.
        let elsewhere = plan.blobHomes.filter { !present.contains($0.key) && $0.value.count > 1 }.map { ($0.key, Array($0.value.dropFirst())) }
        let mountable: [Digest: ImageReference] = try ThreadBridge.wait {
            var found: [Digest: ImageReference] = [:]
            for (digest, others) in elsewhere {
                for repository in others where try await client.blobExists(digest, in: repository) {
                    found[digest] = repository
                    break
                }
            }
            return found
        }
        var inPlace = present.union(mountable.keys)
        context.mountSources = mountable
        if let base = signed.index.base {
            let fromBase = try locateBaseLayers(plan, base: base, present: inPlace, state: state)
            context.mountSources.merge(fromBase) { first, _ in first }
            inPlace.formUnion(fromBase.keys)
        }
        context.present = present
        return (plan, inPlace)
    }
}
