import Outcomes

/// Why a build failed — the message names the component, chart, image, file or lock entry.
public enum BuildError: ExitStatusError, Sendable {
    /// The manifest or an option is wrong (exit 2).
    case usage(String)
    /// A file could not be read or written, or the disk is too small (exit 2).
    case io(String)
    /// A chart or image could not be resolved or fetched (exit 1).
    case source(String)
    /// `--locked`: the lock is missing, out of date, or a source no longer has what it names (exit 1).
    case lock(String)

    public var exitStatus: ExitStatus {
        switch self {
        case .usage, .io: return .usage
        case .source, .lock: return .failed
        }
    }

    public var description: String {
        switch self {
        case .usage(let message), .io(let message), .source(let message), .lock(let message): return message
        }
    }
}
