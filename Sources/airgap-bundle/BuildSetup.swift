import ArgumentParser
import BuildPipeline
import Bundle
import BundleCommands
import ChartResolution
import CommandOptions
import Foundation
import OCI
import Registry
import Rendering
import System
import Terminal
import ToolVersion

/// Options `build` and `lock` share: the manifest, the platforms, the cache, helm, registries.
struct BuildInputs: ParsableArguments {
    @Argument(help: "The bundle manifest (YAML); its lock file is MANIFEST.lock beside it.")
    var manifest: String

    @Option(
        name: .customLong("platform"),
        help: ArgumentHelp("A platform to keep from multi-arch images. Repeatable. Default: the manifest's.", valueName: "os/arch"))
    var platforms: [String] = []

    @Option(
        name: .customLong("cache"),
        help: ArgumentHelp("The persistent cache of charts and images (an OCI layout); what is there is never fetched again.", valueName: "dir"))
    var cache = ".airgap-cache"

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable that renders the charts (default: helm on PATH).", valueName: "path"))
    var helmPath: String?

    @Option(name: .customLong("kube-version"), help: "The Kubernetes version charts render for (.Capabilities.KubeVersion).")
    var kubeVersion = "1.29.0"

    @Option(name: .customLong("concurrency"), help: "Blobs fetched at the same time.")
    var concurrency = 4

    @OptionGroup var registry: RegistryOptions

    func validate() throws {
        for platform in platforms {
            do { _ = try Platform(parsing: platform) } catch { throw ValidationError("--platform \(platform): \(error)") }
        }
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 64") }
    }

    /// Runs `body` with the manifest, the image finder, the platforms and the registry client
    /// (shut down when `body` returns or throws; see `RegistryClient.withClient`).
    func withPrepared<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (BundleManifest, RegistryClient, ComponentImageFinder, [Platform]) async throws -> Result
    ) async throws -> Result {
        let (manifest, helm, platforms) = try prepare()
        let settings: (configuration: RegistryConfiguration, credentials: CredentialStore)
        do { settings = try registry.clientSettings() } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        return try await RegistryClient.withClient(
            configuration: settings.configuration, credentials: settings.credentials, shutdownFailed: CommandRunner.warn
        ) { client in
            let resolver: ChartResolver
            do { resolver = try ChartResolver(client: client, cacheDirectory: cache) } catch {
                throw CommandFailure(message: "cannot create the cache \(cache): \(error.localizedDescription)", exitCode: ExitCode(2))
            }
            return try await body(manifest, client, ComponentImageFinder(resolver: resolver, helm: helm, siteValues: manifest.siteValues), platforms)
        }
    }

    private func prepare() throws -> (BundleManifest, HelmEngine, [Platform]) {
        let parsed: BundleManifest
        do { parsed = try ManifestParser.load(manifest) } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        guard let executable = ExecutableLookup.find("helm", explicit: helmPath) else {
            throw CommandFailure(
                message: helmPath.map { "\($0) is not an executable helm" }
                    ?? "no helm on PATH: build finds images by rendering charts with helm; install helm or give --helm PATH",
                exitCode: ExitCode(2))
        }
        let chosen = try platforms.isEmpty ? parsed.platforms : platforms.map { try Platform(parsing: $0) }
        return (parsed, HelmEngine(executable: executable, kubeVersion: kubeVersion), chosen)
    }
}

/// Prints build progress: phases as plain lines, bytes on a terminal's progress line.
struct BuildProgress: Sendable {
    let line = ProgressLine()
    let quiet: Bool

    func handle(_ event: BuildEvent) {
        switch event {
        case .phase(let name):
            line.finish()
            if !quiet { ProgressLine.writeStderr("== \(name)\n") }
        case .componentResolved(let name, let chart, let images):
            if !quiet { ProgressLine.writeStderr(TerminalText.escaped("   \(name): \(chart), \(images) image(s)") + "\n") }
        case .fetchPlanned(let bytes, let fromCache):
            if !quiet {
                ProgressLine.writeStderr("   to fetch \(ByteCount.format(bytes)); \(ByteCount.format(fromCache)) already in the cache\n")
            }
            line.setTotal(bytes, label: "fetching:")
        case .fetched(let bytes): line.advance(by: bytes)
        case .note(let text): ProgressLine.writeStderr("warning: \(TerminalText.escaped(text))\n")
        }
    }
}
