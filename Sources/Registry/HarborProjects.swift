import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// What became of the Harbor project a push goes into.
public enum HarborProjectOutcome: String, Sendable, Codable {
    /// The project was there already.
    case existed
    /// The project was created (private).
    case created
    /// The registry has no Harbor API (a plain OCI registry): no project to create.
    case notHarbor
}

/// Harbor's REST API v2.0, for the one thing a push needs: make sure the project exists.
/// Requests carry Basic credentials (Harbor's API does not take registry tokens).
extension RegistryClient {
    /// Looks the project up (`HEAD /api/v2.0/projects?project_name=`), creating it private when
    /// missing. `apiBase` is Harbor's URL (`https://harbor.example`); a server without Harbor's
    /// health endpoint is a plain registry (`notHarbor`).
    public func ensureHarborProject(_ name: String, apiBase: String, credential: Credential?) async throws -> HarborProjectOutcome {
        let subject = "Harbor project \(name)"
        let health = try await harborRequest(.GET, apiBase + "/api/v2.0/health", credential: nil, subject: subject)
        guard health.status == 200, health.body.first == UInt8(ascii: "{") else { return .notHarbor }
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name
        let lookup = try await harborRequest(.HEAD, apiBase + "/api/v2.0/projects?project_name=\(encoded)", credential: credential, subject: subject)
        switch lookup.status {
        case 200: return .existed
        case 404: break
        default: throw harborError(lookup, apiBase: apiBase, subject: subject, action: "look up the project")
        }
        guard let credential else {
            throw RegistryError(
                registry: apiBase, subject: subject,
                reason: .authentication("the project does not exist, and creating it needs an account (--username)"))
        }
        let body = Array(#"{"project_name":"\#(name)","metadata":{"public":"false"}}"#.utf8)
        let created = try await harborRequest(.POST, apiBase + "/api/v2.0/projects", credential: credential, body: body, subject: subject)
        switch created.status {
        case 201: return .created
        case 409: return .existed  // created by someone else meanwhile
        default: throw harborError(created, apiBase: apiBase, subject: subject, action: "create the project")
        }
    }

    struct HarborAnswer {
        var status: Int
        var body: [UInt8]
    }

    private func harborError(_ answer: HarborAnswer, apiBase: String, subject: String, action: String) -> RegistryError {
        switch answer.status {
        case 401:
            return RegistryError(
                registry: apiBase, subject: subject,
                reason: .authentication("cannot \(action): the user name or password was not accepted (HTTP 401)"))
        case 403:
            return RegistryError(
                registry: apiBase, subject: subject,
                reason: .authentication(
                    "cannot \(action): this account may not (HTTP 403); ask a Harbor administrator to create the project, or push into one you may write to"
                ))
        default:
            let words = String(decoding: answer.body.prefix(300), as: UTF8.self)
            return RegistryError(registry: apiBase, subject: subject, reason: .content("cannot \(action): HTTP \(answer.status) \(words)"))
        }
    }

    /// One API call with retries for 429, 5xx and broken connections.
    private func harborRequest(_ method: HTTPMethod, _ url: String, credential: Credential?, body: [UInt8]? = nil, subject: String) async throws
        -> HarborAnswer
    {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            request.headers.add(name: "Accept", value: "application/json")
            if let credential { request.headers.add(name: "Authorization", value: credential.basicAuthorization) }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(body)
            }
            do {
                let response = try await http.execute(request, timeout: .seconds(configuration.readTimeoutSeconds))
                let status = Int(response.status.code)
                let bytes = method == .HEAD ? [] : Array((try await collect(response, upTo: 1 << 20)).readableBytesView)
                let temporary = status == 429 || (500...599).contains(status) && status != 501
                if temporary, attempt < configuration.retry.maxAttempts {
                    try await configuration.retry.sleep(
                        afterAttempt: attempt, retryAfter: response.headers.first(name: "Retry-After").flatMap(Double.init))
                    continue
                }
                return HarborAnswer(status: status, body: bytes)
            } catch let error as RegistryError {
                throw error
            } catch {
                let (why, temporary) = ConnectionFailure.describe(error)
                if temporary, attempt < configuration.retry.maxAttempts {
                    try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: nil)
                    continue
                }
                throw RegistryError(registry: url, subject: subject, reason: .connection(why), isTemporary: temporary)
            }
        }
    }
}
