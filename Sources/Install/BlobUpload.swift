import Bundle
import OCI
import Registry

/// Uploads one blob as its chunks arrive from the archive. A blob that fits in one chunk goes up
/// in one `PUT` (retried whole from memory); a larger one in `PATCH` chunks, each kept in memory
/// until the registry has it, resuming from the registry's own offset after a broken connection.
/// The session is closed (`PUT ?digest=`, which the registry checks) only after the reader said
/// the entry's SHA-256 matched the signed bundle.json.
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
            if content.size == 0 { return try await monolithic([]) }
            throw InstallError.verification("\(subject): the upload was abandoned")
        }
        let second = await channel.receive()
        switch second {
        case .end:
            return try await monolithic(first)
        case .abandoned:
            throw InstallError.verification("\(subject): the upload was abandoned")
        case .chunk(let next):
            var location = try await client.startUpload(to: repository, subject: subject)
            var offset: Int64 = 0
            location = try await send(first, at: &offset, location: location)
            location = try await send(next, at: &offset, location: location)
            while true {
                switch await channel.receive() {
                case .chunk(let bytes): location = try await send(bytes, at: &offset, location: location)
                case .end:
                    guard offset == content.size else {
                        throw InstallError.verification("\(subject): \(offset) bytes arrived, bundle.json says \(content.size)")
                    }
                    return try await client.completeUpload(location: location, digest: content.digest, repository: repository, subject: subject)
                case .abandoned:
                    throw InstallError.verification("\(subject): the upload was abandoned")
                }
            }
        }
    }

    /// One `POST` + `PUT`; after a broken connection or a session the registry dropped, a fresh
    /// session is tried, from the same bytes held in memory.
    private func monolithic(_ bytes: [UInt8]) async throws {
        var attempt = 0
        while true {
            attempt += 1
            do {
                let location = try await client.startUpload(to: repository, subject: subject)
                return try await client.completeUpload(
                    location: location, digest: content.digest, finalBytes: bytes, repository: repository, subject: subject)
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

    /// Sends a chunk; after a broken connection asks the registry how much it has and resends the rest.
    private func send(_ bytes: [UInt8], at offset: inout Int64, location: String) async throws -> String {
        var location = location
        var sent = 0
        var failures = 0
        while sent < bytes.count {
            do {
                let part = sent == 0 ? bytes : Array(bytes[sent...])
                location = try await client.uploadChunk(part, at: offset + Int64(sent), location: location, repository: repository, subject: subject)
                sent = bytes.count
            } catch let error as RegistryError where error.isTemporary || error.httpStatus == 416 {
                failures += 1
                guard failures < attempts else { throw error }
                try await Task.sleep(nanoseconds: UInt64(200_000_000 * failures))
                // The registry may keep the session and what arrived (resume from its offset), or
                // drop it (then the blob is sent again in a repair pass over the archive).
                let status = try await client.uploadOffset(location: location, repository: repository, subject: subject)
                location = status.location
                let held = status.offset - offset
                guard held >= 0, held <= Int64(bytes.count) else {
                    throw InstallError.registry(
                        "\(subject): after a broken upload the registry holds \(status.offset) bytes, which this chunk (\(offset)…\(offset + Int64(bytes.count))) cannot continue"
                    )
                }
                sent = Int(held)
            }
        }
        offset += Int64(bytes.count)
        return location
    }
}
