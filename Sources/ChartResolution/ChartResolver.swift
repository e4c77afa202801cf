import ChartFormat
import Foundation
import Integrity
import OCI
import Registry
import Rendering
import System

/// A chart ready to render: an archive on disk and what it is.
public struct ResolvedChart: Sendable {
    public var name: String
    public var version: String
    public var appVersion: String?
    /// The chart archive (`.tgz`).
    public var archive: String
    public var sha256: String
    /// Where it came from, for people.
    public var source: String
    public var annotations: [String: String]
}

/// Resolves a component's chart to an archive in a cache: from an HTTP repository (highest version
/// that satisfies the constraint; the archive's digest checked against the index), an OCI registry
/// (Helm's media types), or a local directory (packaged deterministically, missing dependencies fetched).
public struct ChartResolver: Sendable {
    public let client: RegistryClient
    public let cacheDirectory: String

    static let helmChartLayer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"

    public init(client: RegistryClient, cacheDirectory: String) throws {
        self.client = client
        self.cacheDirectory = cacheDirectory
        try FileManager.default.createDirectory(atPath: cacheDirectory + "/charts", withIntermediateDirectories: true)
    }

    public func resolve(_ source: BundleManifest.ChartSource) async throws -> ResolvedChart {
        switch source {
        case .repository(let url, let name, let version): return try await fromRepository(url: url, name: name, constraint: version)
        case .oci(let reference, let version): return try await fromOCI(reference: reference, constraint: version)
        case .path(let directory): return try await fromDirectory(directory)
        }
    }

    func fromRepository(url: String, name: String, constraint: VersionConstraint) async throws -> ResolvedChart {
        let base = url.hasSuffix("/") ? url : url + "/"
        let index = try ChartRepositoryIndex.parse(
            try await client.fetchDocument(
                base + "index.yaml", limit: BoundedYAML.Limits.repositoryIndex.maximumBytes, subject: "chart repository \(url)"),
            source: base + "index.yaml")
        let entry = try index.best(name, constraint, repository: url)
        guard let first = entry.urls.first, let archiveURL = URL(string: first, relativeTo: URL(string: base)) else {
            throw ChartError(message: "chart \(name) \(entry.version) in \(url) has no download URL")
        }
        let target = "\(cacheDirectory)/charts/\(name)-\(entry.version).tgz"
        let sha = try await client.download(
            archiveURL.absoluteString, to: target, expectedSHA256: entry.digest, subject: "chart \(name) \(entry.version) from \(url)")
        return try described(target, sha: sha, source: "\(url) \(name) \(entry.version)")
    }

    func fromOCI(reference: String, constraint: VersionConstraint) async throws -> ResolvedChart {
        let repositoryText = String(reference.dropFirst("oci://".count))
        var repository: ImageReference
        do { repository = try ImageReference(parsing: repositoryText) } catch { throw ChartError(message: "\(reference): \(error.reason)") }
        let tag: String
        if constraint.isExact {
            tag = constraint.text.replacingOccurrences(of: "+", with: "_")
        } else {
            let tags = try await client.listTags(repository)
            let versions = tags.compactMap { SemanticVersion($0.replacingOccurrences(of: "_", with: "+")) }
            guard let best = constraint.best(of: versions) else {
                throw ChartError(
                    message:
                        "no tag of \(reference) satisfies \"\(constraint)\"; nearest: \(ChartRepositoryIndex.nearest(versions, to: constraint).joined(separator: ", "))"
                )
            }
            tag = best.original.replacingOccurrences(of: "+", with: "_")
        }
        repository = ImageReference(registry: repository.registry, repository: repository.repository, tag: tag, digest: nil)
        let manifest = try await client.manifest(for: repository)
        guard case .image(let image) = manifest.content, let layer = image.layers.first(where: { $0.mediaType == Self.helmChartLayer }) else {
            throw ChartError(message: "\(reference):\(tag) is not a Helm chart (no \(Self.helmChartLayer) layer)")
        }
        let layoutPath = cacheDirectory + "/oci"
        let layout = try await BlockingWork.run { try OCILayout(creatingAt: layoutPath) }
        if !layout.hasBlob(layer) { try await client.fetchBlob(layer, from: repository, into: layout) }
        let name = repository.repository.split(separator: "/").last.map(String.init) ?? "chart"
        let target = "\(cacheDirectory)/charts/\(name)-\(tag).tgz"
        try await BlockingWork.run { try Self.copy(layout.blobPath(layer.digest), size: layer.size, to: target) }
        return try described(target, sha: layer.digest.hex, source: "\(reference):\(tag)")
    }

