import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A single status line redrawn on standard error while long work runs — only on a terminal.
/// When standard error is not a terminal it prints nothing, so logs and pipes stay parseable.
public final class ProgressLine: Sendable {
    private struct State {
        var total: Int64 = 0
        var done: Int64 = 0
        var label = ""
        var lastDraw: Double = 0
        var started: Double = 0
        var drawn = false
    }

    public let enabled: Bool
    private let state = Mutex(State())

    public init(enabled: Bool = isatty(2) == 1) {
        self.enabled = enabled
        state.withLock { $0.started = Self.now() }
    }

    public func setTotal(_ total: Int64, label: String) {
        state.withLock {
            $0.total = total; $0.label = label
        }
        redraw(force: true)
    }

    public func advance(by bytes: Int64) {
        state.withLock { $0.done += bytes }
        redraw(force: false)
    }

    /// Clears the line so that ordinary output can follow.
    public func finish() {
        guard enabled else { return }
        state.withLock { state in
            if state.drawn { Self.writeStderr("\r\u{1B}[2K") }
            state.drawn = false
        }
    }

    /// Prints a line above the progress line.
    public func log(_ line: String) {
        state.withLock { state in
            if enabled, state.drawn { Self.writeStderr("\r\u{1B}[2K"); state.drawn = false }
        }
        Self.writeStderr(line + "\n")
    }

    private func redraw(force: Bool) {
        guard enabled else { return }
        state.withLock { state in
            let now = Self.now()
            guard force || now - state.lastDraw >= 0.2 else { return }
            state.lastDraw = now
            let elapsed = max(now - state.started, 0.001)
            let rate = Int64(Double(state.done) / elapsed)
            let percent = state.total > 0 ? Int(Double(state.done) * 100 / Double(state.total)) : 0
            let line = "\(state.label) \(ByteCount.format(state.done)) / \(ByteCount.format(state.total)) (\(percent)%) \(ByteCount.format(rate))/s"
            Self.writeStderr("\r\u{1B}[2K" + line)
            state.drawn = true
        }
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    public static func writeStderr(_ text: String) { TerminalIO.write(2, text) }
}
