import ArgumentParser
import BundleCommands
import ChartResolution
import CommandOptions
import Foundation
import Registry
import Rendering
import System
import Terminal

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images",
        abstract: "List every image each component of a manifest will run, found by rendering its chart with Helm.",
        discussion: """
            Resolves each component's chart (HTTP repository, OCI or local directory), renders it \
            with `helm template` (the component's values, release name and namespace, CRDs \
            included), and reads images from pod templates, operator arguments (--flag=REF and \
            --flag REF) and *_IMAGE variables, ConfigMaps (image keys, registry-qualified values, \
            YAML/JSON documents in values), custom resources of any kind, and Chart.yaml \
            annotations; then applies images.extra and images.exclude. Images used only by Helm \
            tests are marked.
            Without helm it stops, unless --no-render: then values are walked and the results are \
            printed as GUESSES.
            Every component is listed: one whose chart fails to resolve or render is marked \
            FAILED with the reason (in --json: "error", and its name in "failed"), and the others \
            are still listed.
            Exit status: 0 listed, 1 a component failed, 2 usage or manifest error.

            Examples:
              airgap-bundle images manifests/astrago.yaml
              airgap-bundle images manifests/astrago.yaml --json --helm /usr/local/bin/helm --kube-version 1.29.0
            """)

    @Argument(help: "The bundle manifest (YAML).")
    var manifest: String

    @Flag(
        name: .customLong("json"),
        help: "Print JSON: {\"components\": [{\"name\", \"images\": [{\"reference\", \"sources\", \"testOnly\"}], \"error\"}], \"failed\": [names]}.")
    var json = false

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable (default: helm on PATH).", valueName: "path"))
    var helmPath: String?

    @Option(name: .customLong("kube-version"), help: "The Kubernetes version charts render for (.Capabilities.KubeVersion).")
    var kubeVersion = "1.29.0"

    @Flag(name: .customLong("no-render"), help: "Without helm, guess images from values (loudly marked as guesses).")
    var noRender = false

    @Option(name: .customLong("cache"), help: ArgumentHelp("Where fetched charts are kept.", valueName: "dir"))
    var cache = ".airgap-cache"

    @OptionGroup var registry: RegistryOptions

    func run() async throws {
        let parsed: BundleManifest
        do { parsed = try ManifestParser.load(manifest) } catch let error as ManifestReadError {
            throw CommandFailure(message: "\(error)", exitCode: ExitCode(1))
        } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        var helm: HelmEngine?
        if let executable = ExecutableLookup.find("helm", explicit: helmPath) {
            helm = HelmEngine(executable: executable, kubeVersion: kubeVersion)
        } else if !noRender {
            throw CommandFailure(
                message: helmPath.map { "\($0) is not an executable helm" }
                    ?? "no helm on PATH: images are found by rendering charts with helm; install helm or give --helm PATH (or --no-render to guess from values)",
                exitCode: ExitCode(2))
        }
        let settings: (configuration: RegistryConfiguration, credentials: CredentialStore)
        do { settings = try registry.clientSettings() } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        let results: [ComponentImages]
        do {
            results = try await RegistryClient.withClient(
                configuration: settings.configuration, credentials: settings.credentials, shutdownFailed: CommandRunner.warn
            ) { client in
                let resolver: ChartResolver
                do { resolver = try ChartResolver(client: client, cacheDirectory: cache) } catch {
                    throw CommandFailure(message: "cannot create the chart cache \(cache): \(error.localizedDescription)", exitCode: ExitCode(1))
                }
                let finder = ComponentImageFinder(resolver: resolver, helm: helm, siteValues: parsed.siteValues)
                if helm == nil {
                    ProgressLine.writeStderr(
                        "WARNING: no helm: images below are GUESSED from values, not rendered; computed images will be missing\n")
                }
                return await finder.findEach(parsed.components) { ProgressLine.writeStderr("warning: \(TerminalText.escaped($0))\n") }
            }
        } catch { throw CommandFailure.from(error) }
        let failed = results.filter { $0.error != nil }
        if json {
            struct Output: Encodable { var components: [ComponentImages]; var failed: [String] }
            print(JSONOutput.text(Output(components: results, failed: failed.map(\.name))))
        } else {
            ImagesListing.print(results)
        }
        guard failed.isEmpty else {
            let reasons = failed.map { "component \"\($0.name)\": \($0.error ?? "")" }
            throw CommandFailure(
                message: "\(failed.count) of \(results.count) components failed\n" + reasons.joined(separator: "\n"), exitCode: ExitCode(1))
        }
    }
}
