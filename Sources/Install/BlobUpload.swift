import Bundle
import NIOCore
import OCI
import Registry
import Synchronization

/// Uploads one blob as its chunks arrive from the archive. A blob that fits in one chunk goes up
/// in one `PUT` (retried whole from memory); a larger one as one streamed `PATCH` whose body is
/// the chunks as they arrive (a chain of chunk requests costs the registry an `fsync` per chunk).
/// The body ends only after the reader said the entry's SHA-256 matched the signed bundle.json,
/// and the session is closed (`PUT ?digest=`, which the registry checks) only then. A stream that
/// breaks off cannot be sent again from memory: the blob is recorded as failed, and the pusher
/// sends it again in a repair pass over the archive.
struct BlobUpload: Sendable {
    let client: RegistryClient
    let repository: ImageReference
    let content: BundleIndex.Content
    let attempts: Int

    var subject: String { "\(repository.name): blob \(content.digest)" }

    func run(_ channel: ChunkChannel) async throws {
        do {
            try await upload(channel)
        } catch {
            channel.closeReceiving()
            throw error
        }
    }

    private func upload(_ channel: ChunkChannel) async throws {
        guard case .chunk(let first) = await channel.receive() else {
            // An empty blob, or an abandoned one.
            if content.size == 0 { return try await monolithic(ByteBuffer()) }
            throw InstallError.verification("\(subject): the upload was abandoned")
        }
        switch await channel.receive() {
        case .end:
            return try await monolithic(first)
        case .abandoned:
            throw InstallError.verification("\(subject): the upload was abandoned")
        case .chunk(let second):
            try await streamed(first: [first, second], rest: channel)
        }
    }

    /// `POST`, one `PATCH` streaming the whole blob, `PUT ?digest=`.
    private func streamed(first: [ByteBuffer], rest channel: ChunkChannel) async throws {
        let location = try await client.startUpload(to: repository, subject: subject)
        let body = BodyPieces(first: first, channel: channel, size: content.size, subject: subject)
        let next = try await client.uploadStream(
            StreamedBody { try await body.next() }, size: content.size, location: location, repository: repository, subject: subject)
        guard body.ended else { throw InstallError.verification("\(subject): the registry answered before the blob was complete") }
        try await client.completeUpload(
            location: next, digest: content.digest, blobSize: content.size, repository: repository, subject: subject)
    }

    /// One `POST` + `PUT`; after a broken connection or a session the registry dropped, a fresh
    /// session is tried, from the same bytes held in memory.
    private func monolithic(_ buffer: ByteBuffer) async throws {
        let bytes = Array(buffer.readableBytesView)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let location = try await client.startUpload(to: repository, subject: subject)
                return try await client.completeUpload(
                    location: location, digest: content.digest, finalBytes: bytes, blobSize: content.size, repository: repository,
                    subject: subject)
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

/// The body of a streamed upload: the chunks already received, then the channel's until `.end`
/// (the entry verified). Counts the bytes, so a blob longer or shorter than bundle.json says
/// never completes.
private final class BodyPieces: Sendable {
    private struct State {
        var first: [ByteBuffer]
        var sent: Int64 = 0
        var ended = false
    }

    private let state: Mutex<State>
    private let channel: ChunkChannel
    private let size: Int64
    private let subject: String

    init(first: [ByteBuffer], channel: ChunkChannel, size: Int64, subject: String) {
        state = Mutex(State(first: first))
        self.channel = channel
        self.size = size
        self.subject = subject
    }

    var ended: Bool { state.withLock { $0.ended } }

    func next() async throws -> ByteBuffer? {
        let held: ByteBuffer? = state.withLock { $0.first.isEmpty ? nil : $0.first.removeFirst() }
        let item: ChunkChannel.Item
        if let held { item = .chunk(held) } else { item = await channel.receive() }
        switch item {
        case .chunk(let bytes):
            let sent = state.withLock {
                $0.sent += Int64(bytes.readableBytes); return $0.sent
            }
            guard sent <= size else { throw InstallError.verification("\(subject): more bytes arrived than bundle.json's \(size)") }
            return bytes
        case .end:
            let sent = state.withLock {
                $0.ended = true; return $0.sent
            }
            guard sent == size else { throw InstallError.verification("\(subject): \(sent) bytes arrived, bundle.json says \(size)") }
            return nil
        case .abandoned:
            throw InstallError.verification("\(subject): the upload was abandoned")
        }
    }
}
