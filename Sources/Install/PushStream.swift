import Bundle
import Foundation
import NIOCore
import OCI
import Registry
import Synchronization

/// The push as the archive streams past: the verifier hands every entry to this sink, which
/// uploads blobs the registry lacks (up to `concurrency` at a time), keeps manifests in memory
/// for the end, and writes charts and files under an incoming directory. Nothing here registers
/// an image: manifests and tags are pushed by `BundlePusher` only after the whole archive verified.
final class PushStream: BundleEntrySink, @unchecked Sendable {

    private enum Current {
        case none
        case upload(ChunkChannel, buffer: ByteBuffer)
        case manifest(Digest, [UInt8])
        case file(fd: Int32, temporary: String, final: String)
        case skip
    }

    let client: RegistryClient
    let chunkSize: Int
    let attempts: Int
    let context: PushContext
    /// Called once bundle.json's signature verified; returns the plan and the blobs already in place.
    let onTrusted: (BundleVerifier.SignedIndex) throws -> (RelocationPlan, Set<Digest>)
    let progress: @Sendable (Int64) -> Void

    private(set) var plan: RelocationPlan?
    private(set) var manifestBytes: [Digest: [UInt8]] = [:]
    private(set) var indexBytes: [UInt8] = []
    private(set) var stagedFiles: [String] = []
    private var present = Set<Digest>()
    private var current = Current.none
    private let slots: DispatchSemaphore
    private var tasks: [Task<Void, Never>] = []
    let outcomes = UploadOutcomes()

    init(
        client: RegistryClient, concurrency: Int, chunkSize: Int, attempts: Int, context: PushContext,
        onTrusted: @escaping (BundleVerifier.SignedIndex) throws -> (RelocationPlan, Set<Digest>), progress: @escaping @Sendable (Int64) -> Void
    ) {
        self.client = client
        self.chunkSize = chunkSize
        self.attempts = attempts
        self.context = context
        self.onTrusted = onTrusted
        self.progress = progress
        slots = DispatchSemaphore(value: max(1, concurrency))
    }

    /// Pieces of one blob that may wait for its upload (memory per upload: this many × chunk size).
    static let piecesQueued = 4

    /// The uploads started so far (the pusher awaits them after verification).
    var uploadTasks: [Task<Void, Never>] { tasks }

    /// A repair pass uploads only these blobs (they failed in an earlier pass), and keeps nothing else.
    var repairing: (plan: RelocationPlan, digests: Set<Digest>)?

    func prepare(_ signed: BundleVerifier.SignedIndex) throws {
        if let repairing {
            plan = repairing.plan
            present = Set(repairing.plan.blobHomes.keys).subtracting(repairing.digests)
            return
        }
        indexBytes = signed.indexBytes
        // Prepared once: a push that looked at the plan before choosing how to read reuses it.
        if plan == nil { (plan, present) = try onTrusted(signed) }
    }

    /// Bytes of the blobs this push must upload (known once prepared).
    var bytesToUpload: Int64 {
        guard let plan else { return 0 }
        return plan.blobSizes.filter { !present.contains($0.key) }.values.reduce(0, +)
    }

    /// Whether the entry begun last is used (uploaded, kept or staged); false: it may go unread.
    var wantsCurrentEntry: Bool {
        if case .skip = current { return false }
        return true
    }

