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
/// Held through `withClient`, which shuts it down (the client owns its connection pool).
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

    /// Sends a request with authentication, retries (429, 5xx, broken connections) and, for
    /// downloads only, redirects over HTTP(S).
    ///
    /// Credentials go only to the registry's own origin (scheme, host and port): never to an
    /// absolute URL or a redirect elsewhere, and a `401` from elsewhere is an error, never a
    /// challenge to answer. The answer's head must arrive within the request's time limit
    /// (`RegistryConfiguration.timeLimit`); callers read its body with `collect` or
    /// `drain`, which bound it the same way.
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
            let outcome: SentRequest
            do {
                outcome = try await sendOnce(request)
            } catch let error as RegistryError {
                guard error.isTemporary, attempt < maxAttempts else { throw error }
                try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: nil)
                continue
            }
            let response = outcome.response
            let status = Int(response.status.code)
            if (200..<300).contains(status) || passing.contains(status) { return response }
            // The body is read once (a response's body cannot be iterated twice), for the error's
            // words and so the connection can be reused; a failure to read it changes nothing.
            let body = (try? await collect(response, upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
            if status == 401, !outcome.fromRegistry {
                throw RegistryError(
                    registry: request.host, subject: request.subject,
                    reason: .authentication(
                        "the registry redirected the request to \(outcome.origin), which asks for credentials; they are sent only to \(request.host) and the token service it names"
                    ))
            }
            if status == 401, !answeredChallenge, request.body?.isReplayable ?? true {
                answeredChallenge = true
                let header = response.headers.first(name: "WWW-Authenticate")
                let learned = try await authenticator.learn(
                    challengeHeader: header, host: request.host, scopes: request.scopes, subject: request.subject)
                // A request sent before any challenge was known (many start at once on a fresh
                // client) carried no credentials: answering the challenge can still help it.
                if learned || !outcome.authorized {
                    attempt -= 1
                    continue
                }
            }
            let error = Self.error(from: response, body: body, request: request, authenticator: authenticator)
            if error.isTemporary, attempt < maxAttempts {
                let retryAfter = response.headers.first(name: "Retry-After").flatMap(Double.init)
                try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: retryAfter)
                continue
            }
            throw error
        }
    }

    /// What one try got: the answer, whether it was sent with an `Authorization` header, and
    /// where it came from (a redirect may have led elsewhere).
    private struct SentRequest {
        var response: HTTPClientResponse
        var authorized: Bool
        var fromRegistry: Bool
        var origin: String
    }

    /// One try: authorization header (for the registry's own origin only), then, for a `GET` or
    /// `HEAD`, up to 5 redirects over HTTP(S).
    private func sendOnce(_ request: RegistryRequest) async throws -> SentRequest {
        func refuse(_ why: String) -> RegistryError { RegistryError(registry: request.host, subject: request.subject, reason: .content(why)) }
        let authorization = try await authenticator.authorization(host: request.host, scopes: request.scopes, subject: request.subject)
        let registryOrigin = Origin(baseURL(request.host))
        var url = request.url ?? (baseURL(request.host) + request.path)
        guard Origin(url).isTCP else { throw refuse("\(url) is not an http or https URL; requests go over TCP only") }
        let limit = configuration.timeLimit(forBytes: max(request.body?.size ?? 0, request.workBytes))
        let deadline = NIODeadline.now() + .milliseconds(Int64(limit * 1000))
        for _ in 0..<6 {
            let here = Origin(url)
            var http = HTTPClientRequest(url: url)
            http.method = request.method
            http.headers = request.headers
            http.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
            if let authorization, here == registryOrigin { http.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            http.body = try request.body?.makeBody()
            let response: HTTPClientResponse
            do {
                response = try await self.http.execute(http, deadline: deadline)
            } catch {
                let (why, temporary) = ConnectionFailure.describe(error)
                throw RegistryError(registry: request.host, subject: request.subject, reason: .connection(why), isTemporary: temporary)
            }
            let status = Int(response.status.code)
            guard [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") else {
                return SentRequest(
                    response: response, authorized: authorization != nil && here == registryOrigin, fromRegistry: here == registryOrigin,
                    origin: here.description)
            }
            await drain(response)
            guard request.method == .GET || request.method == .HEAD else {
                throw refuse("the registry redirected a \(request.method.rawValue) to \(location); only downloads follow redirects")
            }
            guard let next = URL(string: location, relativeTo: URL(string: url)) else { throw refuse("redirect to an invalid location \(location)") }
            let target = Origin(next.absoluteString)
            guard target.isTCP else { throw refuse("redirect to \(location), which is not an http or https URL; redirects go over TCP only") }
            if target.scheme == "http", here.scheme == "https", !configuration.insecureHosts.contains(target.authority) {
                throw refuse("redirect from HTTPS to plain HTTP \(location); name \(target.authority) with --insecure-registry if that is intended")
            }
            url = next.absoluteString
        }
        throw refuse("too many redirects")
    }

    /// A response's whole body, at most `limit` bytes, within the time limit of its length (its
    /// `Content-Length`, or `limit` when it announces none): a registry cannot trickle it forever,
    /// and a large document on a slow link still arrives.
    func collect(_ response: HTTPClientResponse, upTo limit: Int) async throws -> ByteBuffer {
        let announced = response.headers.first(name: "Content-Length").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
        let length = min(max(0, announced ?? Int64(limit)), Int64(limit))
        return try await withTimeLimit(seconds: configuration.timeLimit(forBytes: length)) { try await response.body.collect(upTo: limit) }
    }

    /// Reads and drops a small body we do not need, so the connection can be reused; a failure to
    /// read it changes nothing.
    func drain(_ response: HTTPClientResponse) async {
        _ = try? await collect(response, upTo: 1 << 16)
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
            let credential = authenticator.credentials.credential(for: request.host)
            if let helper = authenticator.credentials.credentialHelper(for: request.host), credential == nil {
                why =
                    "credentials are needed, and Docker's config hands \(request.host) to the credential helper \"docker-credential-\(helper)\", which this tool does not run; give them with --creds or an \"auths\" entry"
            } else if credential != nil {
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
    /// Bytes the registry handles for this request besides its body (a blob it hashes when an
    /// upload completes): they extend the time limit as the body's bytes do.
    var workBytes: Int64 = 0
}

/// A request body: bytes and files can be produced again for each retry, a stream only once.
enum RequestBody: Sendable {
    case bytes([UInt8])
    case file(path: String, size: Int64)
    case stream(StreamedBody, size: Int64)

    /// How many bytes it sends.
    var size: Int64 {
        switch self {
        case .bytes(let bytes): return Int64(bytes.count)
        case .file(_, let size), .stream(_, let size): return size
        }
    }

    var isReplayable: Bool {
        if case .stream = self { return false }
        return true
    }

    func makeBody() throws -> HTTPClientRequest.Body {
        switch self {
        case .bytes(let bytes): return .bytes(bytes)
        case .file(let path, let size): return .stream(FileChunks(path: path), length: .known(size))
        case .stream(let body, let size): return .stream(body, length: .known(size))
        }
    }
}

/// The scheme, host and port of a URL: credentials go only to the registry's own origin.
struct Origin: Equatable, CustomStringConvertible {
    var scheme: String?
    var host: String?
    var port: Int?
    init(_ url: String) {
        let parsed = URL(string: url)
        scheme = parsed?.scheme?.lowercased()
        host = parsed?.host?.lowercased()
        port = parsed?.port ?? (scheme == "https" ? 443 : 80)
    }

    /// Whether requests to it go over TCP: `http` or `https` with a host (never `http+unix`,
    /// which would reach a local socket such as docker.sock).
    var isTCP: Bool { (scheme == "http" || scheme == "https") && !(host ?? "").isEmpty }

    /// `host:port`, as `--insecure-registry` names hosts (the port only when it is not the default).
    var authority: String {
        let host = self.host ?? ""
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? host : "\(host):\(port ?? defaultPort)"
    }

    var description: String { "\(scheme ?? "?")://\(authority)" }
}

/// The client cannot be set up (e.g. a missing CA file).
public struct RegistryClientSetupError: Error, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { reason }
}
