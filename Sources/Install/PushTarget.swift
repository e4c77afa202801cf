import OCI
import Registry

/// Where a push goes: a registry host, a Harbor project in it, and how to reach Harbor's API.
public struct PushTarget: Sendable {
    /// `host` or `host:port` of the site registry.
    public var registry: String
    /// The Harbor project (with a plain registry: the first path component of every repository).
    public var project: String
    /// Harbor's API base URL; default `https://REGISTRY` (`http://` with plain HTTP).
    public var harborAPI: String
    public var credential: Credential?

    public init(registry: String, project: String, harborAPI: String, credential: Credential?) {
        self.registry = registry
        self.project = project
        self.harborAPI = harborAPI
        self.credential = credential
    }
}