    func begin(_ entry: BundleIndex.Entry) throws {
        guard let plan else { current = .skip; return }
        if entry.path.hasPrefix("images/blobs/sha256/"), let digest = try? Digest("sha256:" + entry.path.dropFirst("images/blobs/sha256/".count)) {
            if plan.manifests[digest] != nil, repairing == nil {
                current = .manifest(digest, [])
            } else if let homes = plan.blobHomes[digest], !present.contains(digest) {
                current = .upload(
                    startUpload(BundleIndex.Content(digest: digest, mediaType: "application/octet-stream", size: entry.size), into: homes[0]),
                    buffer: ByteBuffer())
            } else {
                current = .skip
            }
        } else if repairing == nil,
            entry.path.hasPrefix(BundlePaths.charts) || entry.path.hasPrefix(BundlePaths.files)
                || entry.path.hasPrefix(BundlePaths.deploy)
        {
            guard let incoming = context.incoming else { current = .skip; return }
            let final = incoming + "/" + entry.path
            let temporary = final + ".partial"
            do {
                try FileManager.default.createDirectory(atPath: (final as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                throw InstallError.io("cannot create a directory for \(final): \(error.localizedDescription)")
            }
            let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw InstallError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
            current = .file(fd: fd, temporary: temporary, final: final)
        } else {
            current = .skip
        }
    }

    func write(_ chunk: UnsafeRawBufferPointer) throws {
        progress(Int64(chunk.count))
        switch current {
        case .upload(let channel, var buffer):
            current = .none  // keep the buffer uniquely referenced while it grows
            var rest = chunk
            while !rest.isEmpty {
                if buffer.capacity == 0 { buffer = ByteBufferAllocator().buffer(capacity: chunkSize) }
                let take = min(chunkSize - buffer.readableBytes, rest.count)
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: rest[0..<take]))
                rest = UnsafeRawBufferPointer(rebasing: rest[take...])
                if buffer.readableBytes == chunkSize {
                    channel.send(.chunk(buffer))
                    buffer = ByteBuffer()
                }
            }
            current = .upload(channel, buffer: buffer)
        case .manifest(let digest, var bytes):
            current = .none
            bytes.append(contentsOf: chunk)
            current = .manifest(digest, bytes)
        case .file(let fd, let temporary, _):
            var offset = 0
            while offset < chunk.count {
                let n = Foundation.write(fd, chunk.baseAddress! + offset, chunk.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw InstallError.io("cannot write \(temporary): \(String(cString: strerror(errno)))")
                }
                offset += n
            }
        case .none, .skip:
            break
        }
    }

    func finish(_ entry: BundleIndex.Entry) throws {
        switch current {
        case .upload(let channel, let buffer):
            if buffer.readableBytes > 0 { channel.send(.chunk(buffer)) }
            channel.send(.end)
        case .manifest(let digest, let bytes):
            manifestBytes[digest] = bytes
        case .file(let fd, let temporary, let final):
            let synced = fsync(fd) == 0
            let closed = close(fd) == 0
            guard synced, closed, rename(temporary, final) == 0 else {
                throw InstallError.io("cannot write \(final): \(String(cString: strerror(errno)))")
            }
            stagedFiles.append(entry.path)
        case .none, .skip:
            break
        }
        current = .none
    }

    func abandon() {
        switch current {
        case .upload(let channel, _): channel.send(.abandoned)
        case .file(let fd, let temporary, _):
            close(fd)
            unlink(temporary)
        default: break
        }
        current = .none
    }

    private func startUpload(_ content: BundleIndex.Content, into repository: ImageReference) -> ChunkChannel {
        let channel = ChunkChannel(capacity: Self.piecesQueued)
        let upload = BlobUpload(client: client, repository: repository, content: content, attempts: attempts)
        slots.wait()  // at most `concurrency` uploads at once; this thread is not the cooperative pool
        let slots = self.slots, outcomes = self.outcomes
        tasks.append(
            Task {
                defer { slots.signal() }
                do {
                    try await upload.run(channel)
                    outcomes.record(content.digest, uploaded: content.size)
                } catch {
                    outcomes.record(content.digest, failed: "\(error)")
                }
            })
        return channel
    }
}

/// What became of each upload, written by the upload tasks.
final class UploadOutcomes: Sendable {
    struct Snapshot: Sendable {
        var uploaded: [Digest: Int64] = [:]
        var failed: [Digest: String] = [:]
    }

    private let state = Mutex(Snapshot())

    func record(_ digest: Digest, uploaded size: Int64) { state.withLock { $0.uploaded[digest] = size } }
    func record(_ digest: Digest, failed reason: String) { state.withLock { $0.failed[digest] = reason } }
    var snapshot: Snapshot { state.withLock { $0 } }
}
