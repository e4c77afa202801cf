import Foundation
import System

/// Renders charts with the real `helm` CLI (`helm template`), as a site's Helm will.
public struct HelmEngine: Sendable {
    /// The `helm` executable.
    public let executable: String
    /// `--kube-version` for `.Capabilities.KubeVersion` (charts gate resources on it).
    public var kubeVersion: String

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
    public typealias Output = ChildProcess.Output

    /// Runs helm (`ChildProcess`: output to files in a private directory inside `scratch`, which
    /// is also helm's `TMPDIR`, as what helm prints may hold a rendered Secret; awaited without
    /// blocking a thread; cancelling the task terminates helm). `input`, when given, is its
    /// standard input, so a secret can reach it without being on its command line. `environment`
    /// is added to this process's own (`HELM_PLUGINS`, say). Helm's own `--timeout` bounds how
    /// long it runs; its output is read up to 64 MiB (what a chart renders: Kubernetes stores no
    /// object over about 1.5 MiB, and a release's manifests compress to at most 1 MiB).
    public func run(_ arguments: [String], input: [UInt8]? = nil, environment: [String: String] = [:], scratch: String? = nil) async throws
        -> Output
    {
        do { return try await ChildProcess(executable, arguments, input: input, environment: environment, scratch: scratch).run() } catch {
            throw HelmError(message: error.description)
        }
    }
}

/// Helm could not be run, or failed; the message carries Helm's own words and the component.
public struct HelmError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
