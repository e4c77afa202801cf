import NIOCore
import OCI
import Registry
import Synchronization

/// A registry as an image source: each blob downloaded from the repository that names it
/// (`BlobDownload`: resumed with `Range` when a transfer breaks off, retried with backoff).
public struct RegistrySource: BlobOpening {
    public let client: RegistryClient
    /// For each blob, the repository to fetch it from (the first image that needs it).
    public let origins: [Digest: ImageReference]

    public init(client: RegistryClient, origins: [Digest: ImageReference]) {
        self.client = client
        self.origins = origins
    }

    public func blob(_ descriptor: Descriptor) async throws -> BlobBody {
        guard let repository = origins[descriptor.digest] else { throw TransferError("blob \(descriptor.digest): no repository to fetch it from") }
        return BlobBody(client.blobDownload(descriptor, from: repository))
    }
}

/// A registry as an image destination: each blob uploaded into its home repository (the first
/// repository that needs it; `ImageRegistration` mounts it into the others). A blob that fits in
/// one piece goes up in one `PUT` (retried whole from memory); a larger one as one streamed
/// `PATCH` whose body is the pieces as they arrive, and the session is closed (`PUT ?digest=`,
/// which the registry checks) only after the body ended checked. A stream that breaks off cannot
/// be sent again from memory: the blob fails, and the copy reads it again in a repair pass.
public struct RegistryDestination: ImageDestination {
    public let client: RegistryClient
    public let homes: [Digest: ImageReference]
    /// Attempts of a one-piece upload.
    public var attempts: Int

    public init(client: RegistryClient, homes: [Digest: ImageReference], attempts: Int = 5) {
        self.client = client
        self.homes = homes
        self.attempts = attempts
    }

    func home(_ descriptor: Descriptor) throws -> ImageReference {
        guard let home = homes[descriptor.digest] else { throw TransferError("blob \(descriptor.digest): no repository to push it into") }
        return home
    }

    public func hasBlob(_ descriptor: Descriptor) async throws -> Bool {
        try await client.blobExists(descriptor.digest, size: descriptor.size, in: try home(descriptor))
    }

    public func writeBlob(_ descriptor: Descriptor, _ body: BlobBody) async throws {
        let upload = BlobUpload(client: client, repository: try home(descriptor), blob: descriptor, attempts: attempts)
        guard let first = try await body.next() else { return try await upload.monolithic(ByteBuffer()) }
        guard let second = try await body.next() else { return try await upload.monolithic(first) }
        try await upload.streamed(first: [first, second], rest: body)
    }
}

/// One blob's upload into one repository.
struct BlobUpload: Sendable {
    let client: RegistryClient
    let repository: ImageReference
    let blob: Descriptor
    let attempts: Int

    var subject: String { "\(repository.name): blob \(blob.digest)" }

    /// `POST`, one `PATCH` streaming the whole blob, `PUT ?digest=`.
    func streamed(first: [ByteBuffer], rest body: BlobBody) async throws {
        let location = try await client.startUpload(to: repository, subject: subject)
        let pieces = HeldPieces(first: first, rest: body)
        let next = try await client.uploadStream(
            StreamedBody { try await pieces.next() }, size: blob.size, location: location, repository: repository, subject: subject)
        guard pieces.ended else { throw TransferError("\(subject): the registry answered before the blob was complete") }
        try await client.completeUpload(location: next, digest: blob.digest, blobSize: blob.size, repository: repository, subject: subject)
    }

    /// One `POST` + `PUT`; after a broken connection or a session the registry dropped, a fresh
    /// session is tried, from the same bytes held in memory.
    func monolithic(_ buffer: ByteBuffer) async throws {
        let bytes = Array(buffer.readableBytesView)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let location = try await client.startUpload(to: repository, subject: subject)
                return try await client.completeUpload(
                    location: location, digest: blob.digest, finalBytes: bytes, blobSize: blob.size, repository: repository, subject: subject)
            } catch let error as RegistryError where (error.isTemporary || Self.sessionLost(error)) && attempt < attempts {
                try await Task.sleep(nanoseconds: UInt64(100_000_000 * attempt))
                continue
            }
        }
    }

    /// The registry no longer knows the upload session (distribution drops one whose request broke off).
    static func sessionLost(_ error: RegistryError) -> Bool {
        error.httpStatus == 404 && error.details.contains { $0.code == "BLOB_UPLOAD_INVALID" || $0.code == "BLOB_UPLOAD_UNKNOWN" }
    }
}

/// The pieces already taken from a body, then the rest of it; records whether it reached its end.
private final class HeldPieces: Sendable {
    private let state: Mutex<(first: [ByteBuffer], ended: Bool)>
    private let rest: BlobBody

    init(first: [ByteBuffer], rest: BlobBody) {
        state = Mutex((first, false))
        self.rest = rest
    }

    var ended: Bool { state.withLock { $0.ended } }

    func next() async throws -> ByteBuffer? {
        if let held: ByteBuffer = state.withLock({ $0.first.isEmpty ? nil : $0.first.removeFirst() }) { return held }
        let piece = try await rest.next()
        if piece == nil { state.withLock { $0.ended = true } }
        return piece
    }
}
