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
        do { try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true) } catch {
            throw InstallError.io(
                "cannot create the state directory \(stateDirectory): \(error.localizedDescription) (choose another with --state-dir)")
        }
        let incoming = stateDirectory + "/.incoming-\(getpid())"
        try? FileManager.default.removeItem(atPath: incoming)  // a leftover of an earlier run with our pid
        do { try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true) } catch {
            throw InstallError.io("cannot create \(incoming): \(error.localizedDescription)")
        }
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
            do {
                try FileManager.default.createDirectory(
                    atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            } catch {
                throw InstallError.io("cannot create a directory for \(destination): \(error.localizedDescription)")
            }
            guard rename(incoming + "/" + path, destination) == 0 else {
                throw InstallError.io("cannot move \(path) into \(stateDirectory): \(String(cString: strerror(errno)))")
            }
        }
        try StateFiles.write(indexBytes, to: stateDirectory + "/bundle.json")
        removeIncoming()
    }
}

/// Atomic writes into the state directory: a temporary name, fsync, rename, fsync of the directory.
enum StateFiles {
    static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw InstallError.io("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        var failed = false
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; failed = true; return }
                offset += n
            }
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard !failed, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw InstallError.io("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    static func writeJSON<Value: Encodable>(_ value: Value, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(value) } catch { throw InstallError.io("cannot encode \(path): \(error)") }
        try write(Array(data) + [0x0a], to: path)
    }
}
