import ArgumentParser
import Bundle
import BundleCommands
import BundlePacking
import Foundation
import TarStream
import Terminal
import ToolVersion

struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Pack a staged bundle directory into a signed archive FILE and its detached signature FILE.sig.",
        discussion: """
            The directory holds any of images/ (an OCI image layout), charts/, files/ and \
            components.json; bundle.json, checksums.sha256 and the SBOM are computed. The archive \
            is written to a temporary file and renamed into place when complete.
            FILE.sig is base64 DER, as cosign sign-blob writes it; see docs/security-guide.md for \
            the openssl recipe that checks it.

            Examples:
              airgap-bundle pack stage --key vendor.key --output bundles/astrago-1.0.0.tar.zst --name astrago --version 1.0.0
              airgap-bundle pack stage --key vendor.key --output bundles/astrago.tar.gz --compression gzip --passphrase-file key.pass
              airgap-bundle pack stage --key vendor.key --output bundles/astrago-1.0.0.tar.zst --format 1   # for a site with older tools
            """)

    @Argument(help: "The staged bundle directory.")
    var directory: String

    @Option(name: .customLong("key"), help: ArgumentHelp("The private signing key (PEM).", valueName: "prefix.key"))
    var key: String

    @Option(name: .customLong("output"), help: ArgumentHelp("The archive to write.", valueName: "file"))
    var output: String

    @Option(name: .customLong("compression"), help: "zstd (default), gzip or none.")
    var compression = "zstd"

    @OptionGroup var formatOption: FormatOption

    @Option(name: .customLong("level"), help: "Compression level (zstd 1–19, default 3; gzip 1–9, default 6).")
    var level: Int?

    @Option(name: .customLong("name"), help: "Bundle name (default: the directory's name).")
    var name: String?

    @Option(name: .customLong("version"), help: "Bundle version (default: 0.0.0).")
    var version: String?

    @Option(
        name: .customLong("created"),
        help: ArgumentHelp("Creation time, seconds since 1970 (default: SOURCE_DATE_EPOCH, else the newest staged file).", valueName: "epoch"))
    var created: Int64?

    @Flag(name: .customLong("json"), help: "Print JSON on standard output.")
    var json = false

    @OptionGroup var passphrase: PassphraseOptions

    func validate() throws {
        guard Compression(rawValue: compression) != nil else { throw ValidationError("--compression must be zstd, gzip or none") }
        if formatOption.format == 2, compression != "zstd" {
            throw ValidationError("--format 2 is zstd's seekable format: it needs --compression zstd")
        }
    }

    func run() throws {
        let signingKey = try KeyFiles.readPrivate(key, passphrase: try passphrase.passphrase())
        var options = PackOptions(builder: .init(name: "airgap-bundle", version: ToolVersion.version))
        options.name = name
        options.version = version
        options.created = created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        options.compression = Compression(rawValue: compression)!
        options.compressionLevel = level
        options.format = formatOption.format
        let progress = ProgressLine()
        if progress.enabled { progress.log("packing \(directory) into \(output) …") }
        let result: PackResult
        do { result = try BundlePacker.pack(directory: directory, key: signingKey, output: output, options: options) } catch {
            throw CommandFailure.from(error)
        }
        if json {
            struct Output: Encodable {
                var archive: String; var signature: String; var size: Int64; var sha256: String; var signer: String; var entries: Int;
                var images: Int; var charts: Int
            }
            print(
                JSONOutput.text(
                    Output(
                        archive: result.archivePath, signature: result.signaturePath, size: result.archiveSize, sha256: result.archiveSHA256,
                        signer: result.signerFingerprint, entries: result.index.entries.count, images: result.index.images.count,
                        charts: result.index.charts.count)))
        } else {
            print(
                """
                bundle:    \(result.archivePath) (\(ByteCount.format(result.archiveSize)), sha256 \(result.archiveSHA256))
                signature: \(result.signaturePath)
                signer:    \(result.signerFingerprint)
                contents:  \(result.index.entries.count) entries, \(result.index.images.count) images, \(result.index.charts.count) charts, \(result.index.files.count) files
                """)
        }
    }
}
