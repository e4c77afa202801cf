/// How a command that failed ends: the one table of exit statuses, for both executables
/// (docs/adr/0022-typed-outcomes.md). 0 is success and is never an error.
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// The work itself failed: a bundle that does not verify, an image or component that failed,
    /// site values or a state directory refused, helm or kubectl refusing what was asked.
    case failed = 1
    /// The command could not start its work: a bad option, a missing or unreadable file, a tool
    /// that is not there, a disk too small.
    case usage = 2
}

/// An error that knows how it ends a command: each case has one exit status, and its
/// description is the message printed after `error: `.
public protocol ExitStatusError: Error, CustomStringConvertible {
    var exitStatus: ExitStatus { get }
}
