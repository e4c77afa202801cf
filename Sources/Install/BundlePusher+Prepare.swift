import Bundle
import Foundation
import Integrity
import OCI
import Registry
import System
import Transfer

/// What a push learns once bundle.json is trusted, before any byte of the archive is sent.
struct PreparedPush: Sendable {
    var projectOutcome: HarborProjectOutcome
    /// Blobs the registry holds already where they go.
    var present: Set<Digest>
    /// Those, plus blobs to be mounted from elsewhere in the registry instead of uploaded.
    var inPlace: Set<Digest>
    /// Where to mount each blob from that is in the registry in another repository.
    var mountSources: [Digest: ImageReference]
}

extension BundlePusher {
    /// The project, and which blobs the registry has: where they go, in another repository that
    /// needs them, or (a delta) where the base put them.
    func prepare(_ plan: RelocationPlan, index: BundleIndex, state: PushState) async throws -> PreparedPush {
        let projectOutcome = try await client.ensureHarborProject(target.project, apiBase: target.harborAPI, credential: target.credential)
        state.journal.record(.project, ["project": target.project, "outcome": projectOutcome.rawValue])
        let blobs = plan.blobSizes.map { Descriptor(mediaType: "application/octet-stream", digest: $0.key, size: $0.value) }
        let registry = RegistryDestination(client: client, homes: plan.blobHomes.mapValues { $0[0] })
        let present = try await registry.blobsPresent(blobs, lookups: options.lookupConcurrency)
        // One pushed by an earlier bundle into another repository that needs it is mounted, not uploaded.
        var mountSources: [Digest: ImageReference] = [:]
        for (digest, homes) in plan.blobHomes where !present.contains(digest) && homes.count > 1 {
            mountSources[digest] = try await firstHolder(of: digest, plan: plan, among: homes.dropFirst())
        }
        var inPlace = present.union(mountSources.keys)
        if let base = index.base {
            let fromBase = try await locateBaseLayers(plan, base: base, present: inPlace, state: state.directory)
            mountSources.merge(fromBase) { first, _ in first }
            inPlace.formUnion(fromBase.keys)
        }
        return PreparedPush(projectOutcome: projectOutcome, present: present, inPlace: inPlace, mountSources: mountSources)
    }

    /// The first of `repositories` that holds `digest` (`HEAD`, one at a time), or nil.
    private func firstHolder(of digest: Digest, plan: RelocationPlan, among repositories: some Sequence<ImageReference>) async throws
        -> ImageReference?
    {
        for repository in repositories where try await client.blobExists(digest, size: plan.blobSizes[digest], in: repository) {
            return repository
        }
        return nil
    }

    /// Where to mount each layer a delta leaves out from (a repository that needs it, or one of the
    /// base's); fails, naming what is missing, before anything is uploaded.
    func locateBaseLayers(
        _ plan: RelocationPlan, base: BundleIndex.Base, present: Set<Digest>, state: String
    ) async throws -> [Digest: ImageReference] {
        let baseState = options.baseStateDirectory ?? ((state as NSString).deletingLastPathComponent + "/\(base.name)-\(base.version)")
        let candidates = try await BlockingWork.run { try Self.baseLayerHomes(base, baseState: baseState) }
        let everyRepository = plan.images.map(\.target.repositoryOnly)
        let missing = plan.expectedAtSite.subtracting(present).sorted { $0.description < $1.description }
        var found: [Digest: ImageReference] = [:]
        for digest in missing { found[digest] = try await firstHolder(of: digest, plan: plan, among: (candidates[digest] ?? []) + everyRepository) }
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

    /// Where the base's push put each layer, from its state directory (whose bundle.json must be the
    /// exact base named); empty without one.
    private static func baseLayerHomes(_ base: BundleIndex.Base, baseState: String) throws -> [Digest: [ImageReference]] {
        guard FileManager.default.fileExists(atPath: baseState + "/bundle.json") else { return [:] }
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
        let relocation = try? JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: baseState + "/relocation.json")))
        let targets = Dictionary((relocation?.images ?? []).map { ($0.source, $0.target) }, uniquingKeysWith: { first, _ in first })
        var candidates: [Digest: [ImageReference]] = [:]
        for image in baseIndex?.images ?? [] {
            guard let target = targets[image.reference].flatMap({ try? ImageReference(parsing: $0) }) else { continue }
            for blob in image.blobs ?? [] { candidates[blob.digest, default: []].append(target.repositoryOnly) }
        }
        return candidates
    }
}
