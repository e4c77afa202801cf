import Foundation
import TestSupport
import Testing

/// Two runs on one state directory: the second push, deploy or uninstall fails at once (exit 1)
/// naming the first's PID; once the first is killed, its lock is taken over.
@Suite("A state directory is changed by one run at a time")
struct StateDirectoryLockCommandTests {
    /// A registry that accepts connections and never answers: a push against it holds its lock
    /// until it is stopped, however long the test takes (no race on how slow it is).
    static func silentRegistry(_ root: String) throws -> (BackgroundProcess, Int) {
        let script = """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
            open(sys.argv[1], "w").write(str(s.getsockname()[1]))
            time.sleep(3600)
            """
        let server = try BackgroundProcess(["python3", "-c", script, root + "/silent.port"], directory: root, logPath: root + "/silent.log")
        return (server, try Loopback.waitForPortFile(root + "/silent.port", process: server))
    }

    @Test func aSecondPushDeployOrUninstallIsRefusedNamingTheFirstsPID() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let key = pushed.root + "/vendor.pub"
        let (silent, port) = try Self.silentRegistry(pushed.root)
        defer { silent.stop() }
        let push = [
            try TestPaths.binary("airgap-install"), "push", pushed.bundle, "--key", key, "--project", "astrago", "--plain-http",
            "--state-dir", pushed.state,
        ]
        let first = try BackgroundProcess(
            push + ["--registry", "127.0.0.1:\(port)", "--retries", "1", "--timeout", "3600"], directory: pushed.root,
            logPath: pushed.root + "/first.log")
        defer { first.stop() }
        // The first has the lock once its PID is in the lock file (an event, not a wait of some length).
        let lockFile = pushed.state + "/lock"
        let deadline = Date().addingTimeInterval(60)
        while (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.pid)\n", Date() < deadline, first.process.isRunning {
            usleep(20_000)
        }
        try #require(
            (try? String(contentsOfFile: lockFile, encoding: .utf8)) == "\(first.pid)\n", "the first push never took the lock: \(first.log())")

        let common = [pushed.bundle, "--state-dir", pushed.state, "--helm", DeployPlanTests.helm]
        let runs: [(String, [String])] = [
            ("push", Array(push.dropFirst()) + ["--registry", pushed.registry.host, "--retries", "1", "--timeout", "5"]),
            ("deploy", ["deploy"] + common + ["--values", site, "--skip-preflight", "--kubectl", "/bin/false"]),
            ("uninstall", ["uninstall"] + common + ["--yes"]),
        ]
        for (name, arguments) in runs {
            let second = try airgap("airgap-install", arguments)
            #expect(second.status == 1, "\(name): \(second.stdout) \(second.stderr)")
            #expect(second.stderr.contains("locked by PID \(first.pid)"), "\(name): \(second.stderr)")
        }
        #expect(first.process.isRunning, "the first push ended early: \(first.log())")

        // Killed (no clean-up at all), the first leaves its lock file and PID behind; the kernel
        // dropped its lock, so the next push takes it over.
        kill(first.pid, SIGKILL)
        first.process.waitUntilExit()
        let again = try airgap("airgap-install", Array(push.dropFirst()) + ["--registry", pushed.registry.host])
        #expect(again.status == 0, "\(again.stdout) \(again.stderr)")
    }
}
