import Bundle
import OCI

/// Where every image of a bundle goes in the site registry, and which blobs and manifests each
/// repository needs, from the signed `bundle.json` alone (before the archive is read).
///
/// `docker.io/bitnami/keycloak:22.0.5` → `HOST/PROJECT/bitnami/keycloak:22.0.5`; when two source
/// registries hold the same path (`quay.io/x/y`, `docker.io/x/y`), each keeps its registry as a
/// first component (`HOST/PROJECT/quay.io/x/y`). The rule depends only on the bundle.
public struct RelocationPlan: Sendable {
    public struct Image: Sendable {
        /// The reference as the bundle lists it (the name charts use).
        public var source: ImageReference
        /// The repository in the site registry, with the source's tag (nil for digest-only references).
        public var target: ImageReference
        public var digest: Digest
        /// Children of an index first, the image's own manifest last.
        public var manifests: [BundleIndex.Content]
    }

    public var images: [Image] = []
    /// For each blob: the repositories that need it, the first being where it is uploaded.
    public var blobHomes: [Digest: [ImageReference]] = [:]
    /// Every manifest digest with its media type and size (bytes are taken from the archive).
    public var manifests: [Digest: BundleIndex.Content] = [:]
    public var blobSizes: [Digest: Int64] = [:]
    /// A delta's layers that are not in the archive: its base (pushed earlier) carried them.
    public var expectedAtSite: Set<Digest> = []

    /// The most bytes one manifest may have (the distribution spec's limit).
    public static let manifestLimit: Int64 = 4 << 20

    public init(index: BundleIndex, target: PushTarget) throws(InstallError) {
        let entries = Dictionary(index.entries.map { ($0.path, $0.size) }, uniquingKeysWith: { first, _ in first })
        var sources: [(BundleIndex.Image, ImageReference)] = []
        for image in index.images {
            let source: ImageReference
            do { source = try ImageReference(parsing: image.reference) } catch {
                throw .bundle("image \(image.reference) in bundle.json is not a valid reference: \(error.reason)")
            }
            guard image.manifests != nil, image.blobs != nil else {
                throw .bundle(
                    "image \(image.reference): bundle.json does not list its manifests and blobs (a bundle packed before airgap-bundle 0.2); pack it again with a current airgap-bundle"
                )
            }
            sources.append((image, source))
        }
        // Repository paths claimed by more than one source registry keep their registry name.
        var registriesByPath: [String: Set<String>] = [:]
        for (_, source) in sources { registriesByPath[source.repository, default: []].insert(source.registry) }
        for (image, source) in sources {
            let clash = (registriesByPath[source.repository]?.count ?? 0) > 1
            let path = clash ? Self.pathComponent(forRegistry: source.registry) + "/" + source.repository : source.repository
            let repository = target.project + "/" + path
            // Parsing checks the name; the tag is the source's own (none for digest-only references).
            do { _ = try ImageReference(parsing: "\(target.registry)/\(repository)") } catch {
                throw .bundle("image \(image.reference) cannot be named \(target.registry)/\(repository) in the site registry: \(error.reason)")
            }
            let targetReference = ImageReference(registry: target.registry, repository: repository, tag: source.tag, digest: nil)
            for content in (image.manifests ?? []) + (image.blobs ?? []) {
                let path = BundlePaths.blob(content.digest)
                let isBlob = image.blobs?.contains(content) ?? false
                if entries[path] == nil, isBlob, index.base != nil, content.size >= 0 {
                    expectedAtSite.insert(content.digest)
                    continue
                }
                guard let size = entries[path], size == content.size, content.size >= 0 else {
                    throw .bundle("image \(image.reference): \(content.digest) is not in the archive with size \(content.size)")
                }
            }
            for manifest in image.manifests ?? [] {
                guard manifest.size <= Self.manifestLimit else {
                    throw .bundle("image \(image.reference): manifest \(manifest.digest) is \(manifest.size) bytes, more than \(Self.manifestLimit)")
                }
                manifests[manifest.digest] = manifest
            }
            guard image.manifests?.last?.digest == image.digest else {
                throw .bundle("image \(image.reference): bundle.json's manifests do not end with the image's own digest \(image.digest)")
            }
            for blob in image.blobs ?? [] where !(blobHomes[blob.digest]?.contains(targetReference.repositoryOnly) ?? false) {
                blobHomes[blob.digest, default: []].append(targetReference.repositoryOnly)
                blobSizes[blob.digest] = blob.size
            }
            images.append(Image(source: source, target: targetReference, digest: image.digest, manifests: image.manifests ?? []))
        }
    }

    /// A registry host as a repository path component: lowercase, `:` (a port) as `-`.
    public static func pathComponent(forRegistry registry: String) -> String {
        registry.lowercased().replacingOccurrences(of: ":", with: "-").replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
    }
}

extension ImageReference {
    /// The same repository without tag or digest (blob operations name only the repository).
    var repositoryOnly: ImageReference { ImageReference(registry: registry, repository: repository, tag: nil, digest: nil) }
}
