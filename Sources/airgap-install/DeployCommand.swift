import ArgumentParser
import BundleCommands
import Foundation
import Install
import Terminal

/// `airgap-install deploy`: every component in order with helm, journaled, resumable.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Install every component in order with helm upgrade --install, images from the site registry.",
        discussion: """
            Runs the steps plan prints: per component, in install order, helm upgrade --install \
            with the chart from the state directory, the site values rendered into files there \
            (readable by their owner only) and airgap-install post-render rewriting every image to \
            the site registry. Each step is recorded in journal.jsonl and deploy-state.json. A \
            component already installed with the same chart, values and command is left alone, so \
            a rerun of a finished deploy changes nothing. A failed component stops the run with \
            Helm's message and the commands to see more; fix the cause and run deploy --resume to \
            continue from it. --only and --skip pick components as helmfile's -l app=NAME does. \
            Helm 3 runs the post-renderer as an executable; Helm 4 as the plugin \
            airgap-post-render, written into STATE/deploy/helm-plugins (HELM_PLUGINS is set for \
            helm only). --image-pull-secret NAME adds that Secret to every pod spec (a private \
            registry project). Values site.yaml gives that nothing installed uses are warnings.
            Exit status: 0 deployed, 1 a component, the site values or the helm version failed, 2 usage or I/O error.

            Examples:
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --resume
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --only keycloak --json
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --image-pull-secret airgap-registry
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("values"), help: ArgumentHelp("The site values (see init-values).", valueName: "site.yaml"))
    var values: String

    @Option(
        name: .customLong("helm"),
        help: ArgumentHelp("The helm executable (default: the bundle's helm for this platform, else helm on PATH).", valueName: "path"))
    var helm: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("helm --timeout per component.", valueName: "duration"))
    var timeout = "10m0s"

    @Option(name: .customLong("only"), help: ArgumentHelp("Deploy only this component (repeatable).", valueName: "name"))
    var only: [String] = []

    @Option(name: .customLong("skip"), help: ArgumentHelp("Leave this component out (repeatable).", valueName: "name"))
    var skip: [String] = []

    @Option(name: .customLong("image-pull-secret"), help: DeployTools.imagePullSecretHelp)
    var imagePullSecret: String?

    @Flag(name: .customLong("resume"), help: "Continue a deploy that stopped at a failed component.")
    var resume = false

    @Flag(name: .customLong("json"), help: "Print a JSON report on standard output.")
    var json = false

    func run() async throws {
        let deploy = try source.open()
        let names = Set(deploy.components.map(\.name))
        for name in only + skip where !names.contains(name) {
            throw CommandFailure(
                message: "no component \"\(name)\" in this bundle (its components: \(deploy.components.map(\.name).joined(separator: ", ")))",
                exitCode: ExitCode(2))
        }
        let report: Deployer.Report
        do {
            let site = try deploy.siteValues(values)
            let prepared = try await DeployTools.prepare(
                deploy, values: site, valuesFile: values, helm: helm, timeout: timeout, imagePullSecret: imagePullSecret)
            let deployer = Deployer(
                source: deploy, values: site, prepared: prepared, options: .init(only: Set(only), skip: Set(skip), resume: resume))
            let quiet = json
            report = try await deployer.run { line in if !quiet { print(TerminalText.escaped(line)) } }
        } catch { throw DeployFailure.from(error) }
        if json { print(JSONOutput.text(report)) }
        guard let failed = report.failed, let outcome = report.components.first(where: { $0.component == failed }) else {
            if !json {
                let installed = report.components.filter { $0.result == .installed }.count
                let unchanged = report.components.filter { $0.result == .unchanged }.count
                print("deployed: \(installed) installed, \(unchanged) unchanged, \(report.components.count - installed - unchanged) skipped")
            }
            return
        }
        let release = deploy.components.first { $0.name == failed }?.releaseName ?? failed
        throw CommandFailure(
            message: """
                component "\(failed)" failed; nothing after it was run:
                  \(outcome.message ?? "helm failed")
                see more: helm status \(release) -n \(outcome.namespace); kubectl get pods -n \(outcome.namespace); \
                then: airgap-install deploy \(source.bundle) --values \(values) --resume
                """, exitCode: ExitCode(1))
    }
}

/// `airgap-install status`: each component's release as Helm reports it.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each component's Helm release state, in install order.",
        discussion: """
            Asks helm status for every component of the bundle and shows the last deploy's record. \
            (Whether each release's workloads are ready needs the cluster's API through kubectl: \
            not yet.)
            Exit status: 0 reported, 2 usage or I/O error.

            Example:
              airgap-install status astrago-1.0.0.tar.zst --json
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable.", valueName: "path"))
    var helm: String?

    @Flag(name: .customLong("json"), help: "Print {\"components\": [{\"component\", \"namespace\", \"release\", \"status\", \"lastDeploy\"}]}.")
    var json = false

    struct Row: Codable {
        var component: String
        var namespace: String
        var release: String
        /// Helm's status (`deployed`, `failed`, …), or `not installed`.
        var status: String
        var lastDeploy: String?
    }

    func run() async throws {
        let deploy = try source.open()
        let state: DeployState
        do { state = try DeployState.load(deploy.stateDirectory) } catch { throw DeployFailure.from(error) }
        let rows = try await ReleaseStatus.rows(deploy, helm: try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory))
            .map {
                Row(
                    component: $0.component, namespace: $0.namespace, release: $0.release, status: $0.status,
                    lastDeploy: state.components[$0.component]?.status)
            }
        if json {
            print(JSONOutput.text(["components": rows]))
            return
        }
        for row in rows {
            print(
                TerminalText.escaped(
                    "\(row.component) (namespace \(row.namespace)): \(row.status)\(row.lastDeploy.map { "; last deploy: \($0)" } ?? "")"))
        }
    }
}

/// `airgap-install uninstall`: every installed component, in reverse order.
struct UninstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Uninstall every installed component in reverse install order.",
        discussion: """
            Asks for confirmation (type "yes") unless --yes. Releases not installed are passed by. \
            Volumes whose StorageClass retains them (astrago-nfs-csi: Retain) keep their data.
            Exit status: 0 uninstalled, 1 a release failed to uninstall or not confirmed, 2 usage or I/O error.

            Example:
              airgap-install uninstall astrago-1.0.0.tar.zst --yes
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable.", valueName: "path"))
    var helm: String?

    @Flag(name: .customLong("yes"), help: "Do not ask.")
    var yes = false

    func run() async throws {
        let deploy = try source.open()
        let helmPath = try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory)
        let installed = try await ReleaseStatus.rows(deploy, helm: helmPath).filter { $0.status != ReleaseStatus.notInstalled }.reversed()
        guard !installed.isEmpty else {
            print("nothing to uninstall: no release of this bundle is installed")
            return
        }
        if !yes {
            print("uninstall, in this order: \(installed.map(\.component).joined(separator: ", "))? type yes: ", terminator: "")
            guard readLine(strippingNewline: true) == "yes" else {
                throw CommandFailure(message: "not confirmed: nothing uninstalled", exitCode: ExitCode(1))
            }
        }
        do {
            try await ReleaseStatus.uninstall(Array(installed), source: deploy, helm: helmPath) { print(TerminalText.escaped($0)) }
        } catch { throw DeployFailure.from(error) }
    }
}
