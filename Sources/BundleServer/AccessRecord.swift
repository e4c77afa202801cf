/// One answered request, for the access log.
public struct AccessRecord: Sendable, Encodable {
    public var method: String
    /// The request target as sent (path and query).
    public var path: String
    public var status: Int
    /// Body bytes sent (fewer than announced when the response was cut off).
    public var bytes: Int64
    /// The client's address.
    public var client: String
    /// Why the response was cut off or refused, when it was.
    public var error: String?

    /// `client method path status bytes [error]`, one line.
    public var line: String {
        "\(client) \(method) \(path) \(status) \(bytes)" + (error.map { " error: \($0)" } ?? "")
    }
}
