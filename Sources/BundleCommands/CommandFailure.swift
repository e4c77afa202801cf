import ArgumentParser
import Bundle
import Foundation
import TarStream
import Terminal

/// A failure that ends a command with a message and an exit status (1: the work failed, 2: usage or I/O).
public struct CommandFailure: Error, CustomStringConvertible {
    public let message: String
    public let exitCode: ExitCode
    public var description: String { message }

    public init(message: String, exitCode: ExitCode) {
        self.message = message
        self.exitCode = exitCode
    }

    /// Maps a bundle error to its exit status.
    public static func from(_ error: Error) -> CommandFailure {
        if let failure = error as? CommandFailure { return failure }
        if let bundle = error as? BundleError { return CommandFailure(message: bundle.message, exitCode: ExitCode(bundle.kind == .verification ? 1 : 2)) }
        if let archive = error as? ArchiveError { return from(BundleError.from(archive)) }
        return CommandFailure(message: "\(error)", exitCode: ExitCode(2))
    }
}

/// Runs a root command: `--help` to stdout, usage errors exit 2 (not 64), failures print `error: …`.
public enum CommandRunner {
    public static func main(_ root: ParsableCommand.Type) async -> Never {
        do {
            var command = try root.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
            exit(0)
        } catch let failure as CommandFailure {
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

/// JSON for `--json` output: sorted keys, unescaped slashes.
public enum JSONOutput {
    public static func text<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
