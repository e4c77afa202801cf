import Outcomes
import TarStream

/// A bundle that cannot be packed, read or trusted — the message names the file, entry or key.
public struct BundleError: ExitStatusError, Sendable {
    public enum Kind: Sendable {
        /// The bundle failed verification (tampered, wrong key, malformed): exit status 1.
        case verification
        /// Bad input (a bad staged directory, an unusable option): exit status 2.
        case usage
        /// A file could not be read or written (missing, not a regular file, permissions, disk
        /// errors): exit status 2, reported as an I/O problem, never as a usage mistake.
        case io
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }
    public var exitStatus: ExitStatus { kind == .verification ? .failed : .usage }

    public static func verification(_ message: String) -> BundleError { BundleError(kind: .verification, message: message) }
    public static func usage(_ message: String) -> BundleError { BundleError(kind: .usage, message: message) }
    public static func io(_ message: String) -> BundleError { BundleError(kind: .io, message: message) }

    /// An archive error as a bundle error: unreadable files are I/O, damaged bytes fail verification.
    public static func from(_ error: ArchiveError) -> BundleError {
        error.kind == .unreadable ? .io("\(error)") : .verification("\(error)")
    }
}
