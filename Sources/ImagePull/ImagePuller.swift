import Foundation
import OCI
import Registry
import System
import Transfer

/// Pulls images into an OCI image layout: resolves every manifest first, then fetches every
/// missing blob once (shared layers too) with bounded concurrency, and only then writes the
/// manifests and `index.json` entries, so the layout never points at content it lacks.
///
/// On the transfer engine: the blobs go by one `BlobCopy` from a `RegistrySource` to a
/// `LayoutDestination`; what is specific to a pull — platform selection, locked sources, the
/// layout's `index.json` names — is here.
///
/// Platforms: a tag that names a multi-arch index keeps the requested platforms only (in a new
/// index, its source digest recorded); a reference pinned to a digest keeps exactly what it pins,
/// every platform, so the pin still resolves after the push. See docs/pulling-images.md.
public struct ImagePuller: Sendable {
    public let client: RegistryClient
    public let layout: OCILayout
    public let platforms: [Platform]
    public let concurrency: Int

    public init(client: RegistryClient, layout: OCILayout, platforms: [Platform] = [.linuxAMD64], concurrency: Int = 4) {
        self.client = client
        self.layout = layout
        self.platforms = platforms.isEmpty ? [.linuxAMD64] : platforms
        self.concurrency = max(1, concurrency)
    }

    /// `lockedSources`: for a reference in it, the source manifest or index is fetched by that
    /// digest (a lock file's), not by the tag, and treated exactly as the tag's would be (the same
    /// platforms kept, the same name): a locked build stores what the first one stored, or fails.
    /// `checkSpace` hears how many bytes are about to be fetched (once every manifest is resolved,
    /// before any blob); throwing fails every image with its message (e.g. not enough disk).
    public func pull(
        _ references: [ImageReference], lockedSources: [ImageReference: Digest] = [:],
        checkSpace: @Sendable (Int64) throws -> Void = { _ in }, events: @escaping @Sendable (PullEvent) -> Void = { _ in }
    ) async -> [PullOutcome] {
        var unique: [ImageReference] = []
        for reference in references where !unique.contains(reference) { unique.append(reference) }

        // 1. Resolve manifests (a few at a time).
        let resolved = await boundedMap(unique, limit: concurrency) { reference in
            do { return Result<ResolvedImage, PullFailure>.success(try await resolve(reference, lockedSource: lockedSources[reference])) } catch {
                return .failure(PullFailure(message: "\(error)"))
            }
        }

        // 2. Fetch each missing blob once, biggest first, from the first image that needs it.
        var sources: [Digest: (Descriptor, ImageReference)] = [:]
        var present: Int64 = 0
        var presentDigests = Set<Digest>()
        for case .success(let image) in resolved {
            for blob in image.blobs where sources[blob.digest] == nil && !presentDigests.contains(blob.digest) {
                if layout.hasBlob(blob) {
                    presentDigests.insert(blob.digest)
                    present = DeclaredSizes.sum([present, blob.size]) ?? Int64.max
                    continue
                }
                sources[blob.digest] = (blob, image.reference)
            }
        }
        let work = sources.values.sorted { $0.0.size > $1.0.size }
        func failAll(_ why: String) -> [PullOutcome] {
            unique.map { PullOutcome(reference: $0, result: .failure(PullFailure(message: "\($0): \(why)"))) }
        }
        // Each image's sizes were checked; the sum over all of them is checked too.
        guard let bytesToFetch = DeclaredSizes.sum(work.map(\.0.size)) else {
            return failAll("the registries' manifests declare blob sizes that add up to more than \(Int64.max) bytes; nothing is pulled")
        }
        do { try checkSpace(bytesToFetch) } catch { return failAll("\(error)") }
        events(
            .planned(
                bytesToFetch: bytesToFetch, blobsToFetch: work.count, bytesPresent: present,
                images: resolved.filter { if case .success = $0 { true } else { false } }.count))
        let copy = BlobCopy(
            from: RegistrySource(client: client, origins: sources.mapValues(\.1)), to: LayoutDestination(layout: layout), concurrency: concurrency)
        let failedBlobs: [Digest: String]
        do {
            let copied = try await copy.run(work.map(\.0)) { event in
                if case .transferred(let bytes) = event { events(.transferred(bytes)) }
            }
            failedBlobs = copied.failed.reduce(into: [:]) { failed, blob in
                let failure = sources[blob.key].map { client.blobDownload($0.0, from: $0.1).failure(blob.value) } ?? blob.value
                failed[blob.key] = "\(failure)"
            }
        } catch { return failAll("\(error)") }

        // 3. Store manifests and name the images, in the order asked.
        var outcomes: [PullOutcome] = []
        for (reference, result) in zip(unique, resolved) {
            let outcome: Result<PulledImage, PullFailure>
            switch result {
            case .failure(let failure): outcome = .failure(failure)
            case .success(let image):
                if let failed = image.blobs.lazy.compactMap({ failedBlobs[$0.digest] }).first {
                    outcome = .failure(PullFailure(message: "\(reference): \(failed)"))
                } else {
                    do { outcome = .success(try await BlockingWork.run { try store(image) }) } catch {
                        outcome = .failure(PullFailure(message: "\(reference): \(error)"))
                    }
                }
            }
            outcomes.append(PullOutcome(reference: reference, result: outcome))
        }
        return outcomes
    }

