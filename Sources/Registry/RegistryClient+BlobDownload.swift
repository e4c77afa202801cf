import AsyncHTTPClient
import Foundation
import NIOCore
import OCI
import System

extension RegistryClient {
    /// A blob's bytes as they arrive from `repository` (see `BlobDownload`).
    public func blobDownload(_ descriptor: Descriptor, from repository: ImageReference, progress: @escaping @Sendable (Int64) -> Void = { _ in })
        -> BlobDownload
    {
        BlobDownload(client: self, descriptor: descriptor, repository: repository, progress: progress)
    }
}

/// A blob's bytes from a registry, as one sequence however often the connection breaks: a
/// transfer that breaks off is resumed with a `Range` request (after the retry policy's backoff),
/// and where the registry sends the whole blob again the bytes already handed out are skipped.
/// Each request's body must arrive within its time limit (`RegistryConfiguration.timeLimit`): a
/// registry that trickles it one byte at a time keeps each read under the read timeout, not the
/// transfer. Size and digest are the reader's to check (the layout's `BlobWriter`, the copy).
public struct BlobDownload: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let client: RegistryClient
    let descriptor: Descriptor
    let repository: ImageReference
    let progress: @Sendable (Int64) -> Void

    var subject: String { "\(repository.name): blob \(descriptor.digest)" }

    public func makeAsyncIterator() -> Iterator { Iterator(self) }

    /// The error a failure while storing this blob becomes: named by registry and blob.
    public func failure(_ error: Error) -> Error {
        switch error {
        case let error as BlobWriteError:
            if case .io(let failure) = error {
                return RegistryError(registry: repository.registry, subject: subject, reason: .storage(failure.description))
            }
            return RegistryError(registry: repository.registry, subject: subject, reason: .content(error.description))
        case let error as FileSystemError:
            return RegistryError(registry: repository.registry, subject: subject, reason: .storage(error.description))
        default:
            return error
        }
    }

    /// Reads one response at a time. `Sendable` only so that a request body can pull from it;
    /// one consumer calls `next` at a time (the `AsyncIteratorProtocol` contract), so its state is
    /// never touched from two threads at once — which the compiler cannot see.
    public final class Iterator: AsyncIteratorProtocol, @unchecked Sendable {
        private let download: BlobDownload
        private var body: HTTPClientResponse.Body.AsyncIterator?
        private var deadline = Date.distantFuture
        private var limit = 0.0
        private var attempt = 0
        /// Bytes handed out so far, and bytes of a resent body still to drop.
        private var delivered: Int64 = 0
        private var skip: Int64 = 0
        private var finished = false

        init(_ download: BlobDownload) { self.download = download }

        public func next() async throws -> ByteBuffer? {
            let client = download.client, size = download.descriptor.size
            while !finished {
                do {
                    if body == nil { try await open() }
                    guard var chunk = try await body?.next() else {
                        finished = true
                        return nil
                    }
                    if Date() > deadline { throw RequestDeadlineExceeded(seconds: limit) }
                    if skip > 0 {
                        let dropped = Swift.min(skip, Int64(chunk.readableBytes))
                        chunk.moveReaderIndex(forwardBy: Int(dropped))
                        skip -= dropped
                        if chunk.readableBytes == 0 { continue }
                    }
                    delivered += Int64(chunk.readableBytes)
                    download.progress(Int64(chunk.readableBytes))
                    return chunk
                } catch let error as RegistryError {
                    throw error
                } catch {
                    body = nil
                    let (why, temporary) = ConnectionFailure.describe(error)
                    guard temporary, attempt < client.configuration.retry.maxAttempts else {
                        throw RegistryError(
                            registry: download.repository.registry, subject: download.subject,
                            reason: .connection(
                                "the transfer broke off after \(delivered) of \(size) bytes, \(attempt) time(s) (the blob is truncated on the registry, or the connection keeps failing): \(why)"
                            ),
                            isTemporary: temporary)
                    }
                    try await client.configuration.retry.sleep(afterAttempt: attempt, retryAfter: nil)
                }
            }
            return nil
        }

        /// Sends the next request: from the first byte not yet handed out.
        private func open() async throws {
            let client = download.client, descriptor = download.descriptor, repository = download.repository
            attempt += 1
            var request = RegistryRequest(
                host: repository.apiHost, path: "/v2/\(repository.repository)/blobs/\(descriptor.digest)",
                scopes: ["repository:\(repository.repository):pull"], subject: download.subject)
            if delivered > 0 { request.headers.add(name: "Range", value: "bytes=\(delivered)-") }
            let response = try await client.send(request)
            var from = delivered
            if delivered > 0 {
                let resumed = response.status.code == 206 && response.headers.first(name: "Content-Range")?.hasPrefix("bytes \(delivered)-") == true
                // The registry sent the whole blob again: what was handed out already is dropped.
                if !resumed { from = 0 }
            }
            skip = delivered - from
            let remaining = descriptor.size - from
            if let length = response.headers.first(name: "Content-Length").flatMap(Int64.init), length != remaining {
                await client.drain(response)
                throw RegistryError(
                    registry: repository.registry, subject: download.subject,
                    reason: .content(
                        length < remaining
                            ? "the blob is truncated: the registry sends \(length) bytes where \(remaining) are expected (\(descriptor.size) in all)"
                            : "the registry sends \(length) bytes where the manifest declares \(remaining)"))
            }
            limit = client.configuration.timeLimit(forBytes: remaining)
            deadline = Date().addingTimeInterval(limit)
            body = response.body.makeAsyncIterator()
        }
    }
}
