import Bundle
import OCI
import Registry

/// The last step of a push, once all verified and every blob is in: shared blobs mounted where
/// missing, each image's manifests (children first) and tag, then every image checked again.
struct ImageRegistration: Sendable {
    struct Counts: Sendable {
        var blobsMounted = 0
        var manifestsPushed = 0
        var manifestsPresent = 0
        var tagsPushed = 0
        var tagsUnchanged = 0

        static func + (a: Counts, b: Counts) -> Counts {
            Counts(
                blobsMounted: a.blobsMounted + b.blobsMounted, manifestsPushed: a.manifestsPushed + b.manifestsPushed,
                manifestsPresent: a.manifestsPresent + b.manifestsPresent, tagsPushed: a.tagsPushed + b.tagsPushed,
                tagsUnchanged: a.tagsUnchanged + b.tagsUnchanged)
        }
    }

    let client: RegistryClient
    let plan: RelocationPlan
    let manifestBytes: [Digest: [UInt8]]
    let concurrency: Int
    let journal: PushJournal?
    /// A delta's layers already at the site in another repository: mounted first into their home.
    var mountSources: [Digest: ImageReference] = [:]

    func run() async throws -> Counts {
        var counts = try await mountSharedBlobs()
        counts = counts + (try await bounded(plan.images) { image in try await register(image) })
        _ = try await bounded(plan.images) { image in try await check(image) }
        return counts
    }

    private func mountSharedBlobs() async throws -> Counts {
        var counts = Counts()
        for (digest, source) in mountSources.sorted(by: { $0.key.description < $1.key.description }) {
            guard let home = plan.blobHomes[digest]?.first, home != source else { continue }
            if try await client.blobExists(digest, size: plan.blobSizes[digest], in: home) { continue }
            guard try await client.mountBlob(digest, from: source, into: home) else {
                throw InstallError.registry("\(home.name): the registry would not mount the base's blob \(digest) from \(source.repository)")
            }
            counts.blobsMounted += 1
        }
        return counts + (try await mountWithinBundle())
    }

    private func mountWithinBundle() async throws -> Counts {
        let pairs = plan.blobHomes.flatMap { digest, homes in homes.dropFirst().map { (digest, homes[0], $0) } }
        return try await bounded(pairs) { digest, home, repository in
            if try await client.blobExists(digest, size: plan.blobSizes[digest], in: repository) { return Counts() }
            guard try await client.mountBlob(digest, from: home, into: repository) else {
                throw InstallError.registry(
                    "\(repository.name): the registry would not mount blob \(digest) from \(home.repository); it does not support cross-repository mounts"
                )
            }
            journal?.record(.blobMounted, ["digest": digest.description, "repository": repository.name])
            return Counts(blobsMounted: 1)
        }
    }

    private func register(_ image: RelocationPlan.Image) async throws -> Counts {
        var counts = Counts()
        let repository = image.target.repositoryOnly
        for manifest in image.manifests {
            guard let bytes = manifestBytes[manifest.digest] else {
                throw InstallError.bundle("image \(image.source): manifest \(manifest.digest) was not in the archive")
            }
            if try await client.manifestDigest(manifest.digest.description, in: repository) == manifest.digest {
                counts.manifestsPresent += 1
                continue
            }
            let stored = try await client.putManifest(bytes, mediaType: manifest.mediaType, reference: manifest.digest.description, in: repository)
            guard stored == manifest.digest else {
                throw InstallError.registry("\(repository.name)@\(manifest.digest): the registry stored the manifest as \(stored)")
            }
            counts.manifestsPushed += 1
        }
        if let tag = image.target.tag, let top = image.manifests.last, let bytes = manifestBytes[top.digest] {
            let current = try await client.manifestDigest(tag, in: repository)
            if current == image.digest {
                // Harbor's tag immutability refuses even an identical re-push: leave it alone.
                counts.tagsUnchanged += 1
            } else {
                do {
                    _ = try await client.putManifest(bytes, mediaType: top.mediaType, reference: tag, in: repository)
                } catch let error as RegistryError {
                    let immutable = error.details.contains {
                        $0.code.uppercased().contains("IMMUTABLE") || ($0.message ?? "").lowercased().contains("immutable")
                    }
                    if immutable || current != nil {
                        throw InstallError.registry(
                            "\(image.target): the tag points at \(current?.description ?? "another image") and the registry refused to move it to \(image.digest)\(immutable ? " (tag immutability)" : ""): \(error)"
                        )
                    }
                    throw error
                }
                counts.tagsPushed += 1
                journal?.record(.tagPushed, ["image": image.target.description, "digest": image.digest.description])
            }
        }
        return counts
    }

    /// The registry must now resolve the image (by tag, or by digest when untagged) to the bundle's digest.
    private func check(_ image: RelocationPlan.Image) async throws -> Counts {
        let reference = image.target.tag ?? image.digest.description
        let found = try await client.manifestDigest(reference, in: image.target.repositoryOnly)
        guard found == image.digest else {
            throw InstallError.registry(
                "\(image.target.repositoryOnly.name):\(reference) resolves to \(found?.description ?? "nothing"), not the bundle's \(image.digest)")
        }
        return Counts()
    }

    /// Runs `body` for every item, at most `concurrency` at once, adding up the counts.
    private func bounded<Item: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) async throws -> Counts) async throws -> Counts {
        try await boundedRun(items, limit: concurrency, body).reduce(Counts(), +)
    }
}

/// Runs `body` for every item, at most `limit` at once; results in the order they end, the first error stopping the rest.
func boundedRun<Item: Sendable, Output: Sendable>(
    _ items: [Item], limit: Int, _ body: @escaping @Sendable (Item) async throws -> Output
) async throws -> [Output] {
    try await withThrowingTaskGroup(of: Output.self) { group in
        var pending = items[...], results: [Output] = []
        for _ in 0..<max(1, limit) {
            guard let item = pending.popFirst() else { break }
            group.addTask { try await body(item) }
        }
        while let output = try await group.next() {
            results.append(output)
            if let item = pending.popFirst() { group.addTask { try await body(item) } }
        }
        return results
    }
}