    /// Everything one image needs, known before any blob is fetched.
    struct ResolvedImage: Sendable {
        var reference: ImageReference
        /// The top-level document to store: the source's bytes, or a filtered index.
        var top: StoredManifest
        var children: [ManifestDocument]
        var blobs: [Descriptor]
        var platforms: [Platform]
        var sourceIndexDigest: Digest?
        var singleManifestConfig: Descriptor?
    }

    struct StoredManifest: Sendable {
        var bytes: [UInt8]
        var descriptor: Descriptor
    }

    func resolve(_ reference: ImageReference, lockedSource: Digest? = nil) async throws -> ResolvedImage {
        let top: ManifestDocument
        if let lockedSource {
            do { top = try await client.manifest(in: reference, digest: lockedSource) } catch let error as RegistryError where error.httpStatus == 404
            {
                throw PullFailure(message: "\(reference): the locked digest \(lockedSource) is no longer in \(reference.registry) (\(error))")
            }
        } else {
            top = try await client.manifest(for: reference)
        }
        let image = try await resolveUnchecked(reference, top: top)
        // A manifest is hostile input: its sizes are summed in checked arithmetic before anything else.
        _ = try DeclaredSizes.total(of: image.blobs, image: reference)
        return image
    }

    private func resolveUnchecked(_ reference: ImageReference, top: ManifestDocument) async throws -> ResolvedImage {
        switch top.content {
        case .image(let manifest):
            return ResolvedImage(
                reference: reference, top: StoredManifest(bytes: top.bytes, descriptor: top.descriptor()),
                children: [], blobs: manifest.blobs, platforms: [], singleManifestConfig: manifest.config)
        case .index(let index):
            let pinned = reference.digest != nil
            let selected = pinned ? index.manifests : PlatformSelection.select(index.manifests, for: platforms)
            guard selected.contains(where: { $0.platform != nil || pinned }) else {
                throw PullFailure(
                    message:
                        "\(reference): no manifest for \(platforms.map(\.description).joined(separator: ", ")) in the index on \(reference.registry); it offers: \(PlatformSelection.offered(index.manifests).joined(separator: ", "))"
                )
            }
            var children: [ManifestDocument] = []
            var blobs: [Descriptor] = []
            for entry in selected {
                let child = try await client.manifest(in: reference, digest: entry.digest)
                guard case .image(let manifest) = child.content else {
                    throw PullFailure(message: "\(reference): the index entry \(entry.digest) is itself an index; nested indexes are not supported")
                }
                children.append(child)
                blobs += manifest.blobs
            }
            let kept = selected.compactMap { $0.annotations?[PlatformSelection.referenceType] == "attestation-manifest" ? nil : $0.platform }
            if selected.count == index.manifests.count {
                return ResolvedImage(
                    reference: reference, top: StoredManifest(bytes: top.bytes, descriptor: top.descriptor()),
                    children: children, blobs: blobs, platforms: kept)
            }
            var filtered = index
            filtered.manifests = selected
            filtered.mediaType = top.mediaType
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let bytes = Array(try encoder.encode(filtered))
            let descriptor = Descriptor(mediaType: top.mediaType, digest: Digest.of(bytes), size: Int64(bytes.count))
            return ResolvedImage(
                reference: reference, top: StoredManifest(bytes: bytes, descriptor: descriptor), children: children,
                blobs: blobs, platforms: kept, sourceIndexDigest: top.digest)
        }
    }

