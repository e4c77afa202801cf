import Foundation
import Synchronization

/// `journal.jsonl` in the state directory: a JSON line per step of push, deploy and uninstall, as it
/// happens, never a credential.
public final class PushJournal: Sendable {
    public enum PushStep: String, Sendable {
        case pushStarted = "push-started"
        case project
        case randomAccess = "random-access"
        case repairPass = "repair-pass"
        case blobMounted = "blob-mounted"
        case tagPushed = "tag-pushed"
        case pushFailed = "push-failed"
        case pushFinished = "push-finished"
        case fullPass = "full-pass"
        case alreadyPushed = "already-pushed"
        /// serve wrote what deploy needs (no images) for the site registry the images will go to.
        case staged = "staged-for-deploy"
    }

    private let handle: Mutex<FileHandle>

    /// Opens (or creates, 0600) the journal for appending; anything but a regular file is refused.
    public init(path: String) throws(InstallError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP { throw .bundle("the journal \(path) is a symbolic link; state files are never followed through links (remove it)") }
            throw .io("cannot open the journal \(path) for writing: \(String(cString: strerror(errno)))")
        }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw .bundle("the journal \(path) is not a regular file: refused")
        }
        handle = Mutex(FileHandle(fileDescriptor: fd, closeOnDealloc: true))
    }

    public func record(_ step: PushStep, _ fields: [String: String] = [:]) { record(step.rawValue, fields) }

    /// Appends `{"time": …, "event": …, …fields}`.
    public func record(_ event: String, _ fields: [String: String] = [:]) {
        var object = fields
        object["event"] = event
        object["time"] = ISO8601DateFormatter().string(from: Date())
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        // The journal is a record of progress: a full disk here must not fail the push itself,
        // which checks every image against the registry at the end.
        handle.withLock { try? $0.write(contentsOf: data + Data("\n".utf8)) }
    }
}
