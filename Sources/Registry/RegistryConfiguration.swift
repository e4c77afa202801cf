/// How the registry client connects: which hosts may use plain HTTP, which CA to trust, how hard to retry.
public struct RegistryConfiguration: Sendable {
    /// Hosts (`host` or `host:port`) reached over plain HTTP. Every other host uses verified TLS.
    public var insecureHosts: Set<String>
    /// A PEM file of extra CA certificates trusted in addition to the system's.
    public var caFile: String?
    /// How often and how long to retry temporary failures.
    public var retry: RetryPolicy
    /// Seconds to wait for a connection.
    public var connectTimeoutSeconds: Int64
    /// Seconds a response may stall between two reads before the request fails (and is retried);
    /// also the time limit of a whole request (answer and body), to which a request carrying a
    /// blob adds one second per `minimumBytesPerSecond` of the blob.
    public var readTimeoutSeconds: Int64
    /// The slowest transfer of a blob that is waited for (128 KiB/s by default): a registry that
    /// trickles a body cannot hold a request open for longer than its size at this rate.
    public var minimumBytesPerSecond: Int64 = 128 << 10
    /// The `User-Agent` header.
    public var userAgent: String
    /// Where to fetch from instead: a registry host (`docker.io`) → a mirror host
    /// (`mirror.corp:5000`), and a URL prefix (`https://charts.example/stable`) → another prefix.
    /// Names in bundles stay the original ones; only the requests go elsewhere.
    public var mirrors: [String: String] = [:]

    public init(
        insecureHosts: Set<String> = [], caFile: String? = nil, retry: RetryPolicy = RetryPolicy(),
        connectTimeoutSeconds: Int64 = 15, readTimeoutSeconds: Int64 = 60, userAgent: String = "astrago-airgap/0.1"
    ) {
        self.insecureHosts = insecureHosts
        self.caFile = caFile
        self.retry = retry
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.userAgent = userAgent
    }

    /// The host a request for `host` goes to: its mirror, if one is set (`docker.io` is served by
    /// `registry-1.docker.io`, so a mirror of either covers both).
    func endpoint(for host: String) -> String {
        if let mirror = mirrors[host] { return mirror }
        if host == "registry-1.docker.io", let mirror = mirrors["docker.io"] { return mirror }
        return host
    }

    /// A URL with its mirrored prefix replaced (the longest matching prefix wins).
    func mirrored(url: String) -> String {
        let prefixes = mirrors.keys.filter { $0.contains("://") && url.hasPrefix($0) }
        guard let prefix = prefixes.max(by: { $0.count < $1.count }), let replacement = mirrors[prefix] else { return url }
        return replacement + url.dropFirst(prefix.count)
    }

    /// `http` for hosts named insecure, else `https`.
    func scheme(for host: String) -> String { insecureHosts.contains(host) ? "http" : "https" }
}

/// Retries with exponential backoff and jitter for 429, 5xx and broken connections.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    /// The first wait; each later wait doubles, up to `maxDelaySeconds`.
    public var initialDelaySeconds: Double
    public var maxDelaySeconds: Double

    public init(maxAttempts: Int = 5, initialDelaySeconds: Double = 0.5, maxDelaySeconds: Double = 20) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelaySeconds = initialDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1). A server's `Retry-After` wins, capped.
    func delay(afterAttempt attempt: Int, retryAfter: Double?) -> Double {
        if let retryAfter { return min(max(0, retryAfter), maxDelaySeconds) }
        let base = initialDelaySeconds * Double(1 << min(attempt - 1, 16))
        return min(maxDelaySeconds, base) * Double.random(in: 0.75...1.25)
    }

    func sleep(afterAttempt attempt: Int, retryAfter: Double?) async throws {
        let seconds = delay(afterAttempt: attempt, retryAfter: retryAfter)
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}
