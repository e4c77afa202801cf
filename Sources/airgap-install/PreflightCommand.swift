import ArgumentParser
import BundleCommands
import Foundation
import Install
import Registry
import Terminal

/// `airgap-install preflight`: read-only checks of the cluster, tools and registry before deploying.
struct PreflightCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preflight",
        abstract: "Check the cluster, helm, the NFS settings, GPU nodes and the images in the site registry before deploying.",
        discussion: """
            One line per check: the cluster answers kubectl and its Kubernetes version is \
            supported; helm's version is supported; the NFS settings of the StorageClass are \
            given; GPU nodes exist when the GPU Operator is enabled (a warning only); every image \
            of relocation.json is in the site registry, by digest where push put it (give the \
            registry login push used: --username, --ca-file or --plain-http). Nothing is changed. \
            deploy runs the same checks before its first install. On a site served by \
            airgap-install serve: --serve URL checks that the bundle server answers (from this \
            host; a node's own reach cannot be seen from here) and, before push, that every image \
            not in the site registry yet answers there under its site name; --node-config DIR that \
            node-config wrote DIR for the registry and project of relocation.json.
            Exit status: 0 every check passed (warnings allowed), 1 a check failed, 2 usage or I/O error.

            Example:
              airgap-install preflight astrago-1.0.0.tar.zst --values site.yaml --kubeconfig ~/.kube/config \\
                  --username admin --password-stdin < harbor.pass
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("values"), help: ArgumentHelp("The site values (see init-values).", valueName: "site.yaml"))
    var values: String

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable.", valueName: "path"))
    var helm: String?

    @OptionGroup var cluster: ClusterOptions

    @OptionGroup var login: RegistryLoginOptions

    @Flag(name: .customLong("json"), help: "Print {\"checks\": [{\"name\", \"result\", \"detail\"}]}.")
    var json = false

    @OptionGroup var serving: PreflightServeOptions

    func run() async throws {
        let deploy = try source.open()
        var checks: [Preflight.Check]
        do {
            let site = try deploy.siteValues(values)
            let relocation = try RelocationMap.read(deploy.relocation)
            checks = try await Self.checks(
                deploy, site: site, helm: try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory), cluster: try cluster.cluster(),
                login: login, credential: try login.credential(), relocation: relocation, serving: serving)
        } catch { throw CommandFailure.from(error) }
        try Self.report(checks, json: json, to: .standardOutput, rerun: nil)
    }

    /// Every check, the images' after the cluster's, then the bundle server's (given `--serve`
    /// or `--node-config`). With `--serve`, an image not in the site registry yet passes when the
    /// bundle server answers it under its site name (an empty site, before push).
    static func checks(
        _ deploy: DeploySource, site: SiteValues, helm: String, cluster: Kubectl, login: RegistryLoginOptions, credential: Credential?,
        relocation: RelocationMap, serving: PreflightServeOptions
    ) async throws -> [Preflight.Check] {
        var checks = await Preflight.run(deploy, values: site, helm: helm, cluster: cluster)
        let (configuration, store) = login.clientSettings(for: relocation.registry, credential: credential)
        var images = try await RegistryClient.withClient(configuration: configuration, credentials: store, shutdownFailed: CommandRunner.warn) {
            await Preflight.imagesCheck(relocation, client: $0)
        }
        if let serve = serving.serve { images = await Preflight.imagesCheck(relocation, registry: images, serve: serve, caFile: login.caFile) }
        checks.append(images)
        return checks + (await serving.checks(relocation: relocation, caFile: login.caFile))
    }

    /// Prints one line per check (or the JSON) and fails on the first failed check.
    static func report(_ checks: [Preflight.Check], json: Bool, to output: FileHandle, rerun: String?) throws {
        let lines = checks.map { "\($0.result.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))\($0.name): \($0.detail)" }
        output.write(Data((json ? JSONOutput.text(["checks": checks]) + "\n" : lines.map { TerminalText.escaped($0) + "\n" }.joined()).utf8))
        if let failed = checks.first(where: { $0.result == .failed }) {
            throw CommandFailure("preflight failed: \(failed.name): \(failed.detail)\(rerun.map { "; fix it and run again (\($0))" } ?? "")", .failed)
        }
    }
}
