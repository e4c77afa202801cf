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

    /// Streams a blob into `layout`, checking size and digest while it arrives. A transfer that
    /// breaks off resumes with a `Range` request where the registry allows it. Nothing appears in
    /// the layout unless the whole blob matches its digest and is on disk (`fsync`ed). Disk writes
    /// run off the cooperative thread pool (`BlockingWork`), about 1 MiB at a time.
    public func fetchBlob(
        _ descriptor: Descriptor, from repository: ImageReference, into layout: OCILayout,
        progress: @escaping @Sendable (Int64) -> Void = { _ in }
    ) async throws {
        let subject = "\(repository.name): blob \(descriptor.digest)"
        func contentError(_ why: String) -> RegistryError {
            RegistryError(registry: repository.registry, subject: subject, reason: .content(why))
        }
        func writeError(_ error: BlobWriteError) -> RegistryError {
            if case .io(let failure) = error {
                return RegistryError(registry: repository.registry, subject: subject, reason: .storage(failure.description))
            }
            return contentError(error.description)
        }
        func newWriter() async throws -> BlobWriter {
            do { return try await BlockingWork.run { try layout.blobWriter(for: descriptor) } } catch let error as FileSystemError {
                throw RegistryError(registry: repository.registry, subject: subject, reason: .storage(error.description))
            }
        }
        var writer = try await newWriter()
        var attempt = 0
        while true {
            attempt += 1
            var request = RegistryRequest(
                host: repository.apiHost, path: "/v2/\(repository.repository)/blobs/\(descriptor.digest)",
                scopes: ["repository:\(repository.repository):pull"], subject: subject)
            let offset = writer.bytesWritten
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            let response = try await send(request)
            if offset > 0 {
                let resumed =
                    response.status.code == 206
                    && response.headers.first(name: "Content-Range")?.hasPrefix("bytes \(offset)-") == true
                if !resumed {
                    // The registry sent the whole blob again: start over.
                    progress(-offset)
                    writer.discard()
                    writer = try await newWriter()
                }
            }
            let remaining = descriptor.size - writer.bytesWritten
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length != remaining {
                await drain(response)
                throw contentError(
                    length < remaining
                        ? "the blob is truncated: the registry sends \(length) bytes where \(remaining) are expected (\(descriptor.size) in all)"
                        : "the registry sends \(length) bytes where the manifest declares \(remaining)")
            }
            do {
                do {
                    // The whole body within its time limit: a registry that trickles it one byte
                    // at a time keeps each read under the read timeout, not the transfer.
                    try await withTimeLimit(seconds: configuration.timeLimit(forBytes: remaining)) { [writer] in
                        var batch = ChunkBatch()
                        do {
                            for try await chunk in response.body {
                                batch.append(chunk)
                                progress(Int64(chunk.readableBytes))
                                if batch.isFull { try await Self.write(batch.take(), to: writer) }
                            }
                            try await Self.write(batch.take(), to: writer)
                        } catch let error as BlobWriteError {
                            throw error
                        } catch {
                            // The bytes that did arrive are good: keep them, so a resume starts after them.
                            try await Self.write(batch.take(), to: writer)
                            throw error
                        }
                    }
                } catch let error as BlobWriteError {
                    throw error
                } catch {
                    let (why, temporary) = ConnectionFailure.describe(error)
                    guard temporary, attempt < configuration.retry.maxAttempts else {
                        let got = writer.bytesWritten
                        throw RegistryError(
                            registry: repository.registry, subject: subject,
                            reason: .connection(
                                "the transfer broke off after \(got) of \(descriptor.size) bytes, \(attempt) time(s) (the blob is truncated on the registry, or the connection keeps failing): \(why)"
                            ),
                            isTemporary: temporary)
                    }
                    try await configuration.retry.sleep(afterAttempt: attempt, retryAfter: nil)
                    continue
                }
                try await BlockingWork.run { [writer] in try writer.commit() }
            } catch let error as BlobWriteError {
                throw writeError(error)
            }
            return
        }
    }

    /// Hashes and writes chunks to a blob file on a blocking-work thread.
    private static func write(_ chunks: [ByteBuffer], to writer: BlobWriter) async throws {
        guard !chunks.isEmpty else { return }
        try await BlockingWork.run {
            for chunk in chunks { try chunk.withUnsafeReadableBytes { try writer.write($0) } }
        }
    }
}
