import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads one answer from the terminal: a line as typed, or a secret with echo off (nothing of
/// it reaches the screen; the terminal's settings are put back before returning).
public enum LinePrompt {
    /// nil at end of input (Ctrl-D).
    public static func line(_ prompt: String, session: TerminalSession) -> String? {
        session.write(prompt)
        return readLine(strippingNewline: true)
    }

    /// A secret: echo off while it is typed, a newline after it.
    public static func secret(_ prompt: String, session: TerminalSession) -> String? {
        var settings = termios()
        let haveSettings = tcgetattr(0, &settings) == 0
        if haveSettings {
            var silent = settings
            silent.c_lflag &= ~tcflag_t(ECHO | ECHONL)
            silent.c_lflag |= tcflag_t(ICANON)
            tcsetattr(0, TCSAFLUSH, &silent)
        }
        // The prompt only once echo is off: what is typed after seeing it is never shown.
        session.write(prompt)
        let answer = readLine(strippingNewline: true)
        if haveSettings { tcsetattr(0, TCSANOW, &settings) }
        session.write("\n")
        return answer
    }

    /// `question [y/N]`: true only for y or yes (any case); nil at end of input.
    public static func confirm(_ question: String, session: TerminalSession) -> Bool? {
        guard let answer = line(question + " [y/N] ", session: session) else { return nil }
        return ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
