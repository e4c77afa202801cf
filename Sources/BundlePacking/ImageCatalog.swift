import Bundle
import Foundation
import OCI

/// The images of a staged `images/` OCI layout, as `bundle.json` lists them. Checks that every
/// manifest and blob the layout's index names is present.
enum ImageCatalog {
    /// `baseBlobs`: layers a delta's base carried, which may be absent from the layout.
    static func images(in staged: StagedDirectory, baseBlobs: Set<Digest> = []) throws -> [BundleIndex.Image] {
        guard let indexFile = staged.file("images/index.json") else {
            if staged.files.contains(where: { $0.path.hasPrefix(BundlePaths.images) }) {
                throw BundleError.usage("\(staged.root)/images: not an OCI image layout (no index.json)")
            }
            return []
        }
        let index: ImageIndex
        do { index = try JSONDecoder().decode(ImageIndex.self, from: Data(contentsOf: URL(fileURLWithPath: indexFile.absolutePath))) } catch {
            throw BundleError.usage("\(indexFile.absolutePath): not a valid OCI index: \(error.humanDescription)")
        }
        guard staged.file("images/oci-layout") != nil else { throw BundleError.usage("\(staged.root)/images: the oci-layout file is missing") }
        return try index.manifests.map { entry in
            let name = entry.annotations?[OCILayout.Annotation.refName] ?? entry.digest.description
            var contents = Contents()
            try walk(entry, staged: staged, image: name, into: &contents, depth: 0, baseBlobs: baseBlobs)
            var platforms = contents.platforms
            if let kept = entry.annotations?[OCILayout.Annotation.platforms] { platforms = kept.split(separator: ",").map(String.init) }
            let size = (contents.manifests + contents.blobs).reduce(Int64(0)) { $0 + $1.size }
            return BundleIndex.Image(
                reference: name, digest: entry.digest, mediaType: entry.mediaType, platforms: platforms, size: size,
                sourceReference: entry.annotations?[OCILayout.Annotation.sourceReference],
                manifests: contents.manifests, blobs: contents.blobs)
        }
    }

    /// What one image is made of, gathered while walking down from its top manifest.
    struct Contents {
        /// Children of an index before the index itself: the order a registry accepts them in.
        var manifests: [BundleIndex.Content] = []
        var blobs: [BundleIndex.Content] = []
        var platforms: [String] = []
        var seen = Set<Digest>()
    }

    /// Walks a manifest and everything below it; fails on a missing or mis-sized blob.
    private static func walk(
        _ descriptor: Descriptor, staged: StagedDirectory, image: String, into contents: inout Contents, depth: Int, baseBlobs: Set<Digest>
    ) throws {
        guard depth < 8 else { throw BundleError.usage("image \(image): indexes nest more than 8 deep") }
        let path = BundlePaths.blob(descriptor.digest)
        guard let file = staged.file(path) else { throw BundleError.usage("image \(image): \(path) is missing from the layout") }
        guard file.size == descriptor.size else {
            throw BundleError.usage("image \(image): \(path) is \(file.size) bytes, but its descriptor says \(descriptor.size)")
        }
        guard contents.seen.insert(descriptor.digest).inserted else { return }
        let content = BundleIndex.Content(digest: descriptor.digest, mediaType: descriptor.mediaType, size: descriptor.size)
        guard MediaType.isIndex(descriptor.mediaType) || MediaType.isImageManifest(descriptor.mediaType) else {
            contents.blobs.append(content)
            return
        }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file.absolutePath)))
        let document: ManifestDocument
        do { document = try ManifestDocument(bytes: bytes, declaredType: descriptor.mediaType) } catch {
            throw BundleError.usage("image \(image): \(path): \(error)")
        }
        switch document.content {
        case .index(let index):
            for child in index.manifests {
                // A filtered index lists only what is kept; a pinned one lists every platform (all present).
                let before = contents.platforms
                try walk(child, staged: staged, image: image, into: &contents, depth: depth + 1, baseBlobs: baseBlobs)
                contents.platforms = before
                if child.annotations?["vnd.docker.reference.type"] == nil, let platform = child.platform {
                    contents.platforms.append(platform.description)
                }
            }
        case .image(let manifest):
            for blob in manifest.blobs {
                let blobPath = BundlePaths.blob(blob.digest)
                let inBase = baseBlobs.contains(blob.digest) && staged.file(blobPath) == nil
                guard inBase || staged.file(blobPath)?.size == blob.size else {
                    throw BundleError.usage("image \(image): blob \(blob.digest) is missing from the layout or has the wrong size")
                }
                if contents.seen.insert(blob.digest).inserted {
                    contents.blobs.append(BundleIndex.Content(digest: blob.digest, mediaType: blob.mediaType, size: blob.size))
                }
            }
            // The platform of a single-platform image comes from its config. Artifacts (charts,
            // signatures) carry other config types and have no platform.
            let imageConfigTypes = [MediaType.ociConfig, MediaType.dockerConfig]
            if contents.platforms.isEmpty, depth == 0, imageConfigTypes.contains(manifest.config.mediaType),
                let configFile = staged.file(BundlePaths.blob(manifest.config.digest))
            {
                let config: ImageConfiguration
                do {
                    config = try JSONDecoder().decode(ImageConfiguration.self, from: Data(contentsOf: URL(fileURLWithPath: configFile.absolutePath)))
                } catch {
                    throw BundleError.usage(
                        "image \(image): its config \(configFile.path) is not a valid image configuration: \(error.humanDescription)")
                }
                if let platform = config.platform { contents.platforms.append(platform.description) }
            }
        }
        contents.manifests.append(content)
    }
}
