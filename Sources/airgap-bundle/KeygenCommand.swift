import ArgumentParser
import BundleCommands
import BundlePacking
import Foundation
import Integrity
import OCI
import System

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a signing key pair: PREFIX.key (PKCS#8 PEM, mode 0600) and PREFIX.pub (SPKI PEM).",
        discussion: """
            Prints the key fingerprint: sha256 of the DER public key, as `openssl pkey -pubin \
            -outform DER | sha256sum` computes it. ecdsa-p256 (the default) signs like cosign; \
            ed25519 makes packing byte-for-byte reproducible.

            Examples:
              airgap-bundle keygen --out keys/vendor
              AIRGAP_KEY_PASSPHRASE=… airgap-bundle keygen --out keys/vendor --type ed25519 --passphrase-env AIRGAP_KEY_PASSPHRASE
            """)

    @Option(name: .customLong("out"), help: ArgumentHelp("Path prefix of the two key files.", valueName: "prefix"))
    var prefix: String

    @Option(name: .customLong("type"), help: "ecdsa-p256 or ed25519.")
    var type = "ecdsa-p256"

    @Flag(name: .customLong("force"), help: "Overwrite existing key files.")
    var force = false

    @Flag(name: .customLong("json"), help: "Print JSON on standard output.")
    var json = false

    @OptionGroup var passphrase: PassphraseOptions

    func validate() throws {
        guard KeyType(rawValue: type) != nil else { throw ValidationError("--type must be ecdsa-p256 or ed25519, not \"\(type)\"") }
    }

    func run() throws {
        let keyPath = prefix + ".key", pubPath = prefix + ".pub"
        if !force {
            for path in [keyPath, pubPath] where FileManager.default.fileExists(atPath: path) {
                throw CommandFailure(message: "\(path) exists; keys are never overwritten without --force", exitCode: ExitCode(2))
            }
        }
        let key: SigningKey
        let privatePEM: [UInt8], publicPEM: [UInt8], fingerprint: String
        do {
            key = try SigningKey.generate(KeyType(rawValue: type)!)
            privatePEM = try key.pem(passphrase: try passphrase.passphrase())
            publicPEM = try key.publicKey.pem()
            fingerprint = try key.publicKey.fingerprint()
        } catch { throw CommandFailure.from(error) }
        do {
            // Private from its first byte: created 0600, never widened or chmod-ed afterwards.
            try PosixFile.writeAtomically(privatePEM, to: keyPath, mode: 0o600)
            try PosixFile.writeAtomically(publicPEM, to: pubPath)
        } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        if json {
            struct Output: Encodable { var privateKey: String; var publicKey: String; var type: String; var fingerprint: String }
            print(JSONOutput.text(Output(privateKey: keyPath, publicKey: pubPath, type: type, fingerprint: fingerprint)))
        } else {
            print("private key: \(keyPath) (keep it secret)\npublic key:  \(pubPath)\nfingerprint: \(fingerprint)")
        }
    }
}
