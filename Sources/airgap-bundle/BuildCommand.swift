import ArgumentParser
import BuildPipeline
import Bundle
import BundleCommands
import BundlePacking
import Foundation
import Terminal
import ToolVersion

/// `airgap-bundle build`: one command from manifest to a signed, locked bundle.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a signed bundle from a manifest: resolve, lock, fetch, stage and pack in one command.",
        discussion: """
            Resolves every component's chart and the images Helm renders for it (see images), \
            writes or updates the lock file MANIFEST.lock (chart versions and digests, image \
            digests per platform), pulls images into the persistent cache (an OCI layout; nothing \
            there is fetched again), stages charts, images and components.json as hard links into \
            the cache, and packs and signs DIR/NAME-VERSION.tar.zst with its .sig and .sha256. \
            With --locked, exactly the lock is built, or the build fails naming the entry that \
            moved; two --locked builds with an Ed25519 key are byte-identical. --mirror fetches \
            through a mirror while the bundle keeps the original names.
            Exit status: 0 built, 1 a source or the lock failed, 2 usage or I/O error.

            Examples:
              airgap-bundle build manifests/astrago.yaml --key vendor.key
              airgap-bundle build manifests/astrago.yaml --key vendor.key --locked --output bundles/
              airgap-bundle build demo.yaml --key vendor.key --mirror docker.io=127.0.0.1:5000 --insecure-registry 127.0.0.1:5000
            """)

    @OptionGroup var inputs: BuildInputs

    @Option(name: .customLong("key"), help: ArgumentHelp("The vendor's private key (PEM) that signs the bundle.", valueName: "key"))
    var key: String

    @OptionGroup var passphrase: PassphraseOptions

    @Option(name: .customLong("output"), help: ArgumentHelp("Where the bundle, its .sig and .sha256 go.", valueName: "dir"))
    var output = "bundles"

    @Flag(
        name: .customLong("locked"), help: "Build exactly the lock file; fail if it is missing, out of date, or a source no longer has what it names."
    )
    var locked = false

    @Option(
        name: .customLong("created"),
        help: ArgumentHelp("Creation time to record (seconds since 1970); default SOURCE_DATE_EPOCH, else the lock's.", valueName: "epoch"))
    var created: Int64?

    @Option(
        name: .customLong("since"),
        help: ArgumentHelp(
            "Build a delta of this earlier bundle (its .tar.zst, or its bundle.json): layers it carried are listed but not shipped.",
            valueName: "old-bundle"))
    var since: String?

    @Option(
        name: .customLong("split-size"),
        help: ArgumentHelp("Cut the archive into NAME.tar.zst.part-0001, … of at most this size (e.g. 4G, 700M) for USB disks.", valueName: "size"))
    var splitSize: String?

    @OptionGroup var formatOption: FormatOption

    @Flag(name: .customLong("json"), help: "Print a JSON summary on standard output.")
    var json = false

    func validate() throws {
        if let splitSize, Self.bytes(splitSize) == nil {
            throw ValidationError("--split-size \"\(splitSize)\" is not a size: a number with K, M or G (powers of 1024), at least 1M")
        }
    }

    /// `4G`, `700M`, `512K` or a byte count; at least 1 MiB.
    static func bytes(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var digits = text.uppercased()
        var unit: Int64 = 1
        if let last = digits.last, let scale = units[last] {
            unit = scale
            digits.removeLast()
        }
        guard !digits.isEmpty, digits.count <= 12, digits.allSatisfy(\.isNumber), let number = Int64(digits) else { return nil }
        let (value, overflow) = number.multipliedReportingOverflow(by: unit)
        return overflow || value < 1 << 20 ? nil : value
    }

    func run() async throws {
        let signing = try KeyFiles.readPrivate(key, passphrase: try passphrase.passphrase())
        let progress = BuildProgress(quiet: json)
        let report: BuildReport
        do {
            report = try await inputs.withPrepared { manifest, client, finder, platforms in
                var options = BuildOptions(
                    output: output, cache: inputs.cache, platforms: platforms, builder: .init(name: "airgap-bundle", version: ToolVersion.version))
                options.locked = locked
                options.concurrency = inputs.concurrency
                options.created = created.map { Date(timeIntervalSince1970: TimeInterval($0)) }
                options.since = since
                options.splitSize = splitSize.flatMap(Self.bytes)
                options.format = formatOption.format
                let pipeline = BuildPipeline(manifest: manifest, finder: finder, client: client, key: signing, options: options)
                return try await pipeline.build { progress.handle($0) }
            }
            progress.line.finish()
        } catch {
            progress.line.finish()
            let failure = CommandFailure.from(error)
            if json { print(JSONOutput.text(["error": failure.message])) }
            throw failure
        }
        if json {
            print(JSONOutput.text(report))
            return
        }
        var lines = ["built: \(report.bundle) (\(ByteCount.format(report.archiveSize)); \(ByteCount.format(report.contentBytes)) of content)"]
        lines.append("  signature: \(report.signature); checksum: \(report.checksum)")
        if !report.parts.isEmpty {
            lines.append(
                "  split into \(report.parts.count) parts: \(report.parts.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))")
        }
        lines.append("  lock: \(report.lock) (\(report.lockChanged ? "written" : "unchanged"))")
        if let base = report.base {
            lines.append(
                "  delta of \(base.name) \(base.version) (bundle.json sha256 \(base.bundleJSON.prefix(16))…): \(report.layersLeftOut) layer(s) left out"
            )
        }
        lines.append(
            "  fetched \(ByteCount.format(report.bytesFetched)); from the cache \(ByteCount.format(report.bytesFromCache)); \(String(format: "%.1f", report.seconds)) s"
        )
        for component in report.components {
            lines.append("  \(component.name): chart \(component.chart)")
            for image in component.images {
                lines.append(
                    "    \(image.reference)  \(image.digest.short)  \(ByteCount.format(image.size))  \(image.platforms.joined(separator: ","))")
            }
            for image in component.testOnlyImagesLeftOut { lines.append("    (left out, used by helm tests only: \(image))") }
        }
        print(lines.map { TerminalText.escaped($0, keepNewlines: false) }.joined(separator: "\n"))
    }
}

