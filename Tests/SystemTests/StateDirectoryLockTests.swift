import Foundation
import System
import TestSupport
import Testing

/// `StateDirectoryLock`: one holder at a time, named by its PID; a dead holder's lock is taken over.
@Suite("StateDirectoryLock: exclusive, names its holder, taken over from the dead")
struct StateDirectoryLockTests {
    func contents(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func theLockFileIsPrivateAndNamesItsHolder() throws {
        let directory = try TestPaths.scratch("lock")
        let lock = try StateDirectoryLock(directory: directory)
        defer { lock.release() }
        #expect(contents(directory + "/lock") == "\(getpid())\n")
        var status = stat()
        #expect(stat(directory + "/lock", &status) == 0 && status.st_mode & 0o777 == 0o600)
    }

    /// A second lock fails at once, even in the same process (a `flock` belongs to an open file,
    /// not to a process), naming the holder; once released it can be taken.
    @Test func aSecondLockFailsAtOnceNamingTheHolder() throws {
        let directory = try TestPaths.scratch("lock-twice")
        let first = try StateDirectoryLock(directory: directory)
        let error = #expect(throws: StateDirectoryLockError.self) { try StateDirectoryLock(directory: directory) }
        guard case .held(_, let pid) = error else { throw TestSupportError("not refused as held: \(String(describing: error))") }
        #expect(pid == getpid())
        #expect("\(error.map { "\($0)" } ?? "")".contains("locked by PID \(getpid())"))
        first.release()
        try StateDirectoryLock(directory: directory).release()
    }

    /// Another process holds the lock (Python's `fcntl.flock`, as a separate program would); while
    /// it lives the lock is refused naming it; once it is killed (SIGKILL: it cleans nothing up),
    /// the kernel has dropped its `flock` and the lock is taken over, the file naming the new holder.
    @Test func aLockLeftByAKilledProcessIsTakenOver() throws {
        let directory = try TestPaths.scratch("lock-dead")
        let script = """
            import fcntl, os, sys, time
            f = open(sys.argv[1], "a+")
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0); f.truncate(); f.write("%d\\n" % os.getpid()); f.flush()
            time.sleep(600)
            """
        let holder = try BackgroundProcess(["python3", "-c", script, directory + "/lock"], directory: directory, logPath: directory + "/holder.log")
        defer { holder.stop() }
        let deadline = Date().addingTimeInterval(20)
        while contents(directory + "/lock") != "\(holder.pid)\n", Date() < deadline, holder.process.isRunning { usleep(20_000) }
        try #require(contents(directory + "/lock") == "\(holder.pid)\n", "the holder never wrote its PID: \(holder.log())")
        let error = #expect(throws: StateDirectoryLockError.self) { try StateDirectoryLock(directory: directory) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("PID \(holder.pid)"))
        kill(holder.pid, SIGKILL)
        holder.process.waitUntilExit()
        #expect(contents(directory + "/lock") == "\(holder.pid)\n", "the dead holder's PID is still in the file")
        let lock = try StateDirectoryLock(directory: directory)
        defer { lock.release() }
        #expect(contents(directory + "/lock") == "\(getpid())\n")
    }

    @Test func aLinkAtTheLockFileIsRefusedNotFollowed() throws {
        let directory = try TestPaths.scratch("lock-link")
        try "outside\n".write(toFile: directory + "/outside", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/lock", withDestinationPath: directory + "/outside")
        let error = #expect(throws: StateDirectoryLockError.self) { try StateDirectoryLock(directory: directory) }
        guard case .unusable = error else { throw TestSupportError("not refused as unusable: \(String(describing: error))") }
        #expect(contents(directory + "/outside") == "outside\n")
    }
}
