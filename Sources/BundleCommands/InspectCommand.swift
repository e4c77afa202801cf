import ArgumentParser
import Bundle
import Foundation
import Terminal

/// `inspect FILE`, shared by both executables: reads bundle.json only, extracts nothing.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what a bundle holds, reading only bundle.json (nothing is extracted).",
        discussion: """
            With --key the signature of bundle.json is checked first; without, the output says \
            the content is unverified. Run verify to check every entry.

            Examples:
              inspect astrago-1.0.0.tar.zst --key vendor.pub
              inspect astrago-1.0.0.tar.zst --json
            """)

    @Argument(help: "The bundle archive.")
    var file: String

    @Option(
        name: .customLong("key"), help: ArgumentHelp("A trusted public key (PEM) to check bundle.json's signature. Repeatable.", valueName: "pub"))
    var keys: [String] = []

    @Flag(name: .customLong("json"), help: "Print JSON on standard output.")
    var json = false

    public init() {}

    struct Report: Encodable {
        var file: String
        var signatureVerified: Bool
        var signer: String
        var compressedSize: Int64
        var totalSize: Int64
        var index: BundleIndex
    }

    public func run() throws {
        let trusted = try KeyFiles.readPublic(keys)
        let signed: BundleVerifier.SignedIndex
        do { signed = try BundleVerifier(keys: trusted).readSignedIndex(file) } catch { throw CommandFailure.from(error) }
        let index = signed.index
        let compressed = signed.archiveSize
        if json {
            print(
                JSONOutput.text(
                    Report(
                        file: file, signatureVerified: signed.signatureVerified, signer: signed.signerFingerprint,
                        compressedSize: compressed, totalSize: index.entriesSize, index: index)))
            return
        }
        var lines = [
            "bundle:     \(index.name) \(index.version)",
            "created:    \(index.created)",
            "builder:    \(index.builder.name) \(index.builder.version)",
            "format:     \(index.formatVersion)\(signed.reader.seekTable.map { " (zstd seekable format, \($0.frames.count) frames)" } ?? "")",
            "signer:     \(signed.signerFingerprint) (\(signed.signatureVerified ? "signature verified" : "UNVERIFIED: give --key to check"))",
            "size:       \(ByteCount.format(index.entriesSize)) in \(index.entries.count) entries, \(ByteCount.format(compressed)) compressed",
        ]
        lines.append("components: \(index.components.isEmpty ? "(none)" : "")")
        for (position, component) in index.components.enumerated() {
            lines.append(
                "  \(position + 1). \(component.name)\(component.namespace.map { " (namespace \($0))" } ?? "")\(component.optional == true ? " [optional]" : "")"
            )
        }
        lines.append("charts:     \(index.charts.isEmpty ? "(none)" : "")")
        for chart in index.charts { lines.append("  \(chart.name ?? chart.path) \(chart.version ?? "")  \(ByteCount.format(chart.size))") }
        lines.append("images:     \(index.images.isEmpty ? "(none)" : "")")
        for image in index.images {
            lines.append("  \(image.reference)  \(image.digest)  \(ByteCount.format(image.size))  \(image.platforms.joined(separator: ","))")
        }
        lines.append("files:      \(index.files.isEmpty ? "(none)" : "")")
        for file in index.files { lines.append("  \(file.path)  \(ByteCount.format(file.size))") }
        // Every field comes from the (possibly unsigned) bundle: escape what could drive a terminal.
        print(lines.map { TerminalText.escaped($0, keepNewlines: false) }.joined(separator: "\n"))
    }
}
