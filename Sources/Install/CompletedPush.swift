import Bundle
import Foundation
import Integrity
import OCI
import Registry
import System

/// Whether an earlier push of this very bundle is complete, found without reading the archive
/// past its signed `bundle.json` (docs/adr/0012-rerun-without-reading-the-archive.md): the state
/// directory holds the same `bundle.json`, this push's `relocation.json` and every chart, file and
/// deploy entry as signed; the registry has every manifest, tag and blob where it belongs.
/// Anything missing sends the push through its normal pass.
struct CompletedPush: Sendable {
    let client: RegistryClient
    let plan: RelocationPlan
    let index: BundleIndex
    let indexBytes: [UInt8]
    let relocation: RelocationMap
    let stateDirectory: String
    let concurrency: Int

    /// Nil when the earlier push is complete; otherwise why the full pass is needed.
    func missing() async -> String? {
        if let reason = missingState() { return reason }
        do { return try await firstMismatch() } catch { return "the registry could not be asked: \(error)" }
    }

    private func missingState() -> String? {
        // Read only a file of exactly the signed size: the state directory is not trusted to be small.
        guard PosixFile.regularFileSize(stateDirectory + "/bundle.json") == Int64(indexBytes.count),
            let earlier = try? StateFiles.read(stateDirectory + "/bundle.json", limit: indexBytes.count), earlier == indexBytes
        else {
            return "\(stateDirectory) holds no complete push of this bundle.json"
        }
        guard let bytes = try? StateFiles.read(stateDirectory + "/relocation.json") ?? nil, case let data = Data(bytes),
            (try? JSONDecoder().decode(RelocationMap.self, from: data)) == relocation
        else {
            return "\(stateDirectory)/relocation.json is missing or names other targets"
        }
        let kept = index.entries.filter {
            $0.path.hasPrefix(BundlePaths.charts) || $0.path.hasPrefix(BundlePaths.files) || $0.path.hasPrefix(BundlePaths.deploy)
        }
        for entry in kept {
            let path = stateDirectory + "/" + entry.path
            guard let (hex, size) = try? SHA256Hasher.hashFile(atPath: path), hex == entry.sha256, size == entry.size else {
                return "\(path) is missing or differs from bundle.json"
            }
        }
        return nil
    }

    private struct Mismatch: Error { let reason: String }

    /// `HEAD` of every manifest, tag and blob where it belongs, `concurrency` at once. Blobs too:
    /// one can go missing after its manifest was accepted (a restored disk, a bad garbage collection).
    private func firstMismatch() async throws -> String? {
        let client = self.client
        typealias Lookup = @Sendable () async throws -> String?
        func manifest(_ repository: ImageReference, _ reference: String, _ digest: Digest) -> Lookup {
            {
                let found = try await client.manifestDigest(reference, in: repository)
                return found == digest ? nil : "\(repository.name):\(reference) resolves to \(found?.description ?? "nothing"), not \(digest)"
            }
        }
        let manifests = plan.images.flatMap { image in
            image.manifests.map { manifest(image.target.repositoryOnly, $0.digest.description, $0.digest) }
                + (image.target.tag.map { [manifest(image.target.repositoryOnly, $0, image.digest)] } ?? [])
        }
        let blobs = plan.blobHomes.sorted { $0.key.description < $1.key.description }.flatMap { digest, repositories in
            repositories.map { repository -> Lookup in
                { [size = plan.blobSizes[digest]] in
                    try await client.blobExists(digest, size: size, in: repository) ? nil : "\(repository.name) lacks blob \(digest)"
                }
            }
        }
        do {
            _ = try await boundedRun(manifests + blobs, limit: concurrency) { lookup in
                if let reason = try await lookup() { throw Mismatch(reason: reason) }
            }
            return nil
        } catch let mismatch as Mismatch { return mismatch.reason }
    }
}
