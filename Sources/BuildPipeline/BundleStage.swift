import Bundle
import BundlePacking
import ChartResolution
import Foundation
import OCI
import Registry
import System
import Transfer

/// The stage step: a directory laid out as an unpacked bundle, made of hard links into the cache
/// (a copy only where a link cannot be made), so staging costs no disk and no reading. The images
/// go by the transfer engine: a `BlobCopy` from the cache (`LayoutSource`) to the stage's
/// `images/` (`BundleStageDestination`, which links).
/// `images/` is an OCI layout of exactly this bundle's images; `charts/` their archives;
/// `components.json` the install order.
enum BundleStage {
    /// Returns the layers left out because a delta's base carried them (`leavingOut`).
    static func make(
        _ resolution: Resolution, fetch: ImageFetch, cache: OCILayout, at directory: String, leavingOut baseLayers: Set<Digest>
    ) async throws -> Set<Digest> {
        var leftOut = Set<Digest>()
        let images = directory + "/images"
        do {
            try PosixFile.makeDirectories(images + "/blobs/sha256")
            try PosixFile.makeDirectories(directory + "/charts")
        } catch { throw BuildError.io("cannot create the stage \(directory): \(error)") }
        let cacheIndex: ImageIndex
        do { cacheIndex = try cache.readIndex() } catch { throw BuildError.io("cannot read the cache's index.json: \(error)") }
        var entries: [Descriptor] = []
        var linked = Set<Digest>()
        var blobs: [Descriptor] = []
        for reference in resolution.uniqueImages.map(\.description) {
            guard let pulled = fetch.images[reference],
                let entry = cacheIndex.manifests.last(where: {
                    $0.digest == pulled.digest && $0.annotations?[OCILayout.Annotation.refName] == reference
                })
            else { throw BuildError.source("image \(reference) is not in the cache after fetching it") }
            entries.append(entry)
            try walkImage(entry, cache: cache, blobs: &blobs, linked: &linked, baseLayers: baseLayers, leftOut: &leftOut)
        }
        let copied = try await BlobCopy(from: LayoutSource(layout: cache), to: BundleStageDestination(root: images)).run(blobs)
        if let failed = copied.failed.sorted(by: { $0.key.description < $1.key.description }).first {
            throw BuildError.io("\(failed.value)")
        }
        let index = ImageIndex(mediaType: MediaType.ociIndex, manifests: entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            try PosixFile.writeAtomically(Array(try encoder.encode(index)), to: images + "/index.json")
            try PosixFile.writeAtomically(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: images + "/oci-layout")
            // Every blob here is a link to a verified cache blob: pack may take their digests
            // from their names (docs/adr/0010-pack-reads-once.md) instead of hashing them first.
            try OCILayout.markLinkedLayout(images, linkedFrom: cache.root)
        } catch { throw BuildError.io("cannot write the stage's image index: \(error)") }

        var components: [BundleIndex.Component] = []
        var chartFiles: [String: String] = [:]
        for resolved in resolution.components {
            let name = "charts/\(resolved.chart.name)-\(resolved.chart.version).tgz"
            if let other = chartFiles[name], other != resolved.chart.sha256 {
                throw BuildError.source("two different charts would both be \(name) in the bundle (component \"\(resolved.component.name)\")")
            }
            if chartFiles[name] == nil { try link(resolved.chart.archive, to: directory + "/" + name) }
            chartFiles[name] = resolved.chart.sha256
            var values: [String] = []
            for (position, file) in resolved.component.values.enumerated() {
                let path = BundlePaths.values(component: resolved.component.name, position: position, file: (file as NSString).lastPathComponent)
                do { try PosixFile.makeDirectories(directory + "/" + (path as NSString).deletingLastPathComponent) } catch {
                    throw BuildError.io("cannot create a directory for \(path): \(error)")
                }
                try link(file, to: directory + "/" + path)
                values.append(path)
            }
            components.append(
                BundleIndex.Component(
                    name: resolved.component.name, namespace: resolved.component.namespace, releaseName: resolved.component.releaseName,
                    chart: name, optional: resolved.component.optional, values: values,
                    excludedImages: resolved.component.excludedImages.isEmpty ? nil : resolved.component.excludedImages))
        }
        do {
            try PosixFile.makeDirectories(directory + "/" + BundlePaths.deploy)
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            try PosixFile.writeAtomically(
                Array(try encoder.encode(resolution.manifest.siteValues)) + [0x0a], to: directory + "/" + BundlePaths.siteValues)
        } catch { throw BuildError.io("cannot write \(BundlePaths.siteValues): \(error)") }
        for file in resolution.files {
            let destination = directory + "/files/" + file.name
            do { try PosixFile.makeDirectories((destination as NSString).deletingLastPathComponent) } catch {
                throw BuildError.io("cannot create a directory for \(destination): \(error)")
            }
            try link(file.path, to: destination)
        }
        let componentsPath = directory + "/" + BundlePaths.stagedComponents
        do { try PosixFile.writeAtomically(Array(try encoder.encode(components)) + [0x0a], to: componentsPath) } catch {
            throw BuildError.io("cannot write components.json: \(error)")
        }
        return leftOut
    }

    /// Lists an image's manifests and blobs in the cache (children of an index too), each once.
    private static func walkImage(
        _ descriptor: Descriptor, cache: OCILayout, blobs: inout [Descriptor], linked: inout Set<Digest>, baseLayers: Set<Digest>,
        leftOut: inout Set<Digest>
    ) throws {
        guard linked.insert(descriptor.digest).inserted else { return }
        blobs.append(descriptor)
        guard MediaType.isIndex(descriptor.mediaType) || MediaType.isImageManifest(descriptor.mediaType) else { return }
        let document: ManifestDocument
        do { document = try ManifestDocument(bytes: try cache.readBlob(descriptor.digest), declaredType: descriptor.mediaType) } catch {
            throw BuildError.io("cannot read \(descriptor.digest) from the cache: \(error)")
        }
        switch document.content {
        case .index(let index):
            for child in index.manifests {
                try walkImage(child, cache: cache, blobs: &blobs, linked: &linked, baseLayers: baseLayers, leftOut: &leftOut)
            }
        case .image(let manifest):
            for blob in manifest.blobs where linked.insert(blob.digest).inserted {
                // Layers (not configs) a delta's base carried stay out of the bundle.
                if blob.digest != manifest.config.digest, baseLayers.contains(blob.digest) {
                    leftOut.insert(blob.digest)
                    continue
                }
                blobs.append(blob)
            }
        }
    }

    /// A hard link, or a copy when the two paths are on different file systems.
    static func link(_ source: String, to destination: String) throws {
        do { try StageLink.link(source, to: destination) } catch { throw BuildError.io(error.message) }
    }
}
