import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

/// The upload side of the distribution API beyond a one-shot blob: cross-repository mounts,
/// a blob streamed in one request, and manifest lookups.
extension RegistryClient {
    func scopes(_ repository: ImageReference, mountingFrom source: ImageReference? = nil) -> [String] {
        var scopes = ["repository:\(repository.repository):pull,push"]
        if let source, source.repository != repository.repository { scopes.append("repository:\(source.repository):pull") }
        return scopes
    }

    /// Asks the registry to link a blob it already holds in `source` into `repository`. True when
    /// mounted (201); false when the registry opened an upload session instead (202), which is
    /// cancelled, so the caller uploads the bytes.
    public func mountBlob(_ digest: Digest, from source: ImageReference, into repository: ImageReference) async throws -> Bool {
        let subject = "\(repository.name): blob \(digest)"
        let query = "mount=\(digest)&from=\(source.repository)"
        let request = RegistryRequest(
            method: .POST, host: repository.apiHost, path: "/v2/\(repository.repository)/blobs/uploads/?\(query)",
            scopes: scopes(repository, mountingFrom: source), subject: subject)
        let response = try await send(request)
        // Draining a small body we do not need; a failure to read it changes nothing.
        await drain(response)
        if response.status.code == 201 { return true }
        if let location = response.headers.first(name: "Location"), let url = try? uploadLocation(location, repository: repository, subject: "") {
            let cancel = RegistryRequest(method: .DELETE, host: repository.apiHost, path: "", url: url, scopes: scopes(repository), subject: subject)
            if let cancelled = try? await send(cancel, passing: [404, 405]) { await drain(cancelled) }
        }
        return false
    }

    /// Opens an upload session; returns its absolute location.
    public func startUpload(to repository: ImageReference, subject: String) async throws -> String {
        let request = RegistryRequest(
            method: .POST, host: repository.apiHost, path: "/v2/\(repository.repository)/blobs/uploads/",
            scopes: scopes(repository), subject: subject)
        let response = try await send(request)
        await drain(response)
        return try self.location(of: response, repository: repository, subject: subject)
    }

    /// Sends a whole blob as one streamed `PATCH` (`Content-Length` of the blob, no
    /// `Content-Range`): the registry stores it in one go, where a chain of chunks costs it an
    /// `fsync` of the session state per chunk. Never resent (the stream cannot be read twice);
    /// returns the next location.
    public func uploadStream(_ body: StreamedBody, size: Int64, location: String, repository: ImageReference, subject: String) async throws
        -> String
    {
        var request = RegistryRequest(method: .PATCH, host: repository.apiHost, path: "", url: location, scopes: scopes(repository), subject: subject)
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Content-Length", value: String(size))
        request.body = .stream(body, size: size)
        let response = try await send(request, retrying: false)
        await drain(response)
        return try self.location(of: response, repository: repository, subject: subject)
    }

    /// Closes an upload session with the blob's digest (the registry checks it). `blobSize`, the
    /// whole blob's, extends the request's time limit: a registry may hash the blob again before
    /// it answers.
    public func completeUpload(
        location: String, digest: Digest, finalBytes: [UInt8] = [], blobSize: Int64 = 0, repository: ImageReference, subject: String
    ) async throws {
        let separator = location.contains("?") ? "&" : "?"
        var request = RegistryRequest(
            method: .PUT, host: repository.apiHost, path: "", url: location + separator + "digest=\(digest)",
            scopes: scopes(repository), subject: subject)
        request.workBytes = blobSize
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "Content-Length", value: String(finalBytes.count))
        request.body = .bytes(finalBytes)
        // A PUT that carries bytes is not resent blindly: a broken one may leave the session
        // invalid; the caller starts a fresh session instead.
        let response = try await send(request, retrying: finalBytes.isEmpty)
        await drain(response)
    }

    /// The digest a tag or digest resolves to in `repository` (`HEAD` on the manifest), or nil
    /// when the registry does not have it.
    public func manifestDigest(_ reference: String, in repository: ImageReference) async throws -> Digest? {
        var request = RegistryRequest(
            method: .HEAD, host: repository.apiHost, path: "/v2/\(repository.repository)/manifests/\(reference)",
            scopes: ["repository:\(repository.repository):pull"], subject: "\(repository.name):\(reference)")
        request.headers.add(name: "Accept", value: MediaType.acceptedManifests.joined(separator: ", "))
        let response = try await send(request, passing: [404])
        if response.status.code == 404 { return nil }
        guard let header = response.headers.first(name: "Docker-Content-Digest") else {
            throw RegistryError(
                registry: repository.registry, subject: "\(repository.name):\(reference)",
                reason: .content("the manifest answer has no Docker-Content-Digest header"))
        }
        do { return try Digest(header) } catch {
            throw RegistryError(
                registry: repository.registry, subject: "\(repository.name):\(reference)",
                reason: .content("a malformed Docker-Content-Digest header: \(error)"))
        }
    }

    private func location(of response: HTTPClientResponse, repository: ImageReference, subject: String) throws -> String {
        guard let header = response.headers.first(name: "Location") else {
            throw RegistryError(registry: repository.registry, subject: subject, reason: .content("the upload session has no Location"))
        }
        return try uploadLocation(header, repository: repository, subject: subject)
    }

    /// An upload session's `Location` as an absolute URL, which must be on the registry's own
    /// origin (scheme, host and port): a blob and its credentials are never sent anywhere else,
    /// nor to a local socket (`http+unix://`).
    func uploadLocation(_ location: String, repository: ImageReference, subject: String) throws -> String {
        let base = baseURL(configuration.endpoint(for: repository.apiHost))
        guard let url = URL(string: location, relativeTo: URL(string: base + "/"))?.absoluteString else {
            throw RegistryError(
                registry: repository.registry, subject: subject, reason: .content("the upload session's Location \(location) is not a URL"))
        }
        guard Origin(url) == Origin(base) else {
            throw RegistryError(
                registry: repository.registry, subject: subject,
                reason: .content(
                    "the upload session's Location \(location) is not on \(Origin(base)); a blob is uploaded only to the registry it is pushed to"
                ))
        }
        return url
    }
}
