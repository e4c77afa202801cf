import ArgumentParser
import Bundle
import Foundation
import Terminal

/// `verify FILE --key PUB…`, shared by both executables.
public struct VerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a bundle's signature and every entry, reading it once as a stream.",
        discussion: """
            Checks the signature of bundle.json with a trusted public key, then every entry \
            against bundle.json: order, size, SHA-256, type (regular files only) and path (no \
            absolute paths, no '..'). When FILE.sig is beside the archive it must sign every \
            byte of it; --require-archive-signature makes a missing FILE.sig a failure (use it \
            whenever the vendor ships one, which pack always writes). Nothing is extracted.
            Exit status: 0 verified, 1 verification failed, 2 usage or I/O error.

            Examples:
              verify astrago-1.0.0.tar.zst --key vendor.pub --require-archive-signature
              verify astrago-1.0.0.tar.zst --key vendor-2026.pub --key vendor-2027.pub --json
            """)

    @Argument(help: "The bundle archive.")
    var file: String

    @Option(name: .customLong("key"), help: ArgumentHelp("A trusted public key (PEM). Repeatable, for key rotation.", valueName: "pub"))
    var keys: [String] = []

    @Flag(
        name: .customLong("require-archive-signature"),
        help: "Fail when the detached signature FILE.sig is missing (by default a missing .sig is reported as absent).")
    var requireArchiveSignature = false

    @Flag(name: .customLong("json"), help: "Print a JSON report on standard output.")
    var json = false

    @Option(
        name: .customLong("threads"),
        help: ArgumentHelp("Cores to check a format-2 bundle's entries on (default: one per core, at most 8; 1: one stream).", valueName: "n"))
    var threads: Int?

    public init() {}

    public func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give the vendor's public key with --key") }
        if let threads, !(1...64).contains(threads) { throw ValidationError("--threads must be between 1 and 64") }
    }

    struct Report: Encodable {
        var file: String
        var verified: Bool
        var signer: String?
        var name: String?
        var version: String?
        var entries: Int?
        var bytes: Int64?
        var archiveSignature: ArchiveSignatureOutcome?
        var error: String?
    }

    public func run() throws {
        let trusted = try KeyFiles.readPublic(keys)
        let progress = ProgressLine()
        defer { progress.finish() }
        do {
            var verifier = BundleVerifier(keys: trusted, requireArchiveSignature: requireArchiveSignature)
            if let threads { verifier.threads = threads }
            let result = try verifier.verify(
                file, onTrusted: { progress.setTotal($0.index.entriesSize, label: "verifying \($0.index.entries.count) entries:") },
                progress: { progress.advance(by: $0) })
            progress.finish()
            let report = Report(
                file: file, verified: true, signer: result.signerFingerprint, name: result.index.name, version: result.index.version,
                entries: result.entriesChecked, bytes: result.bytesChecked, archiveSignature: result.archiveSignature)
            if json {
                print(JSONOutput.text(report))
            } else {
                let detached: String
                switch result.archiveSignature {
                case .verified: detached = "\(file).sig verified"
                case .absent: detached = "absent (content fully checked)"
                case .notChecked: detached = "not checked"
                }
                print(
                    TerminalText.escaped(
                        "verified: \(file) — \(result.index.name) \(result.index.version), signed by \(result.signerFingerprint), "
                            + "\(result.entriesChecked) entries, \(ByteCount.format(result.bytesChecked)); detached signature \(detached)",
                        keepNewlines: false))
            }
        } catch {
            let failure = CommandFailure.from(error)
            if json { print(JSONOutput.text(Report(file: file, verified: false, error: failure.message))) }
            throw failure
        }
    }
}
