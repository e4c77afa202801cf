import Foundation
import Synchronization

/// A progress bar on standard output for `setup`: bytes done of the total, rate and time left,
/// redrawn in place at most ten times a second. Where the terminal cannot redraw (`TERM=dumb`,
/// not a terminal) it prints a plain line at every tenth of the way instead.
public final class ProgressBar: Sendable {
    private struct State {
        var total: Int64 = 0
        var done: Int64 = 0
        var started = Date()
        var lastDraw = Date.distantPast
        var lastTenth = -1
        var drawn = false
    }

    private let session: TerminalSession
    private let label: String
    private let state = Mutex(State())

    public init(label: String, session: TerminalSession) {
        self.label = label
        self.session = session
    }

    /// Sets where the work stands (called from any thread).
    public func update(total: Int64, done: Int64) {
        let line: String? = state.withLock { state in
            if total != state.total { state.started = Date() }
            state.total = total
            state.done = done
            let now = Date()
            if session.redraws {
                guard now.timeIntervalSince(state.lastDraw) >= 0.1 || done >= total else { return nil }
                state.lastDraw = now
                state.drawn = true
                return "\r\u{1B}[2K"
                    + Self.render(label: label, total: total, done: done, seconds: now.timeIntervalSince(state.started), width: session.width)
            }
            let tenth = total > 0 ? Int(done * 10 / total) : 0
            guard tenth > state.lastTenth else { return nil }
            state.lastTenth = tenth
            return Self.render(label: label, total: total, done: done, seconds: now.timeIntervalSince(state.started), width: 80) + "\n"
        }
        if let line { session.write(line) }
    }

    /// Ends the bar's line so that ordinary output follows.
    public func finish() {
        let drawn = state.withLock { state in
            defer { state.drawn = false }
            return state.drawn
        }
        if drawn { session.write("\n") }
    }

    /// `label [#####-----]  45%  1.20 GB / 2.00 GB  45.0 MB/s  0:17 left`, cut to `width - 1`.
    public static func render(label: String, total: Int64, done: Int64, seconds: Double, width: Int) -> String {
        let fraction = total > 0 ? min(1, max(0, Double(done) / Double(total))) : 0
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 && total > done ? Self.clock(Double(total - done) / rate) + " left" : (done >= total && total > 0 ? "done" : "")
        let numbers =
            " \(String(Int(fraction * 100)).leftPadded(3))%  \(ByteCount.format(done)) / \(ByteCount.format(total))  \(ByteCount.format(Int64(rate)))/s  \(left)"
        let barWidth = max(10, min(30, width - 1 - label.count - numbers.count - 3))
        let filled = Int(fraction * Double(barWidth))
        let line = "\(label) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]" + numbers
        return String(line.prefix(width - 1))
    }

    /// `0:17`, `12:05`, `1:02:03`.
    public static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, rest) = (whole / 3600, (whole / 60) % 60, whole % 60)
        let tail = String(format: "%02d", rest)
        return hours > 0 ? "\(hours):" + String(format: "%02d", minutes) + ":" + tail : "\(minutes):" + tail
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
