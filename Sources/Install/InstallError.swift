import Outcomes
import Rendering

/// Why a site command failed — the message names the image, registry, file or value.
public enum InstallError: ExitStatusError, Sendable {
    /// The bundle verified but cannot be installed as it is.
    case bundle(String)
    /// The site registry refused or failed (after retries).
    case registry(String)
    /// A file of the state directory could not be read or written.
    case io(String)
    /// The bundle failed verification: nothing was registered.
    case verification(String)
    /// helm or kubectl failed: what it was asked, how it ended and what it said.
    case tool(ToolFailure)

    public var exitStatus: ExitStatus {
        if case .io = self { return .usage }
        return .failed
    }

    public var description: String {
        switch self {
        case .bundle(let message), .registry(let message), .io(let message), .verification(let message): return message
        case .tool(let failure): return failure.message
        }
    }
}

/// A run of helm or kubectl that failed. Nothing here decides by its words: `stderr` is only shown.
public struct ToolFailure: Sendable, Hashable {
    /// What the user reads: what was being done, and the tool's reason.
    public var message: String
    /// The program and its arguments (never a secret: those go on standard input or in files).
    public var command: [String]
    /// Its exit status; -1 when it could not be started.
    public var status: Int32
    /// Its error output, trimmed (secrets replaced by `***` where the caller knows them).
    public var stderr: String

    /// `doing: REASON`: the last line of the error output (`wholeOutput`: all of it, for helm) or the exit status.
    public init(_ doing: String, command: [String], output: HelmEngine.Output, wholeOutput: Bool = false, redact: (String) -> String = { $0 }) {
        let stderr = redact(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        let reason = wholeOutput ? stderr : stderr.split(separator: "\n").last.map(String.init) ?? ""
        self.message = "\(doing): \(reason.isEmpty ? "exit status \(output.status)" : reason)"
        self.command = command
        self.status = output.status
        self.stderr = stderr
    }
}
