import Foundation
import OCI

/// Renders charts with the real `helm` CLI (`helm template`), as a site's Helm will.
public struct HelmEngine: Sendable {
    /// The `helm` executable.
    public let executable: String
    /// `--kube-version` for `.Capabilities.KubeVersion` (charts gate resources on it).
    public var kubeVersion: String

    /// Finds `helm`: the given path, else `helm` on PATH. Nil when there is none.
    public static func locate(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil }
        for directory in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/helm"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public init(executable: String, kubeVersion: String = "1.29.0") {
        self.executable = executable
        self.kubeVersion = kubeVersion
    }

    /// `helm template RELEASE CHART --namespace NS -f V… --include-crds --kube-version K`.
    public func template(release: String, chart: String, namespace: String, valuesFiles: [String], component: String) async throws -> String {
        var arguments = ["template", release, chart, "--namespace", namespace, "--include-crds", "--kube-version", kubeVersion]
        for file in valuesFiles { arguments += ["--values", file] }
        let result = try await run(arguments)
        guard result.status == 0 else {
            let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            throw HelmError(
                message:
                    "helm template failed for component \"\(component)\" (chart \(chart)):\n  \(message.isEmpty ? "exit status \(result.status)" : message)"
            )
        }
        return result.stdout
    }

    /// What a helm run printed, and its exit status.
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

    /// Runs helm with its output going to files (a pipe could fill up and stall it), and waits for
    /// it without blocking a thread: its termination handler resumes the task. Cancelling the task
    /// terminates helm. `input`, when given, is its standard input (small: it is written whole
    /// before the process is awaited), so a secret can reach a tool without being on its command
    /// line. `environment` is added to this process's own (`HELM_PLUGINS`, say). The output files
    /// are 0600 in a directory of their own made 0700 inside `scratch` (default `TMPDIR`), which
    /// is also helm's `TMPDIR`: what helm prints may hold a rendered Secret.
    public func run(_ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:], scratch: String? = nil) async throws
        -> Output
    {
        let scratch = try PrivateScratch(in: scratch ?? FileManager.default.temporaryDirectory.path)
        // Only scratch space: a directory left behind changes no result.
        defer { scratch.remove() }
        let out = URL(fileURLWithPath: scratch.path + "/out"), err = URL(fileURLWithPath: scratch.path + "/err")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment.merging(["TMPDIR": scratch.path]) { given, _ in given }) {
            _, added in added
        }
        process.standardOutput = try scratch.create("out")
        process.standardError = try scratch.create("err")
        let inputPipe = input.map { _ in Pipe() }
        process.standardInput = inputPipe ?? FileHandle.nullDevice
        let executable = self.executable
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
                do { try process.run() } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: HelmError(message: "cannot run \(executable): \(error.localizedDescription)"))
                    return
                }
                if let inputPipe, let input {
                    // A tool that exits without reading leaves a broken pipe: that is its answer, not ours.
                    try? inputPipe.fileHandleForWriting.write(contentsOf: Data(input))
                    try? inputPipe.fileHandleForWriting.close()
                }
            }
        } onCancel: {
            if process.isRunning { process.terminate() }
        }
        return try await BlockingWork.run {
            Output(status: status, stdout: try Self.readOutput(out), stderr: try Self.readOutput(err))
        }
    }

    /// The most bytes of helm's output read (what a chart renders: Kubernetes stores no object
    /// over about 1.5 MiB, and a release's manifests compress to at most 1 MiB).
    static let maximumOutputBytes = 64 << 20

    /// What helm wrote to one of its output files (bytes that are not UTF-8 are replaced, not
    /// dropped), read no further than `maximumOutputBytes`: a chart that renders without end is refused.
    private static func readOutput(_ file: URL) throws -> String {
        let data: Data
        do {
            let handle = try FileHandle(forReadingFrom: file)
            defer { try? handle.close() }
            data = try handle.read(upToCount: maximumOutputBytes + 1) ?? Data()
        } catch {
            throw HelmError(message: "cannot read helm's output \(file.path): \(error.localizedDescription)")
        }
        guard data.count <= maximumOutputBytes else {
            throw HelmError(message: "helm's output is more than \(maximumOutputBytes) bytes, over the limit of \(maximumOutputBytes) bytes")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Helm could not be run, or failed; the message carries Helm's own words and the component.
public struct HelmError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
