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
    /// Seconds a response may stall between two reads before the request fails (and is retried).
    public var readTimeoutSeconds: Int64
    /// The `User-Agent` header.
    public var userAgent: String

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
