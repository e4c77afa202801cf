import Foundation
import OCI

/// `relocation.json`: where `push` put every image, for the post-renderer.
public struct RelocationMap: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        /// The reference as the bundle (and the charts) name it: `docker.io/bitnami/keycloak:22.0.5`.
        public var source: String
        /// Where it now is: `harbor.site:443/astrago/bitnami/keycloak:22.0.5` (by digest when untagged).
        public var target: String
        /// The manifest or index digest, equal in both places.
        public var digest: Digest

        public init(source: String, target: String, digest: Digest) {
            self.source = source
            self.target = target
            self.digest = digest
        }
    }

    public var apiVersion = "airgap.astrago.io/v1"
    public var kind = "RelocationMap"
    public var bundle: String
    public var registry: String
    public var project: String
    public var images: [Entry]

    public init(bundle: String, registry: String, project: String, images: [Entry]) {
        self.bundle = bundle
        self.registry = registry
        self.project = project
        self.images = images
    }

    /// The map at `path`, read as a state file (no link followed, size bounded).
    public static func read(_ path: String) throws -> RelocationMap {
        guard let bytes = try StateFiles.read(path) else { throw InstallError.io("cannot read \(path)") }
        return try decode(bytes, path: path)
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> RelocationMap {
        do { return try JSONDecoder().decode(RelocationMap.self, from: Data(bytes)) } catch {
            throw InstallError.bundle("\(path) is not a relocation map: \(error)")
        }
    }
}
