import Foundation

/// One run of another program (helm, kubectl): its arguments, its standard input, what it
/// prints, and how long it may take.
///
/// Its output goes to files, never to pipes (a full pipe would stall it), in a private directory
/// (0700, files 0600: what helm prints may hold a rendered Secret) inside `scratch` (default
/// `TMPDIR`), which is also its `TMPDIR`. It is awaited without blocking a thread: its
/// termination handler resumes the task. Cancelling the task, or `timeout` passing, terminates
/// it (SIGTERM, then SIGKILL after `killAfter`). What it printed is read back up to `outputLimit`
/// bytes per stream; more is an error.
public struct ChildProcess: Sendable {
    public var executable: String
    public var arguments: [String]
    /// Its standard input (nil: `/dev/null`), so that a secret reaches it without being on its
    /// command line; written from a `BlockingWork` thread while it runs.
    public var input: [UInt8]?
    /// Added to this process's own environment.
    public var environment: [String: String]
    /// Nil: as long as it takes.
    public var timeout: Duration?
    public var outputLimit: Int
    public var scratch: String?
    /// How long a terminated process has to exit before it is killed.
    public static let killAfter = Duration.seconds(5)

    public init(
        _ executable: String, _ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:], timeout: Duration? = nil,
        outputLimit: Int = 64 << 20, scratch: String? = nil
    ) {
        self.executable = executable
        self.arguments = arguments
        self.input = input
        self.environment = environment
        self.timeout = timeout
        self.outputLimit = outputLimit
        self.scratch = scratch
    }

    /// What a run printed (bytes that are not UTF-8 replaced, not dropped), and its exit status.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public func run() async throws(ChildProcessError) -> Output {
        let files: PrivateScratch
        do { files = try PrivateScratch(in: scratch ?? FileManager.default.temporaryDirectory.path) } catch {
            throw .cannotRun(executable, error.description)
        }
        // Only scratch space: a directory left behind changes no result.
        defer { files.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["TMPDIR": files.path]) { given, _ in given }) {
            _, added in added
        }
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let (exits, exited) = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { exited.yield($0.terminationStatus) }
        do {
            process.standardOutput = try files.create("out")
            process.standardError = try files.create("err")
            try process.run()
        } catch {
            throw .cannotRun(executable, (error as? FileSystemError)?.description ?? error.localizedDescription)
        }
        let (status, timedOut) = await withTaskCancellationHandler {
            await wait(for: process, exits: exits, input: inputPipe.map { ($0.fileHandleForWriting, input ?? []) })
        } onCancel: {
            Self.stop(process)
        }
        if timedOut, let timeout { throw .timedOut(executable, timeout) }
        let limit = outputLimit, executable = executable
        return try await BlockingWork.run { () throws(ChildProcessError) -> Output in
            let stdout = try Self.read(files.path + "/out", limit: limit, of: executable)
            return Output(status: status, stdout: stdout, stderr: try Self.read(files.path + "/err", limit: limit, of: executable))
        }
    }

    private enum Event: Sendable {
        case exited(Int32)
        case inputWritten
        case timedOut
        case killed
    }

    /// Its exit status, and whether `timeout` stopped it.
    private func wait(for process: Process, exits: AsyncStream<Int32>, input: (FileHandle, [UInt8])?) async -> (Int32, Bool) {
        await withTaskGroup(of: Event.self) { group in
            group.addTask {
                for await status in exits { return .exited(status) }
                return .exited(-1)
            }
            if let (handle, bytes) = input {
                group.addTask {
                    // A program that exits without reading leaves a broken pipe: that is its answer, not ours.
                    _ = try? await BlockingWork.run {
                        try? handle.write(contentsOf: Data(bytes))
                        try? handle.close()
                    }
                    return .inputWritten
                }
            }
            if let timeout {
                group.addTask {
                    do { try await Task.sleep(for: timeout) } catch { return .killed }
                    return .timedOut
                }
            }
            var timedOut = false
            while let event = await group.next() {
                switch event {
                case .exited(let status):
                    group.cancelAll()
                    return (status, timedOut)
                case .timedOut:
                    timedOut = true
                    Self.stop(process)
                case .inputWritten, .killed: continue
                }
            }
            return (-1, timedOut)
        }
    }

    /// SIGTERM, then SIGKILL if it is still there after `killAfter`.
    private static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        Task {
            try await Task.sleep(for: killAfter)
            if process.isRunning, process.processIdentifier == pid { kill(pid, SIGKILL) }
        }
    }

    /// One of its output files, read no further than `limit`: a program that prints without end is refused.
    private static func read(_ path: String, limit: Int, of executable: String) throws(ChildProcessError) -> String {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw .cannotRun(executable, "cannot read its output \(path): \(error.localizedDescription)")
        }
        guard data.count <= limit else { throw .outputTooLarge(executable, limit: limit) }
        return String(decoding: data, as: UTF8.self)
    }
}

/// A program could not be run to its end.
public enum ChildProcessError: Error, Sendable, CustomStringConvertible {
    case cannotRun(String, String)
    case timedOut(String, Duration)
    case outputTooLarge(String, limit: Int)

    public var description: String {
        switch self {
        case .cannotRun(let executable, let reason): return "cannot run \(executable): \(reason)"
        case .timedOut(let executable, let limit): return "\(executable) did not finish within \(limit.components.seconds) s: stopped"
        case .outputTooLarge(let executable, let limit): return "\(executable) printed more than \(limit) bytes: refused"
        }
    }
}
