import Dispatch
import Foundation
import Synchronization
import System
import Testing

/// `BlockingWork`: blocking calls run on its own fixed threads, never on the cooperative pool.
@Suite("BlockingWork: a bounded pool off the cooperative threads")
struct BlockingWorkTests {
    @Test func blockingWorkReturnsAndThrows() async throws {
        #expect(try await BlockingWork.run { 6 * 7 } == 42)
        await #expect(throws: FileSystemError.self) {
            try await BlockingWork.run { throw FileSystemError(path: "/x", operation: "write", reason: "test") }
        }
    }

    /// More blocked calls than the cooperative pool has threads, released by a task that needs a
    /// pool thread to run: this only finishes if the blocked calls are not on the pool.
    @Test func blockingWorkLeavesTheCooperativePoolFree() async throws {
        let gate = DispatchSemaphore(value: 0)
        let blocked = ProcessInfo.processInfo.activeProcessorCount * 2 + 2
        let released = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<blocked {
                group.addTask { try await BlockingWork.run { gate.wait(timeout: .now() + 20) == .success } }
            }
            group.addTask {
                for _ in 0..<blocked { gate.signal() }
                return true
            }
            var all: [Bool] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(released.count == blocked + 1)
        #expect(released.allSatisfy { $0 }, "a blocked call timed out: the releasing task found no thread")
    }

    /// However many calls wait, they run on the pool's own threads, never more of them than
    /// `BlockingWork.threads` (Dispatch's global queues would start a thread for each blocked call).
    @Test func callsRunOnAFixedSetOfThreads() async throws {
        let calls = BlockingWork.threads * 8
        let gate = DispatchSemaphore(value: 0)
        let names = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<calls {
                group.addTask {
                    try await BlockingWork.run {
                        // Every call holds its thread until all were queued: a pool that grew would use more threads here.
                        _ = gate.wait(timeout: .now() + 20)
                        // The kernel's name of the running thread (Foundation's `Thread.current.name`
                        // once answered a Dispatch thread's name here, under load).
                        let comm = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "unreadable"
                        return comm.trimmingCharacters(in: .newlines)
                    }
                }
            }
            group.addTask {
                for _ in 0..<calls { gate.signal() }
                return "releaser"
            }
            var all: [String] = []
            for try await name in group { all.append(name) }
            return all.filter { $0 != "releaser" }
        }
        #expect(names.count == calls)
        #expect(names.allSatisfy { $0.hasPrefix("blocking-work-") }, "\(Set(names))")
        #expect(Set(names).count <= BlockingWork.threads, "\(Set(names).sorted())")
    }
}
