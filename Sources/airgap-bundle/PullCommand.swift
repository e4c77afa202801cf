import ArgumentParser
import BundleCommands
import CommandOptions
import Foundation
import ImagePull
import OCI
import Registry
import System
import Terminal

struct PullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Pull images into an OCI image layout.",
        discussion: """
            Every blob is checked against its digest while it streams to disk; shared layers are \
            fetched once; a blob already in the layout is not fetched again. A tag that names a \
            multi-arch index keeps only the --platform entries; a digest-pinned reference keeps \
            exactly what it pins. Prints one line per image: reference, digest, size, platforms.
            Exit status: 0 all images pulled, 1 some image failed or the layout cannot be written, 2 usage error.

            Examples:
              airgap-bundle pull nginx:1.27 --oci-layout build/images
              airgap-bundle pull localhost:5000/astrago/core:1.0 --insecure-registry localhost:5000 \\
                  --oci-layout build/images --platform linux/amd64 --platform linux/arm64 --json
            """)

    @Argument(help: "Image references, normalized as Docker does (nginx → docker.io/library/nginx:latest).")
    var references: [String]

    @Option(name: .customLong("oci-layout"), help: ArgumentHelp("The OCI image layout directory to fill (created if missing).", valueName: "dir"))
    var layoutPath: String

    @Option(
        name: .customLong("platform"),
        help: ArgumentHelp("A platform to keep from multi-arch images, os/arch[/variant]. Repeatable. Default: linux/amd64.", valueName: "os/arch"))
    var platforms: [String] = []

    @Option(name: .customLong("concurrency"), help: "Blobs fetched at the same time.")
    var concurrency = 4

    @Flag(name: .customLong("json"), help: "Print a JSON report on standard output instead of lines.")
    var json = false

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        guard !references.isEmpty else { throw ValidationError("give at least one image reference") }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 64") }
        for text in references { _ = try parse(text) }
        for text in platforms {
            do { _ = try Platform(parsing: text) } catch { throw ValidationError(error.description) }
        }
    }

    private func parse(_ text: String) throws -> ImageReference {
        do { return try ImageReference(parsing: text) } catch { throw ValidationError(error.description) }
    }

    func run() async throws {
        let references = try self.references.map(parse)
        let platforms = try self.platforms.map { try Platform(parsing: $0) }
        let layout: OCILayout
        let layoutPath = self.layoutPath
        // Opening may re-hash every blob of a layout we did not write: off the cooperative pool.
        do { layout = try await BlockingWork.run { try OCILayout(creatingAt: layoutPath) } } catch {
            // The path was given; what failed is the file system (permissions, space): not a usage error.
            throw CommandFailure(message: "cannot open the OCI layout \(layoutPath): \(error)", exitCode: .init(1))
        }
        if let adoption = layout.adoption {
            ProgressLine.writeStderr(
                "note: \(layoutPath) was not written by airgap-bundle (or was copied): re-hashed its \(adoption.verifiedBlobs) blob(s)\n")
            for removed in adoption.removedBlobs {
                ProgressLine.writeStderr(
                    "warning: \(layoutPath)/\(removed) did not hash to its name and was removed; it is fetched again if an image needs it\n")
            }
        }
        let settings: (configuration: RegistryConfiguration, credentials: CredentialStore)
        do { settings = try registry.clientSettings() } catch { throw CommandFailure(message: "\(error)", exitCode: .init(2)) }
        let progress = ProgressLine()
        let layoutRoot = layout.root, concurrency = concurrency
        let outcomes: [PullOutcome]
        do {
            outcomes = try await RegistryClient.withClient(
                configuration: settings.configuration, credentials: settings.credentials, shutdownFailed: CommandRunner.warn
            ) { client in
                await ImagePuller(client: client, layout: layout, platforms: platforms, concurrency: concurrency).pull(
                    references,
                    checkSpace: { needed in try DiskSpace.require(needed + needed / 50 + (64 << 20), at: layoutRoot, for: "fetch the images") }
                ) { event in
                    switch event {
                    case .planned(let bytes, let blobs, let present, let images):
                        let note = present > 0 ? ", \(ByteCount.format(present)) already present" : ""
                        progress.setTotal(bytes, label: "pulling \(images) image(s), \(blobs) blob(s)\(note):")
                    case .transferred(let bytes): progress.advance(by: bytes)
                    }
                }
            }
        } catch { throw CommandFailure(message: "\(error)", exitCode: .init(2)) }
        progress.finish()

        let report = PullReport(layout: layoutPath, outcomes: outcomes)
        if json {
            print(JSONOutput.text(report))
        } else {
            print(report.lines(), terminator: "")
        }
        for failure in report.failures { ProgressLine.writeStderr("error: \(failure.message)\n") }
        for image in report.images { for warning in image.warnings { ProgressLine.writeStderr("warning: \(image.reference): \(warning)\n") } }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
