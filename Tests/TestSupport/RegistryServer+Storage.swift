import Foundation

extension RegistryServer {
    /// Blob files in the registry's storage (distribution's filesystem layout).
    public func storedBlobs() -> [String] {
        let root = dataDirectory + "/docker/registry/v2/blobs"
        guard FileManager.default.fileExists(atPath: root) else { return [] }
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter { $0.hasSuffix("/data") }
    }

    /// Manifest revisions and tags registered in any repository.
    public func storedManifests() -> [String] {
        let root = dataDirectory + "/docker/registry/v2/repositories"
        guard FileManager.default.fileExists(atPath: root) else { return [] }
        return (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).filter {
            $0.contains("_manifests/revisions/sha256/") && $0.hasSuffix("/link") || $0.contains("_manifests/tags/") && $0.hasSuffix("current/link")
        }
    }
}
