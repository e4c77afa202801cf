import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OCI
import System

extension RegistryClient {
    /// The largest manifest we accept (the distribution spec's limit is 4 MiB).
    static let manifestLimit = 4 << 20

    /// Fetches a manifest by the reference's digest (if pinned) or tag, and checks its digest:
    /// against the pin, or against the registry's `Docker-Content-Digest` header for tags.
    public func manifest(for reference: ImageReference) async throws -> ManifestDocument {
        let document = try await manifest(in: reference, named: reference.manifestReference, subject: reference.description)
        if let pinned = reference.digest, document.digest != pinned {
            throw RegistryError(
                registry: reference.registry, subject: reference.description,
                reason: .content("the manifest's digest is \(document.digest), not the pinned \(pinned)"))
        }
        return document
    }

    /// Fetches the manifest `digest` from the reference's repository and checks its digest.
    public func manifest(in repository: ImageReference, digest: Digest) async throws -> ManifestDocument {
        let subject = "\(repository.name)@\(digest)"
        let document = try await manifest(in: repository, named: digest.description, subject: subject)
        guard document.digest == digest else {
            throw RegistryError(
                registry: repository.registry, subject: subject, reason: .content("the manifest's digest is \(document.digest), not \(digest)"))
        }
        return document
    }

    private func manifest(in repository: ImageReference, named name: String, subject: String) async throws -> ManifestDocument {
        var request = RegistryRequest(
            host: repository.apiHost, path: "/v2/\(repository.repository)/manifests/\(name)",
            scopes: ["repository:\(repository.repository):pull"], subject: subject)
        request.headers.add(name: "Accept", value: MediaType.acceptedManifests.joined(separator: ", "))
        let response = try await send(request)
        let body = try await collectBody(response, upTo: Self.manifestLimit, what: "the manifest", registry: repository.registry, subject: subject)
        let bytes = Array(buffer: body)
        let document: ManifestDocument
        do { document = try ManifestDocument(bytes: bytes, declaredType: response.headers.first(name: "Content-Type")) } catch {
            throw RegistryError(registry: repository.registry, subject: subject, reason: .content(error.description))
        }
        if let announced = try Self.announcedDigest(response.headers, registry: repository.registry, subject: subject), announced != document.digest {
            throw RegistryError(
                registry: repository.registry, subject: subject,
                reason: .content("the manifest's bytes hash to \(document.digest) but the registry announced \(announced)"))
        }
        return document
    }

    /// The digest a registry announces in `Docker-Content-Digest`: nil when the header is absent,
    /// or names a well-formed digest of another algorithm than sha256 (we check sha256 ourselves
    /// either way). A malformed header is an error: the registry or a proxy is broken.
    static func announcedDigest(_ headers: HTTPHeaders, registry: String, subject: String) throws(RegistryError) -> Digest? {
        guard let header = headers.first(name: "Docker-Content-Digest") else { return nil }
        let value = header.trimmingCharacters(in: .whitespaces)
        do { return try Digest(value) } catch {
            if !value.hasPrefix("sha256:"), value.wholeMatch(of: /[a-z0-9]+([+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+/) != nil { return nil }
            throw RegistryError(
                registry: registry, subject: subject,
                reason: .content("its Docker-Content-Digest header \"\(value)\" is malformed: \(error.reason)"))
        }
    }

    /// Streams a blob into `layout`, checking size and digest while it arrives (`BlobDownload`
    /// resumes a transfer that breaks off). Nothing appears in the layout unless the whole blob
    /// matches its digest and is on disk (`fsync`ed).
    public func fetchBlob(
        _ descriptor: Descriptor, from repository: ImageReference, into layout: OCILayout,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) async throws {
        let download = blobDownload(descriptor, from: repository, progress: progress)
        do { try await layout.ingest(descriptor, from: download) } catch {
            throw download.failure(error)
        }
    }
}
