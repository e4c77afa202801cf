import Foundation
import Synchronization

/// Moves blocking work off Swift's cooperative thread pool, and lets that work wait for async
/// work in turn. The archive is read and verified synchronously on a thread of its own, which
/// may block (back-pressure, waiting for an upload slot) without starving the tasks that upload.
enum ThreadBridge {
    /// Runs `body` on a new thread and resumes when it returns.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// From a thread that is not part of the cooperative pool: waits for async work.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, Error>?>(nil)
        Task {
            let result: Result<T, Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try outcome.withLock { $0! }.get()
    }
}
