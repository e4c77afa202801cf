/// A transfer that failed, in words naming the blob and what went wrong.
public struct TransferError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
