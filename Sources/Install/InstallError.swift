/// Why a site command failed — the message names the image, registry, file or value.
public enum InstallError: Error, Sendable, CustomStringConvertible {
    /// The bundle cannot be used as it is (it verified, but is not something we can install).
    case bundle(String)
    /// The site registry refused or failed (after retries).
    case registry(String)
    /// A file of the state directory could not be read or written.
    case io(String)
    /// The bundle failed verification: nothing was registered.
    case verification(String)

    public var description: String {
        switch self {
        case .bundle(let message), .registry(let message), .io(let message), .verification(let message): return message
        }
    }
}
