import Foundation
import Synchronization

/// Runs blocking work — disk writes, `fsync`, hashing a file, a whole synchronous command — on a
/// fixed set of threads of its own, never on Swift's cooperative pool. That pool has one thread
/// per core; a thread stuck in `write` or `fsync` there stalls every other task (network reads
/// included). Dispatch's global queues would start a new thread for each blocked item (up to
/// 64); here, work beyond `threads` waits its turn in order.
///
/// The calling task is suspended, not blocked, until the work returns or throws; the work itself
/// runs to its end (it cannot be cancelled).
public enum BlockingWork {
    /// Enough for the default four fetches or uploads to write while as many commits `fsync`; the
    /// threads mostly wait for the disk, so more than there are cores.
    public static let threads = 8
    private static let pool = BlockingPool(threads: threads)

    public static func run<Value: Sendable, Failure: Error>(_ work: @escaping @Sendable () throws(Failure) -> Value) async throws(Failure) -> Value {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Value, Failure>, Never>) in
            pool.submit { continuation.resume(returning: Result(catching: work)) }
        }
        return try result.get()
    }
}

/// Threads that take jobs in the order they came. A thread waits (on the semaphore that counts
/// queued jobs) only while it has nothing to do; nobody else ever waits on it.
private final class BlockingPool: Sendable {
    typealias Job = @Sendable () -> Void
    /// First in, first out: jobs are appended to `incoming` and taken from the end of `outgoing`.
    private struct Queue: ~Copyable {
        var incoming: [Job] = []
        var outgoing: [Job] = []
    }
    private let queue = Mutex(Queue())
    private let queued = DispatchSemaphore(value: 0)

    init(threads: Int) {
        for number in 1...threads {
            Thread { [self] in
                // Named from inside: on Linux a name set before `start` is not applied.
                Thread.current.name = "blocking-work-\(number)"
                serve()
            }.start()
        }
    }

    func submit(_ job: @escaping Job) {
        queue.withLock { $0.incoming.append(job) }
        queued.signal()
    }

    private func serve() {
        while true {
            queued.wait()
            let job = queue.withLock { queue in
                if queue.outgoing.isEmpty {
                    queue.outgoing = queue.incoming.reversed()
                    queue.incoming.removeAll(keepingCapacity: true)
                }
                return queue.outgoing.removeLast()
            }
            job()
        }
    }
}
