import CZstd
import Dispatch
import Synchronization

/// Compresses a byte stream as independent zstd frames of at most `SeekTable.frameSize` bytes,
/// cut where the caller says (`boundary()`: every tar entry starts a frame) and every
/// `frameSize` bytes in between, then ends the file with the seek table (zstd's seekable format).
///
/// Frames are compressed on `workers` threads at once, each in one call (`ZSTD_compress2`, so
/// every frame header records its content size), and written in order: the bytes depend only on
/// the input, the cut points and the level, never on the number of workers. Memory is fixed:
/// at most `workers + 1` frames in flight, each with its input and output buffer.
final class SeekableZstdEncoder {
    // @unchecked: a job is filled by the encoder, compressed by one worker, and read back only
    // after its `done` group is waited on (Dispatch orders those accesses); raw buffers are never `Sendable`.
    private final class Job: @unchecked Sendable {
        let input: UnsafeMutableRawBufferPointer
        let output: UnsafeMutableRawBufferPointer
        var inputSize = 0
        var outputSize = 0
        var failure: String?
        let done = DispatchGroup()
        init(frameSize: Int) {
            input = .allocate(byteCount: frameSize, alignment: 16)
            output = .allocate(byteCount: ZSTD_compressBound(frameSize), alignment: 16)
        }
        deinit {
            input.deallocate()
            output.deallocate()
        }
    }

    /// libzstd compression contexts, reused by the jobs (one per worker at most).
    private final class Contexts: Sendable {
        let level: Int32
        let free = Mutex<[UInt]>([])
        init(level: Int32) { self.level = level }
        func take() -> OpaquePointer? {
            if let address = free.withLock({ $0.popLast() }) { return OpaquePointer(bitPattern: address) }
            guard let context = ZSTD_createCCtx() else { return nil }
            _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
            return context
        }
        func give(_ context: OpaquePointer) { free.withLock { $0.append(UInt(bitPattern: context)) } }
        deinit { for address in free.withLock({ $0 }) { ZSTD_freeCCtx(OpaquePointer(bitPattern: address)) } }
    }

    private let path: String
    private let workers: Int
    private let contexts: Contexts
    private let queue = DispatchQueue(label: "airgap.seekable-zstd", attributes: .concurrent)
    private var spare: [Job] = []
    private var inFlight: [Job] = []
    private var current: Job?
    private(set) var frames: [SeekTable.Frame] = []

    init(level: Int, workers: Int, path: String) throws(ArchiveError) {
        self.path = path
        try ZstdEncoder.checkLevel(level, path: path)
        self.workers = max(1, min(workers, 64))
        contexts = Contexts(level: Int32(level))
    }

    /// Adds `input` to the current frame, cutting a frame each time one is full.
    func compress(_ input: UnsafeRawBufferPointer, into output: HashingFileWriter) throws {
        var offset = 0
        while offset < input.count {
            let job = current ?? spare.popLast() ?? Job(frameSize: SeekTable.frameSize)
            current = job
            let count = min(job.input.count - job.inputSize, input.count - offset)
            (job.input.baseAddress! + job.inputSize).copyMemory(from: input.baseAddress! + offset, byteCount: count)
            job.inputSize += count
            offset += count
            if job.inputSize == job.input.count { try boundary(into: output) }
        }
    }

    /// Ends the current frame (if it holds anything): what follows starts a new one.
    func boundary(into output: HashingFileWriter) throws {
        guard let job = current, job.inputSize > 0 else { return }
        current = nil
        let contexts = self.contexts
        job.done.enter()
        queue.async {
            defer { job.done.leave() }
            guard let context = contexts.take() else { job.failure = "zstd: out of memory"; return }
            defer { contexts.give(context) }
            let result = ZSTD_compress2(context, job.output.baseAddress, job.output.count, job.input.baseAddress, job.inputSize)
            if ZSTD_isError(result) != 0 {
                job.failure = "zstd compression: \(String(cString: ZSTD_getErrorName(result)))"
            } else {
                job.outputSize = result
            }
        }
        inFlight.append(job)
        while inFlight.count > workers { try writeOldest(into: output) }
    }

    /// Ends the last frame, writes every frame still in flight and the seek table.
    func finish(into output: HashingFileWriter) throws {
        try boundary(into: output)
        while !inFlight.isEmpty { try writeOldest(into: output) }
        guard frames.count <= SeekTable.frameLimit else {
            throw ArchiveError(path: path, message: "\(frames.count) zstd frames, more than the \(SeekTable.frameLimit) a seek table may hold")
        }
        let table = SeekTable(frames: frames).encoded()
        try table.withUnsafeBytes { try output.write($0) }
    }

    private func writeOldest(into output: HashingFileWriter) throws {
        let job = inFlight.removeFirst()
        job.done.wait()
        if let failure = job.failure { throw ArchiveError(path: path, message: failure) }
        try output.write(UnsafeRawBufferPointer(rebasing: job.output[0..<job.outputSize]))
        frames.append(SeekTable.Frame(compressedSize: UInt32(job.outputSize), decompressedSize: UInt32(job.inputSize)))
        job.inputSize = 0
        job.outputSize = 0
        spare.append(job)
    }
}
