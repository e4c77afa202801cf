/// A container image reference, normalized exactly as Docker does it.
///
/// `nginx` → `docker.io/library/nginx:latest`; `localhost:5000/x` keeps its registry;
/// `host:port/a/b:tag@sha256:…` keeps both tag and digest. Parsing rejects what Docker rejects
/// (uppercase repository names, bad tags, malformed digests) with a message saying why.
public struct ImageReference: Hashable, Sendable, CustomStringConvertible {
    /// The registry host, with port if any: `docker.io`, `localhost:5000`, `[::1]:5000`.
    public let registry: String
    /// The repository path inside the registry: `library/nginx`, `a/b`.
    public let repository: String
    /// The tag, if the reference names one. `latest` is filled in only when neither tag nor digest is given.
    public let tag: String?
    /// The digest, if the reference pins one.
    public let digest: Digest?

    public init(registry: String, repository: String, tag: String?, digest: Digest?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Parses and normalizes a reference as `docker pull` would.
    public init(parsing input: String) throws(ReferenceError) {
        self = try ReferenceParser.parse(input)
    }

    /// `registry/repository`.
    public var name: String { "\(registry)/\(repository)" }

    /// The full normalized form: `docker.io/library/nginx:1.27@sha256:…`.
    public var description: String {
        var text = name
        if let tag { text += ":" + tag }
        if let digest { text += "@" + digest.description }
        return text
    }

    /// What to ask the registry for: the digest when pinned (it wins over the tag), else the tag.
    public var manifestReference: String { digest?.description ?? tag ?? "latest" }

    /// The host that serves the registry API (`docker.io` is served by `registry-1.docker.io`).
    public var apiHost: String { registry == "docker.io" ? "registry-1.docker.io" : registry }

    /// The same repository pinned to `digest` (the tag, if any, is kept for people to read).
    public func pinned(to digest: Digest) -> ImageReference {
        ImageReference(registry: registry, repository: repository, tag: tag, digest: digest)
    }
}

/// Why a string is not a valid image reference.
public struct ReferenceError: Error, Sendable, CustomStringConvertible, Equatable {
    public let input: String
    public let reason: String
    public var description: String { "invalid image reference \"\(input)\": \(reason)" }
}
