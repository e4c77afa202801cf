import Bundle
import Foundation
import Integrity
import System
import Transfer

/// What deploy needs of a bundle, written into its state directory before any registry exists:
/// the verified `bundle.json`, its charts, files and `deploy/` entries, and `relocation.json` for
/// the site registry and project the images will be pushed to — what push writes, without the
/// images. `serve --registry --project` does it at its start, so that on an empty site components
/// 1–7 deploy with images named for the site registry (pulled through the bundle server), and the
/// push into the freshly installed Harbor writes the same files again.
public enum DeployStaging {
    /// Reads the entries by random access from `archive` (format 2), each checked against the
    /// signed `bundle.json` as it is read, and moves them into `stateDirectory` only once all are
    /// read. The caller holds the state directory's lock.
    public static func stage(_ archive: BundleArchive, indexBytes: [UInt8], keys: [VerifyingKey], target: PushTarget, stateDirectory: String)
        async throws -> RelocationMap
    {
        let plan = try RelocationPlan(index: archive.index, target: target)
        let state = try await BlockingWork.run { try PushState.open(stateDirectory) }
        let source = BundleArchiveSource(
            path: archive.path, verifier: BundleVerifier(keys: keys), indexBytes: indexBytes, reading: .randomAccess(archive),
            keeper: PushEntries(manifests: [], incoming: state.incoming))
        do {
            try await source.readBlobs([], pass: 0, concurrency: 1) { _, _ in }
        } catch {
            state.removeIncoming()
            throw error
        }
        guard let kept = source.firstPass.value?.kept else { throw InstallError.bundle("\(archive.path): nothing was read to stage") }
        let relocation = BundlePusher.relocationMap(plan, index: archive.index, target: target)
        try await BlockingWork.run {
            try state.installIncoming(files: kept.stagedFiles, indexBytes: indexBytes)
            try StateFiles.writeJSON(relocation, to: state.directory + "/relocation.json")
        }
        state.journal.record(.staged, ["registry": target.registry, "project": target.project, "files": String(kept.stagedFiles.count)])
        return relocation
    }
}
