import ArgumentParser
import BundleCommands
import BundlePacking
import Integrity
import TarStream

// Vendor side only: the site tool never reads a private key.
extension KeyFiles {
    static func readPrivate(_ path: String, passphrase: String?) throws -> SigningKey {
        let data: [UInt8]
        do { data = try SmallFile.read(path, limit: sizeLimit) } catch {
            throw CommandFailure(message: "cannot read the private key \(path): \(error)", exitCode: ExitCode(2))
        }
        do { return try SigningKey(pem: data, passphrase: passphrase) } catch {
            throw CommandFailure(message: "\(path): \(error)", exitCode: ExitCode(2))
        }
    }
}
