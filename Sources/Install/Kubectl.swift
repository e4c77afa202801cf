import Foundation
import Rendering
import System

/// The site's `kubectl` and the kubeconfig it talks to the cluster with: every read and write of
/// the cluster the installer makes itself (Helm makes the rest) goes through it.
public struct Kubectl: Sendable {
    public var executable: String
    /// nil: kubectl's own (`$KUBECONFIG`, else `~/.kube/config`).
    public var kubeconfig: String?

    public init(executable: String, kubeconfig: String?) {
        self.executable = executable
        self.kubeconfig = kubeconfig
    }

    /// Runs `kubectl ARGUMENTS` with a 10 s request timeout (and stops it after `timeout`); `input`
    /// is its standard input. A kubectl that cannot be started or finished is an exit status of
    /// -1 with the reason as its error output.
    public func run(_ arguments: [String], input: [UInt8]? = nil) async -> ChildProcess.Output {
        let all = (kubeconfig.map { ["--kubeconfig", $0] } ?? []) + ["--request-timeout", "10s"] + arguments
        do { return try await ChildProcess(executable, all, input: input, timeout: Self.timeout).run() } catch {
            return ChildProcess.Output(status: -1, stdout: "", stderr: "\(error)")
        }
    }

    /// How long one kubectl run may take: each of its requests has 10 s, and it makes a few.
    static let timeout = Duration.seconds(120)

    /// Runs `kubectl ARGUMENTS` and returns its standard output; a failure is `InstallError.tool`
    /// saying `doing: REASON` (kubectl's last line of error output, through `redact`).
    @discardableResult
    public func check(_ arguments: [String], input: [UInt8]? = nil, doing: String, redact: (String) -> String = { $0 }) async throws -> String {
        let output = await run(arguments, input: input)
        guard output.status == 0 else {
            throw InstallError.tool(ToolFailure(doing, command: [executable] + arguments, output: output, redact: redact))
        }
        return output.stdout
    }

    /// Creates or updates `object` (JSON) with server-side apply, read from standard input so its
    /// content (a pull secret's password) is never on a command line.
    public func apply(_ object: [UInt8], doing: String, redact: (String) -> String = { $0 }) async throws {
        try await check(
            ["apply", "--server-side", "--field-manager", "airgap-install", "--filename", "-"], input: object, doing: doing, redact: redact)
    }

    /// The last line of kubectl's error output (its own summary), or its exit status.
    public static func reason(_ output: ChildProcess.Output) -> String {
        output.stderr.split(separator: "\n").last.map { String($0) } ?? "exit status \(output.status)"
    }
}
