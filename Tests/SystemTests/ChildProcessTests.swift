import Foundation
import System
import TestSupport
import Testing

/// `ChildProcess`: standard input in, output and status back, a timeout and an output bound.
@Suite("ChildProcess: input, output, status, timeout and output bound")
struct ChildProcessTests {
    func shell(_ script: String, timeout: Duration? = nil, outputLimit: Int = 1 << 20) -> ChildProcess {
        ChildProcess("/bin/sh", ["-c", script], timeout: timeout, outputLimit: outputLimit)
    }

    /// Whether a process of that PID still exists (it was reaped once its exit was seen).
    func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    @Test func inputGoesInOutputAndStatusComeBack() async throws {
        let echoed = try await ChildProcess("/bin/cat", [], input: Array("s3cret\n".utf8)).run()
        #expect(echoed.status == 0 && echoed.stdout == "s3cret\n" && echoed.stderr.isEmpty)
        let failed = try await shell("echo out; echo oops >&2; exit 3").run()
        #expect(failed.status == 3 && failed.stdout == "out\n" && failed.stderr == "oops\n")
    }

    /// What it prints goes to files in a directory of its own, which is also its TMPDIR, both private.
    @Test func itsOutputFilesAreInAPrivateDirectory() async throws {
        let output = try await shell(#"stat -c %a "$TMPDIR" "$TMPDIR/out" "$TMPDIR/err""#).run()
        #expect(output.stdout == "700\n600\n600\n", "\(output.stdout)\(output.stderr)")
    }

    @Test func aProgramThatCannotBeRunIsAnErrorNamingIt() async throws {
        let missing = try TestPaths.scratch("child") + "/nope"
        let error = await #expect(throws: ChildProcessError.self) { try await ChildProcess(missing, []).run() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("cannot run \(missing)"))
    }

    @Test func outputBeyondTheLimitIsRefused() async throws {
        let exact = try await shell("head -c 4096 /dev/zero", outputLimit: 4096).run()
        #expect(exact.status == 0 && exact.stdout.utf8.count == 4096)
        let error = await #expect(throws: ChildProcessError.self) { try await shell("head -c 4097 /dev/zero", outputLimit: 4096).run() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("printed more than 4096 bytes"))
    }

    /// A program still running when its time is up is stopped and the run fails; one that ignores
    /// SIGTERM is killed. The program waits on nothing the test controls: only the timeout ends it.
    @Test(arguments: ["exec sleep 600", #"trap "" TERM; while :; do sleep 1; done"#])
    func aProgramPastItsTimeoutIsStopped(_ body: String) async throws {
        let pidFile = try TestPaths.scratch("child-timeout") + "/pid"
        let error = await #expect(throws: ChildProcessError.self) {
            try await shell("echo $$ > '\(pidFile)'; \(body)", timeout: .milliseconds(500)).run()
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("did not finish within"))
        let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!alive(pid), "process \(pid) is still running")
    }
}
