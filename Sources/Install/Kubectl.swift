import Foundation
import Rendering
import System

/// The site's `kubectl` and kubeconfig: every cluster access the installer makes itself.
public struct Kubectl: Sendable {
    public var executable: String
    /// nil: kubectl's own (`$KUBECONFIG`, else `~/.kube/config`).
    public var kubeconfig: String?

    public init(executable: String, kubeconfig: String?) {
        self.executable = executable
        self.kubeconfig = kubeconfig
    }

    /// Runs `kubectl ARGUMENTS` (10 s per request, stopped after `timeout`) with `input` on its
    /// standard input; one that cannot be started or finished is status -1 with the reason.
    public func run(_ arguments: [String], input: [UInt8]? = nil) async -> ChildProcess.Output {
        let all = (kubeconfig.map { ["--kubeconfig", $0] } ?? []) + ["--request-timeout", "10s"] + arguments
        do { return try await ChildProcess(executable, all, input: input, timeout: Self.timeout).run() } catch {
            return ChildProcess.Output(status: -1, stdout: "", stderr: "\(error)")
        }
    }

    /// How long one kubectl run may take: each of its requests has 10 s, and it makes a few.
    static let timeout = Duration.seconds(120)

    /// Standard output of `kubectl ARGUMENTS`; a failure is `InstallError.tool` (`doing: REASON`, redacted).
    @discardableResult
    public func check(_ arguments: [String], input: [UInt8]? = nil, doing: String, redact: (String) -> String = { $0 }) async throws -> String {
        let output = await run(arguments, input: input)
        guard output.status == 0 else {
            throw InstallError.tool(ToolFailure(doing, command: [executable] + arguments, output: output, redact: redact))
        }
        return output.stdout
    }

    /// Server-side apply of `object` (JSON) from standard input: a password is never on a command line.
    public func apply(_ object: [UInt8], doing: String, redact: (String) -> String = { $0 }) async throws {
        try await check(
            ["apply", "--server-side", "--field-manager", "airgap-install", "--filename", "-"], input: object, doing: doing, redact: redact)
    }
}
