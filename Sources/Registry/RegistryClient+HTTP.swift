import AsyncHTTPClient
import Foundation
import NIOCore
import OCI
import System

extension RegistryClient {
    /// GETs a small document (a chart repository's `index.yaml`) with the client's TLS, credentials
    /// and retries. Plain `http://` only for hosts named insecure.
    public func fetchDocument(_ url: String, limit: Int = 256 << 20, subject: String) async throws -> [UInt8] {
        let url = configuration.mirrored(url: url)
        let host = try checkedHost(url, subject: subject)
        let response = try await send(RegistryRequest(host: host, path: "", url: url, scopes: [], subject: subject))
        return Array(buffer: try await collectBody(response, upTo: limit, what: "the document", registry: host, subject: subject))
    }

    /// A whole small response body. Too large is the registry's content; a broken transfer is the connection's.
    func collectBody(_ response: HTTPClientResponse, upTo limit: Int, what: String, registry: String, subject: String) async throws -> ByteBuffer {
        do { return try await collect(response, upTo: limit) } catch is NIOTooManyBytesError {
            throw RegistryError(registry: registry, subject: subject, reason: .content("\(what) is larger than \(limit) bytes"))
        } catch {
            let (why, temporary) = ConnectionFailure.describe(error)
            throw RegistryError(registry: registry, subject: subject, reason: .connection("\(what) broke off: \(why)"), isTemporary: temporary)
        }
    }

    /// GETs a file into `path` (atomically and durably: a temporary file, `fsync`, rename), hashing
    /// it while it streams; fails when `expectedSHA256` is given and differs. Returns the SHA-256 hex.
    @discardableResult
    public func download(_ url: String, to path: String, expectedSHA256: String?, subject: String) async throws -> String {
        let url = configuration.mirrored(url: url)
        let host = try checkedHost(url, subject: subject)
        let response = try await send(RegistryRequest(host: host, path: "", url: url, scopes: [], subject: subject))
        func storageError(_ error: Error) -> RegistryError {
            RegistryError(registry: host, subject: subject, reason: .storage("\(error)"))
        }
        let file: DownloadFile
        do { file = try await BlockingWork.run { try DownloadFile(path: path) } } catch { throw storageError(error) }
        // The whole body within the time limit of its announced length (or of the document limit).
        let expected = response.headers.first(name: "Content-Length").flatMap(Int64.init) ?? (256 << 20)
        do {
            try await withTimeLimit(seconds: configuration.timeLimit(forBytes: expected)) {
                try await ChunkBatch.write(response.body, to: file.write)
            }
        } catch let error as FileSystemError {
            file.discard()
            throw storageError(error)
        } catch {
            file.discard()
            let (why, temporary) = ConnectionFailure.describe(error)
            throw RegistryError(registry: host, subject: subject, reason: .connection(why), isTemporary: temporary)
        }
        let actual = file.sha256Hex
        if let expectedSHA256, expectedSHA256.lowercased() != actual {
            file.discard()
            throw RegistryError(
                registry: host, subject: subject,
                reason: .content("the archive's SHA-256 is \(actual), but the repository index says \(expectedSHA256)"))
        }
        do { try await BlockingWork.run { try file.commit() } } catch { throw storageError(error) }
        return actual
    }

    /// The tags of a repository (`/v2/NAME/tags/list`).
    public func listTags(_ repository: ImageReference) async throws -> [String] {
        struct TagList: Decodable { var tags: [String]? }
        let subject = "\(repository.name): tag list"
        let request = RegistryRequest(
            host: repository.apiHost, path: "/v2/\(repository.repository)/tags/list",
            scopes: ["repository:\(repository.repository):pull"], subject: subject)
        let response = try await send(request)
        let body = try await collectBody(response, upTo: 16 << 20, what: "the tag list", registry: repository.registry, subject: subject)
        do {
            // A repository without tags may answer `"tags": null`.
            return try JSONDecoder().decode(TagList.self, from: Data(body.readableBytesView)).tags ?? []
        } catch {
            throw RegistryError(
                registry: repository.registry, subject: subject,
                reason: .content("the tag list is not the JSON the distribution API defines: \(error.humanDescription)"))
        }
    }

    private func checkedHost(_ url: String, subject: String) throws -> String {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host else {
            throw RegistryError(registry: url, subject: subject, reason: .content("\(url) is not a URL"))
        }
        let authority = parsed.port.map { "\(host):\($0)" } ?? host
        if scheme == "http", !configuration.insecureHosts.contains(authority) {
            throw RegistryError(
                registry: authority, subject: subject,
                reason: .connection("\(url) is plain HTTP; name the host with --insecure-registry \(authority) to allow it"))
        }
        return authority
    }
}
