import Bundle
import Foundation
import Integrity
import OCI
import Registry

/// Whether an earlier push of this very bundle is complete, found without reading the archive
/// past its signed `bundle.json` (docs/adr/0012-rerun-without-reading-the-archive.md).
///
/// Complete means: the state directory holds the same `bundle.json` bytes (so that push got to
/// its end), the `relocation.json` this push would write, and every chart, file and deploy entry
/// with the size and SHA-256 bundle.json records; and the registry answers every manifest of
/// every image at its digest and every tag with the image's digest. A registry stores content
/// only under the digest it verified, and refuses a manifest whose blobs it lacks, so those
/// answers vouch for every blob the signed bundle.json names.
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
        do {
            return try await firstMismatch()
        } catch {
            return "the registry could not be asked: \(error)"
        }
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

    /// Every manifest at its digest, every tag at its image's digest (`HEAD`, `concurrency` at once).
    private func firstMismatch() async throws -> String? {
        let lookups = plan.images.flatMap { image in
            image.manifests.map { (image.target.repositoryOnly, $0.digest.description, $0.digest) }
                + (image.target.tag.map { [(image.target.repositoryOnly, $0, image.digest)] } ?? [])
        }
        let client = self.client
        return try await withThrowingTaskGroup(of: String?.self) { group in
            var pending = lookups[...]
            func next(_ group: inout ThrowingTaskGroup<String?, Error>) {
                guard let (repository, reference, digest) = pending.popFirst() else { return }
                group.addTask {
                    let found = try await client.manifestDigest(reference, in: repository)
                    return found == digest ? nil : "\(repository.name):\(reference) resolves to \(found?.description ?? "nothing"), not \(digest)"
                }
            }
            for _ in 0..<max(1, concurrency) { next(&group) }
            while let result = try await group.next() {
                if let result {
                    group.cancelAll()
                    return result
                }
                next(&group)
            }
            return nil
        }
    }
}
