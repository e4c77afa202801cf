import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import OCI

/// A client for the OCI distribution API: authentication, retries, redirects. Pull and push
/// operations live in `RegistryClient+Pull.swift` and `RegistryClient+Push.swift`.
///
/// Call `shutdown()` when done; the client owns its connection pool.
public final class RegistryClient: Sendable {
    public let configuration: RegistryConfiguration
    let http: HTTPClient
    let authenticator: Authenticator

    public init(configuration: RegistryConfiguration = RegistryConfiguration(), credentials: CredentialStore = CredentialStore()) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = configuration.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw RegistryClientSetupError(reason: "the CA file \(caFile) does not exist or cannot be read")
            }
            tls.additionalTrustRoots = [.file(caFile)]
        }
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        // We retry ourselves, so a refused connection fails at once with its real cause.
        pool.retryConnectionEstablishment = false
        var http = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(configuration.connectTimeoutSeconds), read: .seconds(configuration.readTimeoutSeconds)),
            connectionPool: pool)
        http.httpVersion = .automatic
        self.configuration = configuration
        self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http)
        self.authenticator = Authenticator(http: self.http, credentials: credentials, configuration: configuration)
    }

    public func shutdown() async throws { try await http.shutdown() }

    /// The base URL of a registry host's API: `https://host/v2/` (or `http` for insecure hosts).
    func baseURL(_ host: String) -> String { "\(configuration.scheme(for: host))://\(host)" }

    /// Sends a request with authentication, retries (429, 5xx, broken connections) and redirects
    /// (`Authorization` is dropped when a redirect leaves the registry's origin).
    ///
    /// Returns the response when its status is 2xx or listed in `passing`; otherwise throws a
    /// `RegistryError` carrying the registry's `errors` array.
    /// With `retrying: false` a temporary failure is thrown at once (chunk uploads resume from
    /// the registry's own offset instead of resending blindly).
    func send(_ request: RegistryRequest, passing: Set<Int> = [], retrying: Bool = true) async throws -> HTTPClientResponse {
        // A mirror serves the request in the registry's place (credentials and TLS are the mirror's).
        var request = request
        request.host = configuration.endpoint(for: request.host)
        let maxAttempts = retrying ? configuration.retry.maxAttempts : 1
        var attempt = 0
        var answeredChallenge = false
        while true {
            attempt += 1
            let outcome: HTTPClientResponse
            let authorized: Bool
            do {
                (outcome, authorized) = try await sendOnce(request)
            } catch let error as RegistryError {
                guard error.isTemporary, attempt < maxAttempts else { throw error }
                try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: nil)
                continue
            }
            let status = Int(outcome.status.code)
            if (200..<300).contains(status) || passing.contains(status) { return outcome }
            // The body is read once (a response's body cannot be iterated twice), for the error's
            // words and so the connection can be reused; a failure to read it changes nothing.
            let body = (try? await outcome.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            if status == 401, !answeredChallenge, request.body?.isReplayable ?? true {
                answeredChallenge = true
                let header = outcome.headers.first(name: "WWW-Authenticate")
                let learned = try await authenticator.learn(
                    challengeHeader: header, host: request.host, scopes: request.scopes, subject: request.subject)
                // A request sent before any challenge was known (many start at once on a fresh
                // client) carried no credentials: answering the challenge can still help it.
                if learned || !authorized {
                    attempt -= 1
                    continue
                }
            }
            let error = Self.error(from: outcome, body: body, request: request, authenticator: authenticator)
            if error.isTemporary, attempt < maxAttempts {
                let retryAfter = outcome.headers.first(name: "Retry-After").flatMap(Double.init)
                try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: retryAfter)
                continue
            }
            throw error
        }
    }

    /// One try: authorization header, then up to 5 redirects.
    /// Returns the response and whether it was sent with an `Authorization` header.
    private func sendOnce(_ request: RegistryRequest) async throws -> (HTTPClientResponse, Bool) {
        let authorization = try await authenticator.authorization(host: request.host, scopes: request.scopes, subject: request.subject)
        var url = request.url ?? (baseURL(request.host) + request.path)
        let registryOrigin = Origin(url)
        for _ in 0..<6 {
            var http = HTTPClientRequest(url: url)
            http.method = request.method
            http.headers = request.headers
            http.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
            if let authorization, Origin(url) == registryOrigin { http.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            http.body = try request.body?.makeBody()
            let response: HTTPClientResponse
            do {
                response = try await self.http.execute(http, deadline: .now() + .hours(24))
            } catch {
                let (why, temporary) = ConnectionFailure.describe(error)
                throw RegistryError(registry: request.host, subject: request.subject, reason: .connection(why), isTemporary: temporary)
            }
            let status = Int(response.status.code)
            guard [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") else {
                return (response, authorization != nil && Origin(url) == registryOrigin)
            }
            _ = try? await response.body.collect(upTo: 1 << 16)
            guard let next = URL(string: location, relativeTo: URL(string: url)) else {
                throw RegistryError(registry: request.host, subject: request.subject, reason: .content("redirect to an invalid location \(location)"))
            }
            url = next.absoluteString
        }
        throw RegistryError(registry: request.host, subject: request.subject, reason: .content("too many redirects"))
    }

    static func error(from response: HTTPClientResponse, body: Data, request: RegistryRequest, authenticator: Authenticator) -> RegistryError {
        struct ErrorsBody: Decodable { var errors: [RegistryErrorDetail]? }
        // The `errors` array only adds words to an error the HTTP status already makes: a body that
        // is not the spec's JSON (a proxy's HTML page) leaves it empty.
        let details = (try? JSONDecoder().decode(ErrorsBody.self, from: body))?.errors ?? []
        let status = Int(response.status.code)
        let temporary = status == 429 || status == 408 || (500...599).contains(status) && status != 501
        if status == 401 || (status == 403 && details.contains(where: { $0.code == "DENIED" || $0.code == "UNAUTHORIZED" })) {
            let why: String
            if let helper = authenticator.credentialHelper(for: request.host), !authenticator.hasCredential(for: request.host) {
                why =
                    "credentials are needed, and Docker's config hands \(request.host) to the credential helper \"docker-credential-\(helper)\", which this tool does not run; give them with --creds or an \"auths\" entry"
            } else if authenticator.hasCredential(for: request.host) {
                why = "HTTP \(status): the credentials were not accepted, or do not grant \(request.scopes.joined(separator: " "))"
            } else {
                why = "HTTP \(status): authentication required and no credentials were given for \(request.host) (use --creds or docker login)"
            }
            return RegistryError(registry: request.host, subject: request.subject, reason: .authentication(why), details: details)
        }
        return RegistryError(registry: request.host, subject: request.subject, reason: .status(status), details: details, isTemporary: temporary)
    }
}