    /// Writes manifests (children before the top) and the `index.json` entry. Blocks (file writes,
    /// `fsync`): async code calls it through `BlockingWork`.
    func store(_ image: ResolvedImage) throws -> PulledImage {
        for child in image.children { try layout.writeBlob(child.bytes, as: child.descriptor()) }
        try layout.writeBlob(image.top.bytes, as: image.top.descriptor)

        var platforms = image.platforms
        var warnings: [String] = []
        if let config = image.singleManifestConfig {
            switch try configuredPlatform(config) {
            case .some(let platform):
                platforms = [platform]
                if !self.platforms.contains(where: { $0.accepts(platform) }) {
                    warnings.append(
                        "the image is built for \(platform) only, not for \(self.platforms.map(\.description).joined(separator: ", ")); kept as it is"
                    )
                }
            case .none where MediaType.isImageConfig(config.mediaType):
                warnings.append("its configuration names no os and architecture; its platform is unknown")
            case .none:
                break
            }
        }
        let pinned = image.reference.pinned(to: image.sourceIndexDigest ?? image.top.descriptor.digest)
        var annotations = [
            OCILayout.Annotation.refName: image.reference.description,
            OCILayout.Annotation.containerdName: image.reference.description,
            OCILayout.Annotation.sourceReference: pinned.description,
        ]
        if let source = image.sourceIndexDigest {
            annotations[OCILayout.Annotation.sourceIndexDigest] = source.description
            annotations[OCILayout.Annotation.platforms] = platforms.map(\.description).joined(separator: ",")
        }
        var entry = image.top.descriptor
        entry.annotations = annotations
        try layout.addToIndex(entry)

        let blobBytes = try DeclaredSizes.total(of: image.blobs, image: image.reference)
        let manifestBytes = image.children.reduce(Int64(image.top.bytes.count)) { $0 + Int64($1.bytes.count) }
        guard let size = DeclaredSizes.sum([blobBytes, manifestBytes]) else {
            throw PullFailure(message: "\(image.reference): its blobs and manifests add up to more than \(Int64.max) bytes")
        }
        return PulledImage(
            reference: image.reference.description, digest: image.top.descriptor.digest, mediaType: image.top.descriptor.mediaType,
            size: size, platforms: platforms.map(\.description),
            sourceIndexDigest: image.sourceIndexDigest, warnings: warnings)
    }
}

extension ImagePuller {
    /// The platform an image's configuration names. The config blob is in the layout already,
    /// verified. Not being able to read it is an error, and so is an image configuration that is
    /// not one (no runtime could start the image). An artifact's config (a Helm chart, a
    /// signature: another media type) names no platform, nor does an image config without os and
    /// architecture: nil, "platform unknown" (docs/pulling-images.md).
    func configuredPlatform(_ config: Descriptor) throws -> Platform? {
        guard MediaType.isImageConfig(config.mediaType) else { return nil }
        let bytes: [UInt8]
        do { bytes = try layout.readBlob(config.digest) } catch {
            throw PullFailure(message: "cannot read the image configuration \(config.digest.short) from the layout: \(error)")
        }
        do { return try JSONDecoder().decode(ImageConfiguration.self, from: Data(bytes)).platform } catch {
            throw PullFailure(message: "the image configuration \(config.digest.short) is not valid: \(error.humanDescription)")
        }
    }
}
