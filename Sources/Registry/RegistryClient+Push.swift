import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI

extension RegistryClient {
    /// Whether the repository already holds a blob (`HEAD`; 404 means no). An answer that names
    /// another digest (`Docker-Content-Digest`) or another size (`Content-Length`, when `size` is
    /// given) is a mismatch and an error, never "already there"; an answer without a length is
    /// taken as "not there" when the size matters, so the blob is sent again.
    public func blobExists(_ digest: Digest, size: Int64?, in repository: ImageReference) async throws -> Bool {
        let subject = "\(repository.name): blob \(digest)"
        let request = RegistryRequest(
            method: .HEAD, host: repository.apiHost, path: "/v2/\(repository.repository)/blobs/\(digest)",
            scopes: scopes(repository), subject: subject)
        let response = try await send(request, passing: [404])
        await drain(response)
        if response.status.code == 404 { return false }
        if let announced = try Self.announcedDigest(response.headers, registry: repository.registry, subject: subject), announced != digest {
            throw RegistryError(
                registry: repository.registry, subject: subject,
                reason: .content("asked for the blob \(digest), the registry answers for \(announced)"))
        }
        guard let size else { return true }
        guard let header = response.headers.first(name: "Content-Length") else { return false }
        guard let length = Int64(header.trimmingCharacters(in: .whitespaces)), length == size else {
            throw RegistryError(
                registry: repository.registry, subject: subject,
                reason: .content("the registry holds it with \(header) bytes, where the bundle says \(size)"))
        }
        return true
    }

    /// Uploads a blob in one streamed `PUT` (POST for a session, then PUT with the digest).
    public func uploadBlob(_ body: BlobSource, as descriptor: Descriptor, to repository: ImageReference) async throws {
        let subject = "\(repository.name): blob \(descriptor.digest)"
        let base = try await startUpload(to: repository, subject: subject)
        let separator = base.contains("?") ? "&" : "?"
        var put = RegistryRequest(
            method: .PUT, host: repository.apiHost, path: "", url: base + separator + "digest=\(descriptor.digest)",
            scopes: scopes(repository), subject: subject)
        put.headers.add(name: "Content-Type", value: "application/octet-stream")
        put.headers.add(name: "Content-Length", value: String(descriptor.size))
        switch body {
        case .bytes(let bytes): put.body = .bytes(bytes)
        case .file(let path): put.body = .file(path: path, size: descriptor.size)
        }
        let done = try await send(put)
        await drain(done)
    }

    /// Puts a manifest under a tag or digest; returns the digest the registry announces (or ours).
    @discardableResult
    public func putManifest(_ bytes: [UInt8], mediaType: String, reference: String, in repository: ImageReference) async throws -> Digest {
        var request = RegistryRequest(
            method: .PUT, host: repository.apiHost, path: "/v2/\(repository.repository)/manifests/\(reference)",
            scopes: scopes(repository), subject: "\(repository.name):\(reference)")
        request.headers.add(name: "Content-Type", value: mediaType)
        request.body = .bytes(bytes)
        let response = try await send(request)
        await drain(response)
        // A registry that announces no digest gets ours; one that announces a malformed digest is an error.
        return try Self.announcedDigest(response.headers, registry: repository.registry, subject: "\(repository.name):\(reference)")
            ?? Digest.of(bytes)
    }
}

/// Where an uploaded blob's bytes come from.
public enum BlobSource: Sendable {
    case bytes([UInt8])
    case file(String)
}