/// `airgap-bundle lock`: resolve and fetch, and write MANIFEST.lock (no bundle).
struct LockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lock",
        abstract: "Write the lock file MANIFEST.lock: each chart's exact version and digest, each image's digests.",
        discussion: """
            Resolves every chart and image as build does and fetches the images into the cache \
            (so the lock names only what exists), then writes MANIFEST.lock beside the manifest. \
            Commit it with the manifest; build --locked then builds exactly it.
            Exit status: 0 written (or unchanged), 1 a source failed, 2 usage or I/O error.

            Example:
              airgap-bundle lock manifests/astrago.yaml
            """)

    @OptionGroup var inputs: BuildInputs

    func run() async throws {
        let progress = BuildProgress(quiet: false)
        do {
            let (lock, changed, lockPath) = try await inputs.withPrepared { manifest, client, finder, platforms in
                let options = BuildOptions(
                    output: "bundles", cache: inputs.cache, platforms: platforms, builder: .init(name: "airgap-bundle", version: ToolVersion.version))
                // The lock step needs no signing key: only build signs.
                let pipeline = BuildPipeline(manifest: manifest, finder: finder, client: client, key: nil, options: options)
                let (lock, changed) = try await pipeline.lock { progress.handle($0) }
                return (lock, changed, pipeline.lockPath)
            }
            progress.line.finish()
            print(
                "\(changed ? "wrote" : "unchanged"): \(lockPath) (\(lock.components.count) components, \(lock.components.flatMap(\.images).count) images)"
            )
        } catch {
            progress.line.finish()
            throw CommandFailure.from(error)
        }
    }
}
