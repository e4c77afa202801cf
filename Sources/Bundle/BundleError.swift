/// A bundle that cannot be packed, read or trusted — the message names the file, entry or key.
public struct BundleError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The bundle failed verification (tampered, wrong key, malformed): exit status 1.
        case verification
        /// Input or I/O problems (missing file, unreadable key, bad staged directory): exit status 2.
        case usage
    }
    public let kind: Kind
    public let message: String
    public var description: String { message }

    public static func verification(_ message: String) -> BundleError { BundleError(kind: .verification, message: message) }
    public static func usage(_ message: String) -> BundleError { BundleError(kind: .usage, message: message) }
}
