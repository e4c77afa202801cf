import Bundle
import Install
import OCI

/// Which repository names `serve` answers and what each holds — computed from the signed
/// `bundle.json` alone (and, given the site registry, from the same `RelocationPlan` push uses).
///
/// Every image is found by its original path qualified by its source registry: containerd sends
/// that registry as `?ns=<host>` (`GET /v2/library/nginx/manifests/1.27?ns=docker.io`), so
/// `docker.io/team/tool` and `quay.io/team/tool` never mix. Without `ns` (skopeo, crane, our own
/// pull) a name is either `<host>/<path>` (the host as a path component: `docker.io/team/tool`,
/// `localhost-5000/x`), the bare path when only one source registry has it, or — given the site
/// registry — the path push gives it (`PROJECT/team/tool`), which also answers `?ns=<site registry>`.
public struct ServedRepositories: Sendable {
    /// One repository: its tags, and the manifests and blobs it may hand out.
    public struct Repository: Sendable {
        public var tags: [String: Digest] = [:]
        public var manifests: [Digest: BundleIndex.Content] = [:]
        public var blobs: [Digest: BundleIndex.Content] = [:]
    }

    /// Where an image is also served under the site registry's name.
    public struct SiteName: Sendable {
        public var registry: String
        public var project: String
        public init(registry: String, project: String) {
            self.registry = registry
            self.project = project
        }
    }

    private var byKey: [Key: Int] = [:]
    private var contents: [Repository] = []
    /// The names listed by `/v2/_catalog` (those needing no `ns`), sorted.
    public private(set) var catalog: [String] = []
    /// Every source registry host of the bundle's images, sorted (the hosts node-config configures).
    public private(set) var upstreamHosts: [String] = []

    private struct Key: Hashable {
        var namespace: String
        var path: String
    }

    public init(index: BundleIndex, site: SiteName?) throws(ServeError) {
        var sources: [(BundleIndex.Image, ImageReference)] = []
        for image in index.images {
            do { sources.append((image, try ImageReference(parsing: image.reference))) } catch {
                throw .bundle("image \(image.reference) in bundle.json is not a valid reference: \(error.reason)")
            }
        }
        var targets: [ImageReference?] = Array(repeating: nil, count: sources.count)
        if let site {
            let target = PushTarget(registry: site.registry, project: site.project, harborAPI: "", credential: nil)
            let plan: RelocationPlan
            do { plan = try RelocationPlan(index: index, target: target) } catch { throw .bundle(error.description) }
            targets = plan.images.map(\.target)
        }
        var registriesByPath: [String: Set<String>] = [:]
        for (_, source) in sources { registriesByPath[source.repository, default: []].insert(source.registry) }
        for (position, (image, source)) in sources.enumerated() {
            var names = [
                Key(namespace: source.registry, path: source.repository),
                Key(namespace: "", path: RelocationPlan.pathComponent(forRegistry: source.registry) + "/" + source.repository),
            ]
            if registriesByPath[source.repository]?.count == 1 { names.append(Key(namespace: "", path: source.repository)) }
            if let target = targets[position] {
                names += [Key(namespace: target.registry, path: target.repository), Key(namespace: "", path: target.repository)]
            }
            for name in names { add(image, tag: source.tag, to: name) }
        }
        catalog = byKey.keys.filter { $0.namespace.isEmpty }.map(\.path).sorted()
        upstreamHosts = Set(sources.map(\.1.registry)).sorted()
    }

    private mutating func add(_ image: BundleIndex.Image, tag: String?, to key: Key) {
        let slot: Int
        if let existing = byKey[key] {
            slot = existing
        } else {
            slot = contents.count
            contents.append(Repository())
            byKey[key] = slot
        }
        if let tag { contents[slot].tags[tag] = image.digest }
        for manifest in image.manifests ?? [] { contents[slot].manifests[manifest.digest] = manifest }
        for blob in image.blobs ?? [] { contents[slot].blobs[blob.digest] = blob }
    }

    /// The repository `path` names, as asked with `?ns=namespace` (nil or unknown: the names that need none).
    public func repository(_ path: String, namespace: String?) -> Repository? {
        if let namespace, let slot = byKey[Key(namespace: namespace, path: path)] { return contents[slot] }
        return byKey[Key(namespace: "", path: path)].map { contents[$0] }
    }
}
