import ArgumentParser
import Bundle
import Foundation
import OCI
import Outcomes
import System
import TarStream
import Terminal

/// A failure that ends a command with a message and an exit status (`ExitStatus`: 1 the work
/// failed, 2 usage or I/O).
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: ExitCode
    public var description: String { message }

    public init(message: String, exitCode: ExitCode) {
        self.message = message
        self.exitCode = exitCode
    }

    public init(_ message: String, _ status: ExitStatus) { self.init(message: message, exitCode: ExitCode(status.rawValue)) }

    /// The one mapping from an error to how its command ends: each error type states its own
    /// `ExitStatus`; an error that states none (a Foundation or decoding error) is usage or I/O.
    public static func from(_ error: Error) -> CommandFailure {
        if let failure = error as? CommandFailure { return failure }
        if let known = error as? any ExitStatusError { return CommandFailure(known.description, known.exitStatus) }
        return CommandFailure("\(error)", .usage)
    }
}

/// Runs a root command: `--help` to stdout, usage errors exit 2 (not 64), failures print `error: …`.
public enum CommandRunner {
    /// Prints `warning: MESSAGE` on standard error: a failure that changes no result.
    public static func warn(_ message: String) { ProgressLine.writeStderr("warning: \(TerminalText.escaped(message))\n") }

    public static func main(_ root: ParsableCommand.Type) async -> Never {
        do {
            let command = try root.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                // A synchronous command (verify, inspect, pack) reads and hashes files for as long
                // as it runs: off Swift's cooperative pool.
                let parsed = ParsedCommand(command: command)
                try await BlockingWork.run { try parsed.run() }
            }
            exit(0)
        } catch let error where error is CommandFailure || error is any ExitStatusError {
            let failure = CommandFailure.from(error)
            // Messages quote names from bundles and registries: escape what could drive a terminal.
            ProgressLine.writeStderr("error: \(TerminalText.escaped(failure.message))\n")
            exit(failure.exitCode.rawValue)
        } catch {
            let code = root.exitCode(for: error).rawValue
            if error is ExitCode { exit(code) }
            let message = root.fullMessage(for: error)
            if code == 0 {
                print(message)
                exit(0)
            }
            if !message.isEmpty { ProgressLine.writeStderr(message + "\n") }
            exit(code == 64 ? 2 : code)
        }
    }
}

/// A parsed synchronous command, handed to the thread that runs it (and used only there).
// @unchecked: `ParsableCommand` is not `Sendable`; the value is handed over once, never shared.
private struct ParsedCommand: @unchecked Sendable {
    var command: ParsableCommand
    func run() throws {
        var command = self.command
        try command.run()
    }
}

/// JSON for `--json` output: sorted keys, unescaped slashes.
public enum JSONOutput {
    public static func text<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
