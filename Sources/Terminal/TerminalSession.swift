import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The terminal `setup` talks to: what it can do (colour, cursor movement, width), and the
/// promise that it is left sane — the settings it had at the start are put back on every exit,
/// and on Ctrl-C (SIGINT), SIGTERM or SIGHUP, with a line that says how to resume.
public final class TerminalSession: Sendable {
    /// Standard input and standard output are both terminals.
    public let interactive: Bool
    /// Colours and bold: a terminal, `NO_COLOR` unset, `TERM` not `dumb`.
    public let color: Bool
    /// Redrawing in place (a progress bar, the live table): a terminal whose `TERM` is not `dumb`.
    public let redraws: Bool

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        interactive = isatty(0) == 1 && isatty(1) == 1
        let dumb = (environment["TERM"] ?? "dumb").isEmpty || environment["TERM"] == "dumb"
        redraws = isatty(1) == 1 && !dumb
        color = redraws && environment["NO_COLOR"].map(\.isEmpty) ?? true
    }

    /// Columns of standard output's terminal (80 when unknown), at least 40.
    public var width: Int {
        var size = winsize()
        guard ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return max(40, Int(size.ws_col))
    }

    /// Saves the terminal's settings and arranges that they are restored, and `resumeHint`
    /// printed, when the process is interrupted. Call once, before the first prompt.
    public func guardTerminal(resumeHint: String) {
        SavedTerminal.save(message: "\n" + resumeHint + "\n")
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = terminalSignalHandler
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(signal, &action, nil)
        }
    }

    /// Puts the saved settings back (echo on, canonical input), as at the start.
    public func restore() { SavedTerminal.restore() }

    /// `text` in bold (and `code` colour) when colours are on.
    public func styled(_ text: String, _ style: Style) -> String {
        guard color else { return text }
        return "\u{1B}[\(style.rawValue)m" + text + "\u{1B}[0m"
    }

    /// SGR codes.
    public enum Style: String, Sendable {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case cyan = "36"
    }

    /// Writes `text` to standard output at once (no buffering).
    public func write(_ text: String) { TerminalIO.write(1, text) }
}

/// Raw writes to a file descriptor, retried until done.
public enum TerminalIO {
    public static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

/// The settings saved at the start and the interruption message, kept where a signal handler
/// may read them without allocating (written once, before any handler is installed).
enum SavedTerminal {
    nonisolated(unsafe) static var settings = termios()
    nonisolated(unsafe) static var saved = false
    nonisolated(unsafe) static var message: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) static var messageLength = 0

    static func save(message text: String) {
        saved = tcgetattr(0, &settings) == 0
        let bytes = Array(text.utf8)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        buffer.initialize(from: bytes, count: bytes.count)
        message = buffer
        messageLength = bytes.count
    }

    static func restore() {
        if saved { tcsetattr(0, TCSANOW, &settings) }
    }
}

/// Only async-signal-safe calls: tcsetattr, write, _exit.
private func terminalSignalHandler(_ signal: Int32) {
    SavedTerminal.restore()
    // Show the cursor again and reset colours, in case a redraw was cut short.
    let reset: StaticString = "\u{1B}[0m\u{1B}[?25h"
    if isatty(1) == 1 { _ = Glibc.write(1, reset.utf8Start, reset.utf8CodeUnitCount) }
    if let message = SavedTerminal.message { _ = Glibc.write(2, message, SavedTerminal.messageLength) }
    _exit(128 + signal)
}
