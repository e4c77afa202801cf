import ArgumentParser
import Bundle
import BundleCommands
import Install
import Integrity
import System

/// The `StateDirectoryLock` push, deploy, uninstall and setup hold while they change a state
/// directory (a second one fails at once, exit 1). Setup holds it from its push to its deploy.
enum StateLocking {
    /// Locks `directory`, made first (0700, parents too) when `create`.
    static func lock(_ directory: String, create: Bool) throws -> StateDirectoryLock {
        try lockUnlessHeld(directory, create: create).mapError { CommandFailure($0.description, .failed) }.get()
    }

    /// Like `lock`, but a lock another process holds is the failure returned, not thrown.
    static func lockUnlessHeld(_ directory: String, create: Bool) throws -> Result<StateDirectoryLock, StateDirectoryLockError> {
        do {
            if create { try PosixFile.makeDirectories(directory, mode: 0o700) }
            return .success(try StateDirectoryLock(directory: directory))
        } catch let error as StateDirectoryLockError {
            if case .held = error { return .failure(error) }
            throw CommandFailure(error.description, .usage)
        } catch {
            throw CommandFailure("cannot create the state directory \(directory): \(error) (choose another with --state-dir)", .usage)
        }
    }

    /// Locks the state directory a push of `bundle` uses. Nil when bundle.json is not trusted: the
    /// push fails on that by itself, and no directory is made for an untrusted bundle.
    static func lockForPush(_ given: String?, bundle: String, keys: [VerifyingKey]) throws -> StateDirectoryLock? {
        guard let signed = try? BundleVerifier(keys: keys).readSignedIndex(bundle), signed.signatureVerified,
            let state = try? given ?? PushOptions.defaultStateDirectory(name: signed.index.name, version: signed.index.version)
        else { return nil }
        return try lock(state, create: true)
    }
}
