import NIOCore

/// A request that did not finish within its time limit: `--timeout` for its answer's head and a
/// small body, plus one second per `minimumBytesPerSecond` of a blob it sends or receives. A body
/// that trickles in one byte at a time keeps each read under the read timeout; this bounds the whole.
struct RequestDeadlineExceeded: Error, Sendable {
    let seconds: Double
}

extension RegistryConfiguration {
    /// The time one request may take when it carries `bytes` of body (sent or received).
    func timeLimit(forBytes bytes: Int64) -> Double {
        Double(readTimeoutSeconds) + Double(max(0, bytes)) / Double(max(1, minimumBytesPerSecond))
    }
}

/// Runs `operation`, cancelling it and throwing `RequestDeadlineExceeded` when it has not finished
/// within `seconds` (reading a response's body stops at once when its task is cancelled).
func withTimeLimit<T: Sendable>(seconds: Double, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw RequestDeadlineExceeded(seconds: seconds) }
        return value
    }
}
