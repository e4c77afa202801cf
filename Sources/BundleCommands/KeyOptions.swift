import ArgumentParser
import Bundle
import Foundation
import Integrity
import TarStream

/// Where a private key's passphrase comes from (never the command line itself).
public struct PassphraseOptions: ParsableArguments {
    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the key passphrase from the first line of this file.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .customLong("passphrase-env"), help: ArgumentHelp("Read the key passphrase from this environment variable.", valueName: "name"))
    var passphraseEnvironment: String?

    public init() {}

    public func validate() throws {
        if passphraseFile != nil, passphraseEnvironment != nil { throw ValidationError("give --passphrase-file or --passphrase-env, not both") }
    }

    public func passphrase() throws -> String? {
        if let passphraseFile {
            let text: String
            do { text = String(decoding: try SmallFile.read(passphraseFile, limit: 4096), as: UTF8.self) } catch {
                throw CommandFailure(message: "cannot read the passphrase file \(passphraseFile): \(error)", exitCode: ExitCode(2))
            }
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw CommandFailure(message: "the passphrase file \(passphraseFile) is empty", exitCode: ExitCode(2)) }
            return line
        }
        if let name = passphraseEnvironment {
            guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
                throw CommandFailure(message: "the environment variable \(name) is not set or empty", exitCode: ExitCode(2))
            }
            return value
        }
        return nil
    }
}

public enum KeyFiles {
    /// Key files are small; anything larger is not a key.
    public static let sizeLimit = 64 << 10

    public static func readPublic(_ paths: [String]) throws -> [VerifyingKey] {
        try paths.map { path in
            let data: [UInt8]
            do { data = try SmallFile.read(path, limit: sizeLimit) } catch {
                throw CommandFailure(message: "cannot read the public key \(path): \(error)", exitCode: ExitCode(2))
            }
            do { return try VerifyingKey(pem: data) } catch {
                throw CommandFailure(message: "\(path): \(error)", exitCode: ExitCode(2))
            }
        }
    }
}
