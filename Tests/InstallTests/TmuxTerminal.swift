import Foundation
import TestSupport

/// A real terminal for a command: a tmux server of its own (its own socket, `tmux -L`), one
/// session of the given size running `command` under `sh`, kept on screen after it exits
/// (remain-on-exit). Keys are typed with send-keys and the screen read with capture-pane.
final class TmuxTerminal {
    let socket: String
    let target = "setup"
    /// The server's socket file, removed by `stop`.
    private(set) var socketPath = ""

    /// `command` is a shell command line; `environment` is set for it (and nothing else inherited
    /// from tmux's own TERM handling: tmux sets TERM for the pane).
    init(_ command: String, environment: [String: String] = [:], width: Int = 80, height: Int = 40) throws {
        socket = "airgap-setup-\(UUID().uuidString.prefix(12))"
        let exports = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoted($0.value))" }.joined(separator: " ")
        let config = FileManager.default.temporaryDirectory.appendingPathComponent(socket + ".conf").path
        try "set -g remain-on-exit on\nset -g history-limit 5000\n".write(toFile: config, atomically: true, encoding: .utf8)
        // Started with posix_spawn and waited for with waitpid: Foundation's Process never saw
        // this tmux client exit once it had started a server (the test hung on waitUntilExit).
        let start = [
            "tmux", "-L", socket, "-f", config, "new-session", "-d", "-s", target, "-x", "\(width)", "-y", "\(height)",
            // A test runner may run with NO_COLOR set; the pane has it only when the test asks.
            "env \(environment["NO_COLOR"] == nil ? "-u NO_COLOR " : "")\(exports) sh -c \(Self.quoted(command))",
        ]
        let line = "exec " + start.map(Self.quoted).joined(separator: " ") + " </dev/null >/dev/null 2>&1"
        var pid: pid_t = 0
        let words: [String] = ["/bin/sh", "-c", line]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The test's thread blocks most signals; a tmux server that inherited that mask would
        // never see SIGCHLD or SIGTERM (nor exit on kill-server). Start it with none blocked and
        // every handler at its default.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        guard posix_spawn(&pid, "/bin/sh", nil, &attributes, argv, environ) == 0 else { throw TestSupportError("cannot start tmux") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        guard status == 0 else { throw TestSupportError("tmux new-session failed (wait status \(status))") }
        socketPath = try Shell.check(["tmux", "-L", socket, "display-message", "-p", "-t", target, "#{socket_path}"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Types `keys` (tmux key names such as `Enter`, `C-c`; other words are typed literally).
    func send(_ keys: String...) throws {
        for key in keys {
            if ["Enter", "C-c", "C-d"].contains(key) {
                try Shell.check(["tmux", "-L", socket, "send-keys", "-t", target, key])
            } else {
                try Shell.check(["tmux", "-L", socket, "send-keys", "-t", target, "-l", key])
            }
        }
    }

    /// Types `text`, then Enter.
    func answer(_ text: String) throws {
        if !text.isEmpty { try send(text) }
        try send("Enter")
    }

    /// The whole screen and its history, wrapped rows joined into the lines written (`joined:
    /// false`: one line per screen row).
    /// `escapes`: with the colours and attributes on screen, as escape sequences.
    func screen(joined: Bool = true, escapes: Bool = false) throws -> String {
        try Shell.check(
            ["tmux", "-L", socket, "capture-pane", "-p", "-S", "-5000", "-t", target] + (joined ? ["-J"] : []) + (escapes ? ["-e"] : [])
        ).stdout
    }

    /// Waits until the screen shows `text` `count` times or more — a bounded poll of the screen
    /// (at most `attempts` looks, 50 ms apart), never a fixed wait. Returns the screen.
    @discardableResult
    func waitFor(_ text: String, count: Int = 1, attempts: Int = 2400) throws -> String {
        var last = ""
        for _ in 0..<attempts {
            last = try screen()
            if last.components(separatedBy: text).count - 1 >= count { return last }
            usleep(50_000)
        }
        throw TestSupportError("the terminal never showed \"\(text)\" (\(count)x); it shows:\n\(last)")
    }

    /// Stops the tmux server (and whatever still runs in it).
    func stop() {
        _ = try? Shell.run(["tmux", "-L", socket, "kill-server"])
        if socketPath.hasSuffix("/" + socket) { unlink(socketPath) }
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
