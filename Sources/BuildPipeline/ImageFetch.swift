import Foundation
import ImagePull
import OCI
import Registry
import Synchronization
import System

/// The fetch stage: every image into the persistent cache (an OCI layout): what is there is never
/// fetched again. With a lock, each image's source is fetched by the lock's digest.
public struct ImageFetch: Sendable {
    /// Reference → what the cache holds for it.
    public var images: [String: PulledImage]
    /// Bytes fetched now, and bytes the cache already had.
    public var bytesFetched: Int64
    public var bytesFromCache: Int64

    public static func run(
        _ references: [ImageReference], client: RegistryClient, cache: OCILayout, platforms: [Platform], lock: BundleLock?, concurrency: Int,
        events: @escaping @Sendable (BuildEvent) -> Void
    ) async throws -> ImageFetch {
        let lockedImages = lock?.components.flatMap(\.images) ?? []
        let lockedSources = Dictionary(
            lockedImages.compactMap { image in (try? ImageReference(parsing: image.reference)).map { ($0, image.source) } }
        ) { _, last in last }
        let totals = FetchTotals()
        let puller = ImagePuller(client: client, layout: cache, platforms: platforms, concurrency: concurrency)
        let cacheRoot = cache.root
        let outcomes = await puller.pull(
            references, lockedSources: lockedSources,
            checkSpace: { needed in
                // The blobs, plus a margin for manifests and the file system.
                do { try DiskSpace.require(needed + needed / 50 + (64 << 20), at: cacheRoot, for: "fetch the images into the cache") } catch let error
                    as DiskSpaceError
                {
                    totals.noSpace(error)
                    throw error
                }
            }
        ) { event in
            switch event {
            case .planned(let bytes, _, let present, _):
                totals.plan(fetch: bytes, present: present)
                events(.fetchPlanned(bytes: bytes, fromCache: present))
            case .transferred(let bytes): events(.fetched(bytes))
            }
        }
        var images: [String: PulledImage] = [:]
        var failures: [String] = []
        for outcome in outcomes {
            switch outcome.result {
            case .success(let image): images[outcome.reference.description] = image
            case .failure(let failure): failures.append(failure.message)
            }
        }
        if let noSpace = totals.spaceError { throw BuildError.io("\(noSpace)") }
        guard failures.isEmpty else {
            throw BuildError.source("\(failures.count) image(s) could not be fetched:\n  " + failures.joined(separator: "\n  "))
        }
        for locked in lockedImages {
            if let pulled = images[locked.reference], pulled.digest != locked.stored {
                throw BuildError.lock("image \(locked.reference): this build stores \(pulled.digest), the lock says \(locked.stored)")
            }
        }
        let (fetched, present) = totals.values
        return ImageFetch(images: images, bytesFetched: fetched, bytesFromCache: present)
    }
}

/// Totals reported by the puller's events.
final class FetchTotals: Sendable {
    private let state = Mutex<(fetch: Int64, present: Int64, space: DiskSpaceError?)>((0, 0, nil))

    func plan(fetch: Int64, present: Int64) { state.withLock { ($0.fetch, $0.present) = (fetch, present) } }
    func noSpace(_ error: DiskSpaceError) { state.withLock { $0.space = error } }
    var spaceError: DiskSpaceError? { state.withLock { $0.space } }
    var values: (Int64, Int64) { state.withLock { ($0.fetch, $0.present) } }
}
