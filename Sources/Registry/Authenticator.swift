import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

/// Turns registry challenges into `Authorization` headers: Basic credentials, or bearer tokens
/// from the challenge's realm (POST `grant_type=password` first, GET with Basic as fallback,
/// anonymous GET without credentials). Tokens are cached per host and scope until they expire,
/// and one token request serves every task that needs the same scope at the same time.
actor Authenticator {
    private struct TokenKey: Hashable { var host: String; var scopes: [String] }
    private struct CachedToken { var value: String; var expires: Date }

    private let http: HTTPClient
    let credentials: CredentialStore
    private let configuration: RegistryConfiguration
    private var challenges: [String: AuthChallenge] = [:]
    private var firstChallenges: [String: AuthChallenge] = [:]
    private var tokens: [TokenKey: CachedToken] = [:]
    private var pending: [TokenKey: Task<CachedToken, Error>] = [:]

    init(http: HTTPClient, credentials: CredentialStore, configuration: RegistryConfiguration) {
        self.http = http
        self.credentials = credentials
        self.configuration = configuration
    }

    /// The header for a request to `host` needing `scopes`, or nil before the host has challenged us.
    func authorization(host: String, scopes: [String], subject: String) async throws -> String? {
        guard let challenge = challenges[host] else { return nil }
        switch challenge.scheme {
        case .basic:
            return credentials.credential(for: host)?.basicAuthorization
        case .bearer:
            let key = TokenKey(host: host, scopes: scopes.sorted())
            if let cached = tokens[key], cached.expires > Date() { return "Bearer " + cached.value }
            if let task = pending[key] { return "Bearer " + (try await task.value).value }
            let task = Task { try await self.requestToken(challenge: challenge, host: host, scopes: key.scopes, subject: subject) }
            pending[key] = task
            defer { pending[key] = nil }
            let token = try await task.value
            tokens[key] = token
            return "Bearer " + token.value
        }
    }

    /// Records a `WWW-Authenticate` challenge. Returns false when retrying cannot help (we already
    /// answered this same challenge with everything we have).
    func learn(challengeHeader: String?, host: String, scopes: [String], subject: String) throws -> Bool {
        guard let header = challengeHeader, let challenge = AuthChallenge(header: header) else {
            throw RegistryError(registry: host, subject: subject, reason: .authentication("HTTP 401 without a Basic or Bearer challenge"))
        }
        let previous = challenges[host]
        // The token service is the one the registry named in its first challenge: a later answer
        // (or a proxy, or a redirect) naming another one gets no credentials.
        if let first = firstChallenges[host], first.scheme != challenge.scheme || first.realm != challenge.realm {
            throw RegistryError(
                registry: host, subject: subject,
                reason: .authentication(
                    "the registry first asked for \(first.describedService) and now for \(challenge.describedService); credentials go only to the first"
                ))
        }
        if firstChallenges[host] == nil { firstChallenges[host] = challenge }
        challenges[host] = challenge
        tokens[TokenKey(host: host, scopes: scopes.sorted())] = nil
        if challenge.scheme == .basic, credentials.credential(for: host) == nil { return false }
        return previous == nil || previous != challenge
    }

    private func requestToken(challenge: AuthChallenge, host: String, scopes: [String], subject: String) async throws -> CachedToken {
        guard let realm = challenge.realm, let realmURL = URL(string: realm), let realmScheme = realmURL.scheme,
            let realmHost = realmURL.host
        else {
            throw RegistryError(registry: host, subject: subject, reason: .authentication("the bearer challenge has no usable realm"))
        }
        let realmAuthority = realmURL.port.map { "\(realmHost):\($0)" } ?? realmHost
        guard Origin(realm).isTCP else {
            throw RegistryError(
                registry: host, subject: subject,
                reason: .authentication("the token service \(realm) is not an http or https URL; token requests go over TCP only"))
        }
        if realmScheme == "http", configuration.scheme(for: host) == "https", !configuration.insecureHosts.contains(realmAuthority) {
            throw RegistryError(
                registry: host, subject: subject,
                reason: .authentication(
                    "the token service \(realm) is plain HTTP behind an HTTPS registry; name it with --insecure-registry \(realmAuthority) if that is intended"
                ))
        }
        let credential = credentials.credential(for: host)
        var query: [(String, String)] = scopes.map { ("scope", $0) }
        if let service = challenge.service { query.insert(("service", service), at: 0) }

        if let credential {
            var form =
                query + [
                    ("grant_type", "password"), ("username", credential.username), ("password", credential.password),
                    ("client_id", configuration.userAgent),
                ]
            if challenge.service == nil { form.removeAll { $0.0 == "service" } }
            var request = HTTPClientRequest(url: realm)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.formEncode(form)))
            let response = try await execute(request, host: host, subject: subject)
            // Token services that do not speak OAuth2 POST (Harbor, Docker Hub with passwords) get a GET.
            if ![404, 405, 400].contains(Int(response.status.code)) {
                return try await decode(response, host: host, subject: subject, realm: realm, credential: credential)
            }
        }
        var components = URLComponents(url: realmURL, resolvingAgainstBaseURL: false)!
        components.queryItems = (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: $0.1) }
        var request = HTTPClientRequest(url: components.url!.absoluteString)
        if let credential { request.headers.add(name: "Authorization", value: credential.basicAuthorization) }
        let response = try await execute(request, host: host, subject: subject)
        return try await decode(response, host: host, subject: subject, realm: realm, credential: credential)
    }

    private func execute(_ request: HTTPClientRequest, host: String, subject: String) async throws -> HTTPClientResponse {
        var request = request
        request.headers.replaceOrAdd(name: "User-Agent", value: configuration.userAgent)
        do { return try await http.execute(request, timeout: .seconds(configuration.readTimeoutSeconds)) } catch {
            let (why, temporary) = ConnectionFailure.describe(error)
            throw RegistryError(registry: host, subject: subject, reason: .connection("token service \(request.url): \(why)"), isTemporary: temporary)
        }
    }

    private func decode(_ response: HTTPClientResponse, host: String, subject: String, realm: String, credential: Credential?) async throws
        -> CachedToken
    {
        struct TokenResponse: Decodable {
            var token: String?
            var accessToken: String?
            var expiresIn: Int?
            enum CodingKeys: String, CodingKey {
                case token
                case accessToken = "access_token"
                case expiresIn = "expires_in"
            }
        }
        let body: ByteBuffer
        do {
            body = try await withTimeLimit(seconds: configuration.timeLimit(forBytes: 1 << 20)) { try await response.body.collect(upTo: 1 << 20) }
        } catch is NIOTooManyBytesError {
            throw RegistryError(registry: host, subject: subject, reason: .authentication("the token service \(realm) answered with more than 1 MiB"))
        } catch {
            let (why, temporary) = ConnectionFailure.describe(error)
            throw RegistryError(
                registry: host, subject: subject, reason: .connection("token service \(realm): the answer broke off: \(why)"), isTemporary: temporary)
        }
        let status = Int(response.status.code)
        guard status == 200 else {
            if status == 401 || status == 403 {
                let who = credential.map { "the credentials for user \"\($0.username)\" were" } ?? "anonymous access was"
                throw RegistryError(
                    registry: host, subject: subject, reason: .authentication("\(who) rejected by the token service \(realm) (HTTP \(status))"))
            }
            throw RegistryError(
                registry: host, subject: subject, reason: .authentication("the token service \(realm) answered HTTP \(status)"),
                isTemporary: status == 429 || status >= 500)
        }
        let decoded: TokenResponse
        do { decoded = try JSONDecoder().decode(TokenResponse.self, from: Data(body.readableBytesView)) } catch {
            // The body is never quoted: it may hold a token.
            throw RegistryError(
                registry: host, subject: subject,
                reason: .authentication(
                    "the token service \(realm) answered HTTP 200 with something that is not a token response: \(error.humanDescription)"))
        }
        guard let token = decoded.token ?? decoded.accessToken, !token.isEmpty else {
            throw RegistryError(registry: host, subject: subject, reason: .authentication("the token service \(realm) returned no token"))
        }
        // Renew a little early; the spec's default lifetime is 60 s.
        let lifetime = Double(max(decoded.expiresIn ?? 60, 60)) - 10
        return CachedToken(value: token, expires: Date().addingTimeInterval(lifetime))
    }

    private static func formEncode(_ pairs: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
    }
}