/// An HTTP request to one registry, with what it needs to be sent again on retry.
struct RegistryRequest: Sendable {
    var method: HTTPMethod = .GET
    var host: String
    /// Path under the registry, `/v2/...`; ignored when `url` is set (upload locations are absolute).
    var path: String
    var url: String?
    var headers = HTTPHeaders()
    var body: RequestBody?
    /// Token scopes, e.g. `repository:library/nginx:pull`.
    var scopes: [String]
    /// What errors name: the image reference or blob.
    var subject: String
}

/// A request body: bytes and files can be produced again for each retry, a stream only once.
enum RequestBody: Sendable {
    case bytes([UInt8])
    case file(path: String, size: Int64)
    case stream(StreamedBody, size: Int64)

    var isReplayable: Bool {
        if case .stream = self { return false }
        return true
    }

    func makeBody() throws -> HTTPClientRequest.Body {
        switch self {
        case .bytes(let bytes): return .bytes(bytes)
        case .file(let path, let size): return .stream(FileChunks(path: path), length: .known(size))
        case .stream(let body, let size): return .stream(StreamedBodyBuffers(body: body), length: .known(size))
        }
    }
}

/// The scheme, host and port of a URL: redirects to another origin lose `Authorization`.
struct Origin: Equatable {
    var scheme: String?
    var host: String?
    var port: Int?
    init(_ url: String) {
        let parsed = URL(string: url)
        scheme = parsed?.scheme?.lowercased()
        host = parsed?.host?.lowercased()
        port = parsed?.port ?? (scheme == "https" ? 443 : 80)
    }
}

/// The client cannot be set up (e.g. a missing CA file).
public struct RegistryClientSetupError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
