import ArgumentParser
import Bundle
import BundleCommands
import Install
import Integrity
import System

/// The lock push, deploy, uninstall and setup hold on a state directory while they change it
/// (`StateDirectoryLock`): a second one on the same directory fails at once, exit 1, naming the
/// holder's PID. Setup takes it once, before its push, and keeps it through its deploy: it calls
/// the library, never these commands, so it never waits for itself.
enum StateLocking {
    /// Locks `directory`, made first (0700, parents too) when `create`.
    static func lock(_ directory: String, create: Bool) throws -> StateDirectoryLock {
        do {
            if create { try PosixFile.makeDirectories(directory, mode: 0o700) }
            return try StateDirectoryLock(directory: directory)
        } catch let error as StateDirectoryLockError {
            if case .held = error { throw CommandFailure(error.description, .failed) }
            throw CommandFailure(error.description, .usage)
        } catch {
            throw CommandFailure("cannot create the state directory \(directory): \(error) (choose another with --state-dir)", .usage)
        }
    }

    /// Locks the state directory a push of `bundle` uses (`given`, else the default for its signed
    /// name and version). Nil when bundle.json cannot be read or its signature does not verify
    /// with `keys`: the push then fails on that by itself, before it writes anything, and no
    /// directory is made for a bundle that is not trusted.
    static func lockForPush(_ given: String?, bundle: String, keys: [VerifyingKey]) throws -> StateDirectoryLock? {
        // The push reports why bundle.json cannot be trusted; here it only means there is nothing to lock yet.
        guard let signed = try? BundleVerifier(keys: keys).readSignedIndex(bundle), signed.signatureVerified,
            let state = try? given ?? PushOptions.defaultStateDirectory(name: signed.index.name, version: signed.index.version)
        else { return nil }
        return try lock(state, create: true)
    }
}