    func fromDirectory(_ directory: String) async throws -> ResolvedChart {
        let metadata = try ChartMetadataFile.read(directory: directory)
        var extras: [(name: String, path: String)] = []
        for dependency in metadata.dependencies ?? [] {
            if try Self.present(dependency, in: directory) { continue }
            let resolved = try await fetchDependency(dependency, chartDirectory: directory)
            extras.append((name: "\(dependency.name)-\(resolved.version).tgz", path: resolved.archive))
        }
        let target = "\(cacheDirectory)/charts/\(metadata.name)-\(metadata.version)-local.tgz"
        try ChartPackager.package(directory, name: metadata.name, into: target, extraCharts: extras)
        return try described(target, sha: try SHA256Hasher.hashFile(atPath: target).hex, source: directory)
    }

    /// A dependency is present when `charts/` holds a directory or archive of that chart. No
    /// `charts/` means none is; one that cannot be listed, or a subchart whose Chart.yaml cannot
    /// be read, is an error (guessing "absent" would fetch another copy, guessing "present" would
    /// package a chart without it).
    static func present(_ dependency: ChartMetadataFile.Dependency, in directory: String) throws -> Bool {
        let charts = directory + "/charts"
        guard FileManager.default.fileExists(atPath: charts) else { return false }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: charts) } catch {
            throw ChartError(message: "cannot list \(charts): \(error.localizedDescription)")
        }
        for name in names.sorted() {
            if name.hasSuffix(".tgz"), name.hasPrefix(dependency.name + "-") { return true }
            let subchart = charts + "/" + name
            guard FileManager.default.fileExists(atPath: subchart + "/Chart.yaml") else { continue }
            if try ChartMetadataFile.read(directory: subchart).name == dependency.name { return true }
        }
        return false
    }

    /// Copies a verified blob of `size` bytes to `target` through an `AtomicFile`, so `target` is
    /// never half written.
    private static func copy(_ source: String, size: Int64, to target: String) throws {
        do { try PosixFile.writeAtomically(try PosixFile.readAll(source, limit: Int(clamping: size)), to: target) } catch {
            throw ChartError(message: "cannot copy \(source) to \(target): \(error)")
        }
    }

    func fetchDependency(_ dependency: ChartMetadataFile.Dependency, chartDirectory: String) async throws -> ResolvedChart {
        let repository = dependency.repository ?? ""
        let constraint: VersionConstraint
        do { constraint = try VersionConstraint(parsing: dependency.version ?? "*") } catch {
            throw ChartError(message: "\(chartDirectory)/Chart.yaml: dependency \(dependency.name): \(error)")
        }
        if repository.hasPrefix("https://") || repository.hasPrefix("http://") {
            return try await fromRepository(url: repository, name: dependency.name, constraint: constraint)
        }
        if repository.hasPrefix("oci://") {
            let base = repository.hasSuffix("/") ? String(repository.dropLast()) : repository
            return try await fromOCI(reference: base + "/" + dependency.name, constraint: constraint)
        }
        if repository.hasPrefix("file://") {
            let relative = String(repository.dropFirst("file://".count))
            return try await fromDirectory(relative.hasPrefix("/") ? relative : chartDirectory + "/" + relative)
        }
        throw ChartError(
            message:
                "\(chartDirectory)/Chart.yaml: dependency \(dependency.name) is missing from charts/ and its repository \"\(repository)\" cannot be fetched (use an https://, oci:// or file:// URL, not a repository alias)"
        )
    }

    private func described(_ archive: String, sha: String, source: String) throws -> ResolvedChart {
        let metadata = try ChartMetadataFile.read(archive: archive)
        return ResolvedChart(
            name: metadata.name, version: metadata.version, appVersion: metadata.appVersion, archive: archive, sha256: sha,
            source: source, annotations: metadata.annotations ?? [:])
    }
}
