import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs one of our binaries as a child and reports its peak resident memory, as the kernel
/// counted it: how a test shows that a hostile input cost bounded memory. Standard input comes
/// from a file; output is captured through files so nothing can dead-lock a pipe.
///
/// The count comes from GNU `time` (`/usr/bin/time -f %M`), which forks the binary and reads
/// `wait4`'s `ru_maxrss` of that fork. Our own `posix_spawn` cannot give it: glibc spawns with
/// `CLONE_VM | CLONE_VFORK`, and the kernel counts the peak of the memory the child had before
/// `exec` — this test process, hundreds of MB in the full suite — into the child's `ru_maxrss`.
public enum PeakMemory {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// Peak resident set size of the child itself, in bytes.
        public var peakBytes: Int
    }

    public static func run(_ arguments: [String], standardInput: String = "/dev/null", environment: [String: String] = [:]) throws -> Result {
        let scratch = try TestPaths.scratch("peak")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let out = scratch + "/out", err = scratch + "/err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, standardInput, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let peak = scratch + "/peak-kb"
        let timed = ["/usr/bin/time", "-f", "%M", "-o", peak] + arguments
        let argv = timed.map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, timed[0], &actions, nil, argv, envp)
        guard spawned == 0 else { throw TestSupportError("cannot start \(timed[0]) (apt-get install time): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw TestSupportError("waitpid failed: \(String(cString: strerror(errno)))") }
        }
        // GNU time exits with the binary's status (128 + the signal when it was killed), and
        // writes the peak in KiB as the last line of its report.
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let report = (try? String(contentsOfFile: peak, encoding: .utf8)) ?? ""
        guard let last = report.split(separator: "\n").last, let kilobytes = Int(last.trimmingCharacters(in: .whitespaces)) else {
            throw TestSupportError("GNU time reported no peak memory for \(arguments[0]): \(report)")
        }
        return Result(
            status: exited,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "",
            peakBytes: kilobytes * 1024)
    }
}
