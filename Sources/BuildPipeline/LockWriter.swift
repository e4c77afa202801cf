import ChartResolution
import Foundation
import ImagePull
import OCI
import Registry

/// Makes the lock from what was resolved and fetched.
enum LockWriter {
    static func lock(
        _ resolution: Resolution, fetch: ImageFetch, files: [FetchedFile], cache: OCILayout, platforms: [Platform], previous: BundleLock?
    ) throws -> BundleLock {
        let components = try resolution.components.map { resolved in
            BundleLock.Component(
                name: resolved.component.name, inputs: resolved.inputs,
                chart: BundleLock.Chart(
                    name: resolved.chart.name, version: resolved.chart.version, sha256: resolved.chart.sha256, source: resolved.chart.source),
                images: try resolved.images.map { reference in
                    guard let pulled = fetch.images[reference.description] else {
                        throw BuildError.source("image \(reference) was not fetched")
                    }
                    return BundleLock.Image(
                        reference: reference.description, source: pulled.sourceIndexDigest ?? pulled.digest, stored: pulled.digest,
                        platforms: try platformDigests(pulled, cache: cache))
                })
        }
        // A lock rewritten keeps its creation time, so rebuilding it changes nothing.
        return BundleLock(
            name: resolution.manifest.name, version: resolution.manifest.version, platforms: platforms.map(\.description),
            created: previous?.created ?? Int64(Date().timeIntervalSince1970),
            components: components, files: files.isEmpty ? nil : files.map { BundleLock.File(name: $0.name, sha256: $0.sha256) })
    }

    /// Platform → manifest digest of a stored index (nil for a single manifest).
    static func platformDigests(_ image: PulledImage, cache: OCILayout) throws -> [String: Digest]? {
        guard MediaType.isIndex(image.mediaType) else { return nil }
        let document: ManifestDocument
        do { document = try ManifestDocument(bytes: try cache.readBlob(image.digest), declaredType: image.mediaType) } catch {
            throw BuildError.io("cannot read \(image.digest) from the cache: \(error)")
        }
        guard case .index(let index) = document.content else { return nil }
        return Dictionary(index.manifests.compactMap { entry in entry.platform.map { ($0.description, entry.digest) } }) { _, last in last }
    }
}
