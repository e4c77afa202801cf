import Foundation
import Synchronization

/// A table of rows redrawn in place as they change — `setup`'s view of a deploy, one row per
/// component: its name, its state, the time it has taken and its last event. Every line is cut
/// to the terminal's width less one, so nothing wraps. Where the terminal cannot redraw
/// (`TERM=dumb`, not a terminal) each change is printed as one plain line instead.
public final class LiveTable: Sendable {
    /// Where a row is: its clock starts at `running` and stops at `done`.
    public enum Phase: Sendable { case pending, running, done }

    struct Row {
        var name: String
        var state: String
        var style: TerminalSession.Style?
        var detail = ""
        var started: Date?
        var ended: Date?
    }

    private struct State {
        var rows: [Row]
        var drawnLines = 0
    }

    private let session: TerminalSession
    private let state: Mutex<State>
    static let stateWidth = 21

    /// Rows in the order given, each `initialState` until updated.
    public init(rows: [String], initialState: String, session: TerminalSession) {
        self.session = session
        state = Mutex(State(rows: rows.map { Row(name: $0, state: initialState) }))
    }

    /// Changes a row and redraws (or, without redrawing, prints the change as a line).
    public func update(_ name: String, state newState: String, style: TerminalSession.Style?, detail: String, phase: Phase) {
        let text: String? = state.withLock { state in
            guard let index = state.rows.firstIndex(where: { $0.name == name }) else { return nil }
            var row = state.rows[index]
            row.state = newState
            row.style = style
            row.detail = detail
            switch phase {
            case .pending: break
            case .running: if row.started == nil { row.started = Date() }
            case .done: row.ended = Date()
            }
            state.rows[index] = row
            if session.redraws { return Self.frame(&state, session: session) }
            let line = "\(row.name): \(row.state)\(row.detail.isEmpty ? "" : " — " + row.detail)"
            return line + "\n"
        }
        if let text { session.write(text) }
    }

    /// Redraws (for the clocks of running rows); nothing without redrawing.
    public func tick() {
        guard session.redraws else { return }
        let text = state.withLock { Self.frame(&$0, session: session) }
        session.write(text)
    }

    /// The header and every row, as lines of at most `width - 1` characters.
    public func lines(width: Int, now: Date = Date()) -> [String] {
        state.withLock { Self.lines($0.rows, width: width, now: now, session: nil) }
    }

    private static func frame(_ state: inout State, session: TerminalSession) -> String {
        let lines = lines(state.rows, width: session.width, now: Date(), session: session)
        var text = state.drawnLines > 0 ? "\u{1B}[\(state.drawnLines)A" : ""
        for line in lines { text += "\r\u{1B}[2K" + line + "\n" }
        state.drawnLines = lines.count
        return text
    }

    static func lines(_ rows: [Row], width: Int, now: Date, session: TerminalSession?) -> [String] {
        let nameWidth = min(24, max(9, rows.map(\.name.count).max() ?? 0))
        let limit = width - 1
        func cells(_ name: String, _ state: String, _ time: String, _ detail: String, style: TerminalSession.Style?) -> String {
            let plain = name.padded(nameWidth) + "  " + state.padded(stateWidth) + "  " + time.leftPadded(6) + "  "
            let room = max(0, limit - plain.count)
            let last = detail.count > room ? String(detail.prefix(max(0, room - 1))) + (room > 0 ? "…" : "") : detail
            guard let session, let style, plain.count + last.count <= limit else { return String((plain + last).prefix(limit)) }
            let shown = state.padded(stateWidth)
            return name.padded(nameWidth) + "  " + session.styled(shown, style) + "  " + time.leftPadded(6) + "  " + last
        }
        var lines = [String(cells("COMPONENT", "STATE", "TIME", "LAST EVENT", style: nil).prefix(limit))]
        for row in rows {
            var time = ""
            if let started = row.started { time = ProgressBar.clock((row.ended ?? now).timeIntervalSince(started)) }
            lines.append(
                cells(String(row.name.prefix(nameWidth)), row.state, time, row.detail.replacingOccurrences(of: "\n", with: " "), style: row.style))
        }
        return lines
    }
}

extension String {
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
