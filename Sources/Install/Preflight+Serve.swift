import Foundation
import OCI
import Registry

extension Preflight {
    /// What `node-config` wrote the nodes' files for (`node-config.json` beside them).
    public struct NodeConfigRecord: Codable, Sendable, Equatable {
        public static let fileName = "node-config.json"
        public var bundle: String
        public var runtime: String
        public var serve: String
        public var registry: String?
        public var project: String?
        public var afterPush: Bool

        public init(bundle: String, runtime: String, serve: String, registry: String?, project: String?, afterPush: Bool) {
            self.bundle = bundle
            self.runtime = runtime
            self.serve = serve
            self.registry = registry
            self.project = project
            self.afterPush = afterPush
        }
    }

    /// The bundle server answers `GET /v2/` as a registry, from this host (not necessarily from the
    /// nodes: the detail says so).
    public static func serveCheck(_ url: String, caFile: String?) async -> Check {
        guard let (base, _, configuration) = bundleServer(url, caFile: caFile) else {
            return Check(name: "serve", result: .failed, detail: "--serve \"\(url)\" is not http(s)://ADDR:PORT")
        }
        let nodes = "(checked from this host only: run `curl \(base)/v2/` on a node to check that it reaches it too)"
        let client: RegistryClient
        do { client = try RegistryClient(configuration: configuration) } catch {
            return Check(name: "serve", result: .failed, detail: "cannot check \(base): \(error)")
        }
        let answer: Result<[UInt8], Error>
        do { answer = .success(try await client.fetchDocument(base + "/v2/", limit: 4096, subject: "the bundle server")) } catch {
            answer = .failure(error)
        }
        try? await client.shutdown()
        switch answer {
        case .failure(let error):
            return Check(
                name: "serve", result: .failed,
                detail: "the bundle server does not answer at \(base)/v2/ (is airgap-install serve running there?): \(error)")
        case .success(let body):
            guard (try? JSONSerialization.jsonObject(with: Data(body))) is [String: Any] else {
                return Check(name: "serve", result: .failed, detail: "\(base)/v2/ answered, but not as a registry does \(nodes)")
            }
            return Check(name: "serve", result: .ok, detail: "the bundle server answers at \(base) \(nodes)")
        }
    }

    /// `node-config`'s record in `directory` names this install's `registry` and `project` (and `serve`).
    public static func nodeConfigCheck(_ directory: String, registry: String, project: String, serve: String?) -> Check {
        let path = directory + "/" + NodeConfigRecord.fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            return Check(
                name: "node-config", result: .failed,
                detail: "\(path) does not exist: give the --output folder of airgap-install node-config (written by this version or later)")
        }
        guard let record = try? JSONDecoder().decode(NodeConfigRecord.self, from: data) else {
            return Check(name: "node-config", result: .failed, detail: "\(path) is not a node-config record")
        }
        guard let given = record.registry, let givenProject = record.project else {
            return Check(
                name: "node-config", result: .failed,
                detail: "node-config was run without --registry/--project: nodes cannot pull \(registry)/\(project)/... through the bundle server")
        }
        guard given == registry, givenProject == project else {
            return Check(
                name: "node-config", result: .failed,
                detail: "node-config was given --registry \(given) --project \(givenProject), but this install uses \(registry)/\(project): "
                    + "run node-config again with them and install its files on every node")
        }
        if let serve, trimmed(serve) != trimmed(record.serve) {
            return Check(
                name: "node-config", result: .failed,
                detail: "node-config pointed the nodes at \(record.serve), not at --serve \(serve): "
                    + "run node-config again and install its files on every node")
        }
        let order = record.afterPush ? "the site registry first, the bundle server as the fallback" : "through the bundle server"
        return Check(
            name: "node-config", result: .ok,
            detail: "\(path): \(record.runtime) files for \(given)/\(givenProject), \(order) at \(record.serve) "
                + "(what the nodes installed is not checked)")
    }

    private static func trimmed(_ url: String) -> String { url.hasSuffix("/") ? String(url.dropLast()) : url }

    /// `url` without a trailing slash, its HOST[:PORT], and how to talk to it (plain HTTP for
    /// http://, `caFile` trusted); nil when it is not http(s)://HOST[:PORT].
    static func bundleServer(_ url: String, caFile: String?) -> (base: String, authority: String, configuration: RegistryConfiguration)? {
        let base = trimmed(url)
        guard let parsed = URL(string: base), let scheme = parsed.scheme, ["http", "https"].contains(scheme), let host = parsed.host else {
            return nil
        }
        let authority = parsed.port.map { "\(host):\($0)" } ?? host
        let configuration = RegistryConfiguration(
            insecureHosts: scheme == "http" ? [authority] : [], caFile: caFile, retry: RetryPolicy(maxAttempts: 2, initialDelaySeconds: 0.5),
            connectTimeoutSeconds: 5, readTimeoutSeconds: 10, userAgent: "airgap-install preflight")
        return (base, authority, configuration)
    }

    /// Before push, on an empty site: every image of `relocation.json` that the site registry
    /// does not hold (`registry`, the registry's own check) answers at the bundle server under the
    /// name push will give it (`HEAD /v2/PROJECT/x/y/manifests/DIGEST`, the name serve
    /// `--registry --project` answers), so the nodes pull it through the bundle server until push.
    public static func imagesCheck(_ relocation: RelocationMap, registry: Check, serve url: String, caFile: String?) async -> Check {
        guard registry.result != .ok else { return registry }
        guard let (base, authority, configuration) = bundleServer(url, caFile: caFile) else { return registry }
        var missing: [String] = []
        do {
            try await RegistryClient.withClient(configuration: configuration, shutdownFailed: { _ in }) { client in
                for image in relocation.images {
                    let served = try ImageReference(parsing: authority + "/" + (try ImageReference(parsing: image.target)).repository)
                    if try await client.manifestDigest(image.digest.description, in: served) == nil { missing.append(image.target) }
                }
            }
        } catch {
            return Check(name: "images", result: .failed, detail: "\(registry.detail); and the bundle server at \(base) cannot be asked: \(error)")
        }
        guard missing.isEmpty else {
            return Check(
                name: "images", result: .failed,
                detail:
                    "\(missing.count) of \(relocation.images.count) images are neither in \(relocation.registry) nor at the bundle server \(base) "
                    + "(was it started with --registry \(relocation.registry) --project \(relocation.project)?): \(missing.joined(separator: ", "))")
        }
        return Check(
            name: "images", result: .ok,
            detail: "all \(relocation.images.count) images answer at the bundle server \(base) under their \(relocation.registry) names "
                + "(not all in \(relocation.registry) yet: the nodes pull through the bundle server until push)")
    }
}
