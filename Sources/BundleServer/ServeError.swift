import Outcomes

/// Why `serve` or `node-config` could not start — the message names the bundle, image, file or address.
public enum ServeError: ExitStatusError, Sendable {
    /// The bundle cannot be served as it is (it verified, but names something we cannot serve).
    case bundle(String)
    /// An option or file given on the command line is wrong.
    case usage(String)
    /// The listening socket or TLS setup failed.
    case network(String)

    /// A bundle that cannot be served fails the work (1); an option, file or socket is usage (2).
    public var exitStatus: ExitStatus {
        if case .bundle = self { return .failed }
        return .usage
    }

    public var description: String {
        switch self {
        case .bundle(let message), .usage(let message), .network(let message): return message
        }
    }
}
