import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a state directory, so that two runs never change one at once: `flock` on
/// `DIR/lock` (0600, never through a link), which holds the holder's PID for the message a
/// second run gets. The kernel drops a `flock` when its holder exits, however it ends, so a lock
/// left by a dead process is simply taken over (the file and the old PID stay until then). The
/// descriptor is close-on-exec: programs the holder runs (helm, kubectl) do not keep the lock.
/// Released by `release`, or when the value goes away, or when the process exits.
public final class StateDirectoryLock: Sendable {
    public static let fileName = "lock"
    public let directory: String
    private let descriptor: Atomic<Int32>

    /// Takes the lock or fails at once (never waits), naming the holder's PID. The directory must exist.
    public init(directory: String) throws(StateDirectoryLockError) {
        self.directory = directory
        let path = directory + "/" + Self.fileName
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unusable(.errno("create the lock file", path)) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let failure =
                errno == EWOULDBLOCK ? StateDirectoryLockError.held(directory: directory, pid: Self.holder(fd)) : .unusable(.errno("lock", path))
            close(fd)
            throw failure
        }
        let pid = Array("\(getpid())\n".utf8)
        guard ftruncate(fd, 0) == 0, pid.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) == pid.count else {
            let failure = FileSystemError.errno("write the PID into", path)
            close(fd)
            throw .unusable(failure)
        }
        descriptor = Atomic(fd)
    }

    deinit { release() }

    /// Gives the lock up (again: nothing).
    public func release() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { close(fd) }
    }

    /// The PID written in the lock file; nil while the holder has not written it yet.
    private static func holder(_ fd: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: bytes[0..<count].prefix { (0x30...0x39).contains($0) }, as: UTF8.self))
    }
}

/// Why a state directory could not be locked.
public enum StateDirectoryLockError: Error, Sendable, CustomStringConvertible {
    /// Another run holds it.
    case held(directory: String, pid: Int32?)
    case unusable(FileSystemError)

    public var description: String {
        switch self {
        case .held(let directory, let pid):
            let holder = pid.map { "PID \($0)" } ?? "another process (its PID is not written yet)"
            return
                "the state directory \(directory) is locked by \(holder), another push, deploy or uninstall on it (\(directory)/\(StateDirectoryLock.fileName)): wait for it to finish, then run this again"
        case .unusable(let error): return error.description
        }
    }
}
