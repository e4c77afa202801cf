import Integrity
import NIOCore
import OCI
import Synchronization

/// A body checked against its descriptor while it streams (go-containerregistry's
/// `verify.ReadCloser`): more bytes than declared fail at once, and the end fails unless the size
/// and (when `hashing`) the SHA-256 match; a mismatch is a `BlobWriteError` carrying what was
/// expected and what arrived. The destination sees the end only when the blob is right.
final class VerifiedBody: Sendable {
    private struct State {
        var count: Int64 = 0
        var hasher: SHA256Hasher?
        var ended = false
    }

    private let body: BlobBody
    private let descriptor: Descriptor
    private let state: Mutex<State>
    private let progress: @Sendable (Int64) -> Void

    init(_ body: BlobBody, _ descriptor: Descriptor, hashing: Bool, progress: @escaping @Sendable (Int64) -> Void) {
        self.body = body
        self.descriptor = descriptor
        self.progress = progress
        state = Mutex(State(hasher: hashing ? SHA256Hasher() : nil))
    }

    /// Whether the body reached its end, checked.
    var ended: Bool { state.withLock { $0.ended } }

    var checked: BlobBody {
        BlobBody(checkedBySource: true, abandon: body.abandonReading) { try await self.next() }
    }

    private func next() async throws -> ByteBuffer? {
        guard let piece = try await body.next() else {
            try state.withLock { (state: inout State) throws(BlobWriteError) in
                guard state.count == descriptor.size else {
                    throw .sizeMismatch(digest: descriptor.digest, expected: descriptor.size, actual: state.count, truncated: true)
                }
                if let hasher = state.hasher {
                    // A freshly computed SHA-256 hex string is always a valid digest.
                    let actual = try! Digest(sha256Hex: hasher.finalizeHex())
                    guard actual == descriptor.digest else { throw .digestMismatch(expected: descriptor.digest, actual: actual) }
                }
                state.ended = true
            }
            return nil
        }
        try state.withLock { (state: inout State) throws(BlobWriteError) in
            state.count += Int64(piece.readableBytes)
            guard state.count <= descriptor.size else {
                throw .sizeMismatch(digest: descriptor.digest, expected: descriptor.size, actual: state.count, truncated: false)
            }
            if let hasher = state.hasher { piece.withUnsafeReadableBytes { hasher.update($0) } }
        }
        progress(Int64(piece.readableBytes))
        return piece
    }
}
