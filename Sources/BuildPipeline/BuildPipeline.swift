import Bundle
import BundlePacking
import ChartResolution
import Foundation
import Integrity
import OCI
import Registry
import System
import TarStream

/// What a build needs besides the manifest.
public struct BuildOptions: Sendable {
    public var output: String
    public var cache: String
    public var platforms: [Platform]
    /// Build exactly the lock (fail, naming the entry, when it is out of date or a source moved).
    public var locked = false
    public var concurrency = 4
    /// Overrides the creation time (else `SOURCE_DATE_EPOCH`, else the lock's).
    public var created: Date?
    /// A delta against this bundle (its archive, or its `bundle.json`): layers it carried are left out.
    public var since: String?
    /// Cut the archive into `NAME.tar.zst.part-0001`, … of at most this many bytes (USB disks).
    public var splitSize: Int64?
    /// The bundle format (`PackOptions.format`); nil: the default, 2.
    public var format: Int?
    public var builder: BundleIndex.Builder

    public init(output: String, cache: String, platforms: [Platform], builder: BundleIndex.Builder) {
        self.output = output
        self.cache = cache
        self.platforms = platforms
        self.builder = builder
    }
}

/// What a build made.
public struct BuildReport: Sendable, Codable {
    public struct Component: Sendable, Codable {
        public var name: String
        public var chart: String
        public var images: [Image]
        public var testOnlyImagesLeftOut: [String]
    }

    public struct Image: Sendable, Codable {
        public var reference: String
        public var digest: Digest
        public var size: Int64
        public var platforms: [String]
    }

    public var bundle: String
    public var signature: String
    public var checksum: String
    public var lock: String
    public var lockChanged: Bool
    public var name: String
    public var version: String
    public var archiveSize: Int64
    public var archiveSHA256: String
    public var contentBytes: Int64
    /// For a split archive: its parts, in order (the bundle path then names no file itself).
    public var parts: [String]
    /// For a delta: the base bundle, and the layers left out because it carried them.
    public var base: BundleIndex.Base?
    public var layersLeftOut: Int
    /// Image blobs pack took by their names from the cache's verified layout and checked as it
    /// wrote them, instead of hashing them first (docs/adr/0010-pack-reads-once.md).
    public var blobsTrustedByName: Int
    public var bytesFetched: Int64
    public var bytesFromCache: Int64
    public var components: [Component]
    public var seconds: Double
}

/// `airgap-bundle build`: resolve → lock → fetch → stage → pack, each stage handing plain values
/// to the next. The executable parses options and prints; this sequences the stages.
public struct BuildPipeline: Sendable {
    public let manifest: BundleManifest
    public let finder: ComponentImageFinder
    public let client: RegistryClient
    /// Signs the bundle; `lock` needs none.
    public let key: SigningKey?
    public let options: BuildOptions

    public init(manifest: BundleManifest, finder: ComponentImageFinder, client: RegistryClient, key: SigningKey?, options: BuildOptions) {
        self.manifest = manifest
        self.finder = finder
        self.client = client
        self.key = key
        self.options = options
    }

    /// The lock file beside the manifest.
    public var lockPath: String { manifest.file + ".lock" }

    /// Resolves and fetches, then writes the lock (no bundle): `airgap-bundle lock`.
    public func lock(events: @escaping @Sendable (BuildEvent) -> Void) async throws -> (BundleLock, changed: Bool) {
        let (_, _, lock, changed) = try await resolveAndFetch(events: events)
        return (lock, changed)
    }

