import Dispatch

/// Runs blocking work — disk writes, `fsync`, hashing a file — on a Dispatch queue, off Swift's
/// cooperative thread pool. That pool has one thread per core; a thread stuck in `write` or
/// `fsync` there stalls every other task (network reads included).
///
/// The calling task is suspended, not blocked, until the work returns or throws.
public enum BlockingWork {
    public static func run<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}
