import Foundation
import OCI
import Registry

/// What a push learns once bundle.json is trusted, shared between the thread reading the archive
/// and the tasks around it: the state directory, the journal, what the registry already has.
final class PushContext: @unchecked Sendable {
    private(set) var stateDirectory: String?
    /// Charts and files land here during the pass, and move into the state directory after it.
    private(set) var incoming: String?
    private(set) var journal: PushJournal?
    var present = Set<Digest>()
    var projectOutcome = HarborProjectOutcome.notHarbor
    /// A delta's layers the site already has elsewhere: where to mount each from.
    var mountSources: [Digest: ImageReference] = [:]

    func open(stateDirectory: String) throws {
        do { try StateFiles.makeDirectory(stateDirectory) } catch {
            throw InstallError.io("cannot create the state directory \(stateDirectory): \(error) (choose another with --state-dir)")
        }
        // One made before the state directory was private (0755) becomes so now.
        var status = stat()
        if stat(stateDirectory, &status) == 0, status.st_uid == geteuid(), status.st_mode & 0o077 != 0 { chmod(stateDirectory, 0o700) }
        try StateDirectoryCheck.ownership(stateDirectory)
        let incoming = stateDirectory + "/.incoming-\(getpid())"
        try? FileManager.default.removeItem(atPath: incoming)  // a leftover of an earlier run with our pid
        try StateFiles.makeDirectory(incoming)
        self.stateDirectory = stateDirectory
        self.incoming = incoming
        journal = try PushJournal(path: stateDirectory + "/journal.jsonl")
    }

    /// Drops what the pass wrote (the bundle did not verify, or the push failed).
    func removeIncoming() {
        guard let incoming else { return }
        // Best effort: a leftover `.incoming-PID` is never read as state, and the next run of the same pid clears it.
        try? FileManager.default.removeItem(atPath: incoming)
    }

    /// Moves verified charts and files into the state directory, and keeps the verified bundle.json.
    func installIncoming(files: [String], indexBytes: [UInt8]) throws {
        guard let stateDirectory, let incoming else { return }
        for path in files {
            let destination = stateDirectory + "/" + path
            try StateFiles.makeDirectory((destination as NSString).deletingLastPathComponent)
            guard rename(incoming + "/" + path, destination) == 0 else {
                throw InstallError.io("cannot move \(path) into \(stateDirectory): \(String(cString: strerror(errno)))")
            }
        }
        try StateFiles.write(indexBytes, to: stateDirectory + "/bundle.json")
        removeIncoming()
    }
}