    public func build(events: @escaping @Sendable (BuildEvent) -> Void) async throws -> BuildReport {
        let started = Date()
        guard let key else { throw BuildError.usage("a build needs the signing key (--key)") }
        let (resolution, fetch, lock, changed) = try await resolveAndFetch(events: events)
        events(.phase("staging"))
        do { try PosixFile.makeDirectories(options.output) } catch { throw BuildError.io("cannot create the output directory: \(error)") }
        let baseName = "\(manifest.name)-\(manifest.version)"
        let stage = options.output + "/.stage-\(baseName)-\(getpid())"
        Self.removeStaleStages(in: options.output, base: baseName)
        defer { try? FileManager.default.removeItem(atPath: stage) }  // links only: the cache keeps the data
        let cache = try openCache()
        let base = try options.since.map { try BaseBundle.load($0, verifyingWith: key.publicKey) }
        let leftOut = try await BundleStage.make(resolution, fetch: fetch, cache: cache, at: stage, leavingOut: base?.layers ?? [])

        events(.phase("packing"))
        // The archive can be as large as its content (compressed layers do not shrink), plus margin.
        let content = fetch.images.values.reduce(Int64(0)) { $0 + $1.size } + resolution.files.reduce(Int64(0)) { $0 + $1.size }
        if let base {
            events(.note("a delta of \(base.reference.name) \(base.reference.version): \(leftOut.count) layer(s) it carried are left out"))
        }
        // A split is cut from the finished archive: twice the space for a moment.
        let copies: Int64 = options.splitSize == nil ? 1 : 2
        do { try DiskSpace.require(copies * (content + content / 50) + (64 << 20), at: options.output, for: "write the bundle") } catch {
            throw BuildError.io("\(error)")
        }
        var packOptions = PackOptions(builder: options.builder)
        packOptions.name = manifest.name
        packOptions.version = manifest.version
        packOptions.base = base?.reference
        packOptions.baseBlobs = leftOut
        packOptions.format = options.format
        packOptions.created = options.created ?? BundlePacker.sourceDateEpoch() ?? Date(timeIntervalSince1970: TimeInterval(lock.created))
        let archive = options.output + "/\(baseName).tar.zst"
        let packed: PackResult
        do { packed = try BundlePacker.pack(directory: stage, key: key, output: archive, options: packOptions) } catch let error as BundleError {
            throw error.kind == .verification ? BuildError.source(error.message) : BuildError.io(error.message)
        }
        let checksum = archive + ".sha256"
        var checksumLines = "\(packed.archiveSHA256)  \(baseName).tar.zst\n"
        var parts: [String] = []
        if let splitSize = options.splitSize, packed.archiveSize > splitSize {
            do { parts = try ArchiveSplitter.split(archive, partSize: splitSize) } catch { throw BuildError.io("cannot split \(archive): \(error)") }
            // sha256sum -c checks each part as it came off the disk; the .sig covers the whole.
            checksumLines = try parts.map { part in
                do { return "\(try SHA256Hasher.hashFile(atPath: part).hex)  \((part as NSString).lastPathComponent)\n" } catch {
                    throw BuildError.io("cannot read \(part): \(error)")
                }
            }.joined()
        }
        do { try PosixFile.writeAtomically(Array(checksumLines.utf8), to: checksum) } catch {
            throw BuildError.io("cannot write \(checksum): \(error)")
        }
        let byReference = Dictionary(packed.index.images.map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
        let components = resolution.components.map { resolved in
            BuildReport.Component(
                name: resolved.component.name, chart: "\(resolved.chart.name) \(resolved.chart.version)",
                images: resolved.images.compactMap { reference in
                    byReference[reference.description].map {
                        BuildReport.Image(reference: $0.reference, digest: $0.digest, size: $0.size, platforms: $0.platforms)
                    }
                }, testOnlyImagesLeftOut: resolved.testOnlyImages)
        }
        return BuildReport(
            bundle: archive, signature: packed.signaturePath, checksum: checksum, lock: lockPath, lockChanged: changed, name: manifest.name,
            version: manifest.version, archiveSize: packed.archiveSize, archiveSHA256: packed.archiveSHA256, contentBytes: packed.index.entriesSize,
            parts: parts, base: packed.index.base, layersLeftOut: leftOut.count, blobsTrustedByName: packed.blobsTrustedByName,
            bytesFetched: fetch.bytesFetched, bytesFromCache: fetch.bytesFromCache, components: components, seconds: Date().timeIntervalSince(started)
        )
    }

    private func resolveAndFetch(events: @escaping @Sendable (BuildEvent) -> Void) async throws -> (Resolution, ImageFetch, BundleLock, Bool) {
        let existing = try BundleLock.read(lockPath)
        if options.locked {
            guard let existing else { throw BuildError.lock("--locked: there is no lock file \(lockPath); run airgap-bundle lock first") }
            let platforms = options.platforms.map(\.description)
            guard existing.platforms == platforms else {
                throw BuildError.lock(
                    "--locked: the lock was written for platforms \(existing.platforms.joined(separator: ", ")), not \(platforms.joined(separator: ", "))"
                )
            }
        }
        events(.phase("resolving charts and images"))
        let resolution = try await Resolution.resolve(manifest, finder: finder, lock: options.locked ? existing : nil) { events(.note($0)) }
        for component in resolution.components {
            events(
                .componentResolved(
                    name: component.component.name, chart: "\(component.chart.name) \(component.chart.version)", images: component.images.count))
        }
        events(.phase("fetching images"))
        let cache = try openCache()
        let fetch = try await ImageFetch.run(
            resolution.uniqueImages, client: client, cache: cache, platforms: options.platforms, lock: options.locked ? existing : nil,
            concurrency: options.concurrency, events: events)
        events(.phase("fetching files"))
        let files = try await FileFetch.run(
            manifest.files, platforms: options.platforms, client: client, cache: options.cache, lock: options.locked ? existing : nil)
        let lock = try LockWriter.lock(resolution, fetch: fetch, files: files, cache: cache, platforms: options.platforms, previous: existing)
        let changed = lock != existing
        if changed {
            guard !options.locked else { throw BuildError.lock("--locked: this build differs from the lock \(lockPath)") }
            try lock.write(to: lockPath)
        }
        return (Resolution(manifest: resolution.manifest, components: resolution.components, files: files), fetch, lock, changed)
    }

    private func openCache() throws -> OCILayout {
        do { return try OCILayout(creatingAt: options.cache + "/images") } catch {
            throw BuildError.io("cannot open the cache \(options.cache): \(error)")
        }
    }

    /// Stage directories of builds that were killed (their PID no longer runs).
    static func removeStaleStages(in directory: String, base: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".stage-\(base)-") {
            guard let pid = Int32(name.dropFirst(".stage-\(base)-".count)), pid != getpid(), kill(pid, 0) != 0 else { continue }
            // Links only; removing them frees nothing the cache needs.
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}
