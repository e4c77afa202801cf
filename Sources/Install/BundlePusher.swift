import Bundle
import Foundation
import Integrity
import OCI
import Registry
import System
import TarStream
import Transfer

/// Options of a push.
public struct PushOptions: Sendable {
    /// Blob uploads in flight at once.
    public var concurrency = 4
    /// Bytes per piece handed from the archive reader to an upload: a blob up to this size goes
    /// up in one `PUT` from memory; a larger one as one streamed `PATCH`, with at most
    /// `BundleArchiveSource.piecesQueued` pieces waiting per upload.
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

    /// Where default state directories live.
    public static let stateRoot = "/var/lib/airgap-install"

    /// `/var/lib/airgap-install/NAME-VERSION`, always one directory inside that root: a name or
    /// version that could lead elsewhere (`/`, `..`, a leading `-` or `.`) is refused, whoever signed it.
    public static func defaultStateDirectory(name: String, version: String) throws(InstallError) -> String {
        let leaf = "\(name)-\(version)"
        if let problem = BundleNamePolicy.subdomainProblem(name) ?? BundleNamePolicy.versionProblem(version) {
            throw .bundle("bundle \(leaf): no default state directory for it: its name or version \(problem); give --state-dir")
        }
        let path = stateRoot + "/" + leaf
        guard !leaf.contains("/"), leaf != "..", (path as NSString).standardizingPath == path else {
            throw .bundle("bundle \(leaf): its default state directory would not be inside \(stateRoot); give --state-dir")
        }
        return path
    }
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
///
/// On the transfer engine: a `BlobCopy` from a `BundleArchiveSource` (one verifying pass, or
/// random access to a format-2 archive's frames) to a `RegistryDestination`; what is specific to
/// a push — names in the site registry, the state directory, a delta's base, registration — is here.
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
        let verifier = BundleVerifier(keys: keys, requireArchiveSignature: options.requireArchiveSignature)
        var opened: PushState?
        let signed: SignedBundleJSON, plan: RelocationPlan, prepared: PreparedPush, source: BundleArchiveSource<PushEntries>
        let outcome: CopyOutcome
        do {
            signed = try await BlockingWork.run { [options] in
                // FILE.sig must be there before anything is created, when it is required.
                if options.requireArchiveSignature { _ = try verifier.loadDetachedSignature(archive) }
                let signed = try verifier.readSignedIndex(archive)
                return SignedBundleJSON(index: signed.index, bytes: signed.indexBytes)
            }
            plan = try RelocationPlan(index: signed.index, target: target)
            let directory = try options.stateDirectory ?? PushOptions.defaultStateDirectory(name: signed.index.name, version: signed.index.version)
            let state = try await BlockingWork.run { try PushState.open(directory) }
            opened = state
            state.journal.record(
                .pushStarted, ["bundle": "\(signed.index.name)-\(signed.index.version)", "registry": target.registry, "project": target.project])
            counter.setTotal(signed.index.entriesSize)
            prepared = try await prepare(plan, index: signed.index, state: state)
            let toUpload = plan.blobSizes.filter { !prepared.inPlace.contains($0.key) }
                .map { Descriptor(mediaType: "application/octet-stream", digest: $0.key, size: $0.value) }
            var reader = try await archiveSource(archive, verifier: verifier, signed: signed, plan: plan, state: state, upload: toUpload)
            reader.progress = { counter.advance($0) }
            source = reader
            let copy = BlobCopy(
                from: source, to: RegistryDestination(client: client, homes: plan.blobHomes.mapValues { $0[0] }, attempts: options.attempts),
                concurrency: options.concurrency, repairPasses: options.repairPasses)
            outcome = try await copy.run(toUpload) { event in
                if case .repairPass(let pass, let blobs) = event {
                    state.journal.record(.repairPass, ["pass": String(pass), "blobs": String(blobs)])
                }
            }
        } catch {
            opened?.journal.record(.pushFailed, ["reason": "\(error)"])
            opened?.removeIncoming()
            if let bundleError = error as? BundleError {
                throw bundleError.kind == .verification
                    ? InstallError.verification("\(bundleError.message); nothing was registered in \(target.registry)")
                    : InstallError.io(bundleError.message)
            }
            throw error
        }
        guard let state = opened, let (verified, kept) = source.firstPass.value else {
            throw InstallError.bundle("\(archive): the push never got past bundle.json")
        }
        if !outcome.failed.isEmpty {
            state.removeIncoming()
            let list = outcome.failed.sorted { $0.key.description < $1.key.description }.prefix(5).map { "\($0.value)" }
            state.journal.record(.pushFailed, ["reason": "\(outcome.failed.count) blob uploads failed"])
            throw InstallError.registry(
                "\(outcome.failed.count) blob upload(s) failed; no image was registered, and a rerun uploads only what is missing:\n  "
                    + list.joined(separator: "\n  "))
        }
        let registration = ImageRegistration(
            client: client, plan: plan, manifestBytes: kept.manifestBytes, concurrency: options.lookupConcurrency,
            journal: state.journal, mountSources: prepared.mountSources)
        let registered = try await registration.run()
        let relocation = Self.relocationMap(plan, index: verified.index, target: target)
        let relocationPath = state.directory + "/relocation.json"
        try await BlockingWork.run {
            try state.installIncoming(files: kept.stagedFiles, indexBytes: signed.bytes)
            try StateFiles.writeJSON(relocation, to: relocationPath)
        }
        let skipped = prepared.present.map { plan.blobSizes[$0] ?? 0 }
        state.journal.record(.pushFinished, ["images": String(plan.images.count), "uploaded": String(outcome.copied.count)])
        return PushReport(
            bundle: verified.index.name, version: verified.index.version, registry: target.registry, project: target.project,
            projectOutcome: prepared.projectOutcome, archiveSignature: verified.archiveSignature, images: plan.images.count,
            blobsUploaded: outcome.copied.count, bytesUploaded: outcome.copied.values.reduce(0, +), blobsSkipped: skipped.count,
            bytesSkipped: skipped.reduce(0, +), blobsMounted: registered.blobsMounted, manifestsPushed: registered.manifestsPushed,
            manifestsPresent: registered.manifestsPresent, tagsPushed: registered.tagsPushed, tagsUnchanged: registered.tagsUnchanged,
            seconds: Date().timeIntervalSince(started), stateDirectory: state.directory, relocation: relocationPath)
    }

    /// The archive as the copy's source. A rerun of a format-2 bundle that finds less than half
    /// of its bytes missing from the registry reads only what it needs by random access — the
    /// missing blobs, every manifest, the charts, files and deploy entries — each checked against
    /// the signed bundle.json as it is read (`BundleArchive`), instead of the whole archive
    /// (format 1, or most of it to be uploaded: one pass front to back is faster then).
    private func archiveSource(
        _ archive: String, verifier: BundleVerifier, signed: SignedBundleJSON, plan: RelocationPlan, state: PushState, upload: [Descriptor]
    ) async throws -> BundleArchiveSource<PushEntries> {
        var reading = BundleArchiveSource<PushEntries>.Reading.stream
        if !options.fullPass, !options.requireArchiveSignature {
            let keys = self.keys
            let frames = try await BlockingWork.run { () throws -> BundleArchive? in
                do { return try BundleArchive(path: archive, keys: keys) } catch let error as BundleError where error.kind == .usage { return nil }
            }
            let bytes = upload.reduce(Int64(0)) { $0 + $1.size }
            if let frames, bytes * 2 < frames.index.entriesSize {
                state.journal.record(.randomAccess, ["bytes": String(bytes)])
                reading = .randomAccess(frames)
            }
        }
        var source = BundleArchiveSource(
            path: archive, verifier: verifier, indexBytes: signed.bytes, reading: reading,
            keeper: PushEntries(manifests: Set(plan.manifests.keys), incoming: state.incoming))
        source.pieceSize = options.chunkSize
        return source
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
        let signed = try? await BlockingWork.run { () throws -> SignedBundleJSON? in
            let signed = try verifier.readSignedIndex(archive)
            return signed.signatureVerified ? SignedBundleJSON(index: signed.index, bytes: signed.indexBytes) : nil
        }
        guard let (index, indexBytes) = (signed ?? nil).map({ ($0.index, $0.bytes) }), let plan = try? RelocationPlan(index: index, target: target)
        else { return nil }
        guard let state = try? options.stateDirectory ?? PushOptions.defaultStateDirectory(name: index.name, version: index.version) else {
            return nil
        }
        let relocation = Self.relocationMap(plan, index: index, target: target)
        let check = CompletedPush(
            client: client, plan: plan, index: index, indexBytes: indexBytes, relocation: relocation, stateDirectory: state,
            concurrency: options.lookupConcurrency)
        let journal = FileManager.default.fileExists(atPath: state) ? try? PushJournal(path: state + "/journal.jsonl") : nil
        if let reason = await check.missing() {
            journal?.record(.fullPass, ["reason": reason])
            return nil
        }
        let projectOutcome = try await client.ensureHarborProject(target.project, apiBase: target.harborAPI, credential: target.credential)
        let manifests = plan.images.reduce(0) { $0 + $1.manifests.count }
        let tags = plan.images.filter { $0.target.tag != nil }.count
        journal?.record(.alreadyPushed, ["bundle": "\(index.name)-\(index.version)", "images": String(plan.images.count)])
        return PushReport(
            bundle: index.name, version: index.version, registry: target.registry, project: target.project, projectOutcome: projectOutcome,
            archiveSignature: nil, images: plan.images.count, blobsUploaded: 0, bytesUploaded: 0, blobsSkipped: plan.blobHomes.count,
            bytesSkipped: plan.blobSizes.values.reduce(0, +), blobsMounted: 0, manifestsPushed: 0, manifestsPresent: manifests, tagsPushed: 0,
            tagsUnchanged: tags, seconds: Date().timeIntervalSince(started), stateDirectory: state, relocation: state + "/relocation.json",
            alreadyPushed: true)
    }
}

/// bundle.json as read and trusted (its signature verified) before anything else.
struct SignedBundleJSON: Sendable {
    var index: BundleIndex
    var bytes: [UInt8]
}
