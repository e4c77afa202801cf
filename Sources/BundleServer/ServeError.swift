/// Why `serve` or `node-config` could not start — the message names the bundle, image, file or address.
public enum ServeError: Error, Sendable, CustomStringConvertible {
    /// The bundle cannot be served as it is (it verified, but names something we cannot serve).
    case bundle(String)
    /// An option or file given on the command line is wrong.
    case usage(String)
    /// The listening socket or TLS setup failed.
    case network(String)

    public var description: String {
        switch self {
        case .bundle(let message), .usage(let message), .network(let message): return message
        }
    }
}
