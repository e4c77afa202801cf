import Foundation

/// A push's state directory, opened once bundle.json is trusted.
struct PushState: Sendable {
    let directory: String
    /// Charts and files land here during the pass, and move into the state directory after it.
    let incoming: String
    let journal: PushJournal

    /// Creates (or takes over) the state directory. Blocks: call it through `BlockingWork`.
    static func open(_ directory: String) throws -> PushState {
        do { try StateFiles.makeDirectory(directory) } catch {
            throw InstallError.io("cannot create the state directory \(directory): \(error) (choose another with --state-dir)")
        }
        // One made before the state directory was private (0755) becomes so now.
        var status = stat()
        if stat(directory, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o077 != 0 { chmod(directory, 0o700) }
        try StateDirectoryCheck.ownership(directory)
        let incoming = directory + "/.incoming-\(getpid())"
        try? FileManager.default.removeItem(atPath: incoming)  // a leftover of an earlier run with our pid
        try StateFiles.makeDirectory(incoming)
        return PushState(directory: directory, incoming: incoming, journal: try PushJournal(path: directory + "/journal.jsonl"))
    }

    /// Drops what the pass wrote (the bundle did not verify, or the push failed).
    func removeIncoming() {
        // Best effort: a leftover `.incoming-PID` is never read as state, and the next run of the same pid clears it.
        try? FileManager.default.removeItem(atPath: incoming)
    }

    /// Moves verified charts and files in, and keeps bundle.json. Blocks: call it through `BlockingWork`.
    func installIncoming(files: [String], indexBytes: [UInt8]) throws {
        for path in files {
            let destination = directory + "/" + path
            try StateFiles.makeDirectory((destination as NSString).deletingLastPathComponent)
            guard rename(incoming + "/" + path, destination) == 0 else {
                throw InstallError.io("cannot move \(path) into \(directory): \(String(cString: strerror(errno)))")
            }
        }
        try StateFiles.write(indexBytes, to: directory + "/bundle.json")
        removeIncoming()
    }
}
