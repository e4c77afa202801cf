import Synchronization

/// An `AtomicFile` that tasks can hand along (a blob written chunk by chunk through
/// `BlockingWork`, an archive entry kept by a `Sendable` keeper): the file sits behind a lock,
/// its calls never overlap. Dropped uncommitted, the file is abandoned.
public final class LockedAtomicFile: Sendable {
    private let file: Mutex<AtomicFile>
    public let path: String

    public init(_ file: sending AtomicFile) {
        path = file.path
        self.file = Mutex(file)
    }

    // @unchecked: a raw pointer is never `Sendable`; the caller's bytes are only read while `write` lasts.
    private struct Borrowed: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(FileSystemError) {
        let borrowed = Borrowed(bytes: bytes)
        try file.withLock { file throws(FileSystemError) in try file.write(borrowed.bytes) }
    }

    public func commit() throws(FileSystemError) { try file.withLock { file throws(FileSystemError) in try file.commit() } }

    public func abandon() { file.withLock { $0.abandon() } }
}
