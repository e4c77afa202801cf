import Foundation

/// `journal.jsonl` in the state directory: one JSON line per step of a push (and later deploy),
/// appended as it happens, so an admin can see what a run did and where it stopped. It never
/// holds a credential.
public final class PushJournal: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    public init(path: String) throws(InstallError) {
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw .io("cannot open the journal \(path) for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    /// Appends `{"time": …, "event": …, …fields}`.
    public func record(_ event: String, _ fields: [String: String] = [:]) {
        var object = fields
        object["event"] = event
        object["time"] = ISO8601DateFormatter().string(from: Date())
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        lock.lock()
        defer { lock.unlock() }
        // The journal is a record of progress: a full disk here must not fail the push itself,
        // which checks every image against the registry at the end.
        try? handle.write(contentsOf: data + Data("\n".utf8))
    }
}
