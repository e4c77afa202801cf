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
            First the preflight checks (as airgap-install preflight; --skip-preflight to leave them \
            out): a failed check stops deploy before anything changes, warnings are printed. Then \
            the steps plan prints: per component, in install order, its namespace is made to exist \
            (kubectl), the image pull secret is applied in it when --username is given (a \
            kubernetes.io/dockerconfigjson Secret for the registry push used, named by \
            --image-pull-secret, default airgap-registry; the password comes from \
            --password-stdin or AIRGAP_REGISTRY_PASSWORD and is never on a command line), then \
            helm upgrade --install \
            with the chart from the state directory, the site values rendered into files there \
            (readable by their owner only) and airgap-install post-render rewriting every image to \
            the site registry. Each step is recorded in journal.jsonl and deploy-state.json. A \
            component already installed with the same chart, values and command is left alone, so \
            a rerun of a finished deploy changes nothing. A failed component stops the run with \
            Helm's message and the commands to see more; fix the cause and run deploy --resume to \
            continue from it. --only and --skip pick components as helmfile's -l app=NAME does. \
            Helm 3 runs the post-renderer as an executable; Helm 4 as the plugin \
            airgap-post-render, written into STATE/deploy/helm-plugins (HELM_PLUGINS is set for \
            helm only). The pull secret (--image-pull-secret NAME without --username: one the \
            site made) is added to every pod spec by the post-renderer. Values site.yaml gives that nothing installed uses are warnings.
            An empty site (no registry before Harbor, component 7): airgap-install serve the \
            bundle with --registry and --project (it writes the state directory deploy reads), \
            node-config on every node, deploy the first seven components (--skip astrago) with --serve URL \
            (their images are pulled through serve; the images check accepts serve's), push into \
            the new Harbor, node-config --after-push, then deploy the rest; see the site admin guide.
            Exit status: 0 deployed, 1 a component, the site values or the helm version failed, 2 usage or I/O error.

            Examples:
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --resume
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --only keycloak --json
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --image-pull-secret airgap-registry
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml --serve http://10.0.0.5:5000 --skip astrago
            """)

    @OptionGroup var source: DeploySourceOptions

    @OptionGroup var steps: DeployStepOptions

    @OptionGroup var cluster: ClusterOptions

    @OptionGroup var login: RegistryLoginOptions

    @Flag(
        name: .customLong("skip-preflight"),
        help: "Do not run the preflight checks first (cluster, helm, NFS settings, GPU nodes, images in the registry).")
    var skipPreflight = false

    @Option(name: .customLong("only"), help: ArgumentHelp("Deploy only this component (repeatable).", valueName: "name"))
    var only: [String] = []

    @Option(name: .customLong("skip"), help: ArgumentHelp("Leave this component out (repeatable).", valueName: "name"))
    var skip: [String] = []

    @OptionGroup var serving: PreflightServeOptions

    @Flag(name: .customLong("resume"), help: "Continue a deploy that stopped at a failed component.")
    var resume = false

    @Flag(name: .customLong("json"), help: "Print a JSON report on standard output.")
    var json = false

    func run() async throws {
        let deploy = try source.open()
        let lock = try StateLocking.lock(deploy.stateDirectory, create: false)
        defer { lock.release() }
        let names = Set(deploy.components.map(\.name))
        for name in only + skip where !names.contains(name) {
            throw CommandFailure(
                "no component \"\(name)\" in this bundle (its components: \(deploy.components.map(\.name).joined(separator: ", ")))",
                .usage)
        }
        let report: Deployer.Report
        do {
            let site = try deploy.siteValues(steps.values)
            let credential = try login.credential()
            let prepared = try await steps.prepare(deploy, site: site, login: credential != nil)
            let kubectl = try cluster.cluster()
            let relocation = try RelocationMap.read(deploy.relocation)
            if !skipPreflight {
                let checks = try await PreflightCommand.checks(
                    deploy, site: site, helm: try steps.helmPath(deploy), cluster: kubectl, login: login,
                    credential: credential, relocation: relocation, serving: serving)
                try PreflightCommand.report(checks, json: false, to: json ? .standardError : .standardOutput, rerun: "or deploy --skip-preflight")
            }
            let pullSecret = credential.map {
                ImagePullSecret(name: steps.imagePullSecret ?? ImagePullSecret.defaultName, registry: relocation.registry, credential: $0)
            }
            let deployer = Deployer(
                source: deploy, values: site, prepared: prepared,
                options: .init(cluster: kubectl, pullSecret: pullSecret, only: Set(only), skip: Set(skip), resume: resume))
            let quiet = json
            report = try await deployer.run { line in if !quiet { print(TerminalText.escaped(line)) } }
        } catch { throw CommandFailure.from(error) }
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
            """
            component "\(failed)" failed; nothing after it was run:
              \(outcome.message ?? "helm failed")
            see more: helm status \(release) -n \(outcome.namespace); kubectl get pods -n \(outcome.namespace); \
            then: airgap-install deploy \(source.bundle) --values \(steps.values) --resume
            """, .failed)
    }
}

/// `airgap-install status`: each component's release as Helm reports it, and its workloads' readiness.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each component's Helm release state and whether its workloads are ready, in install order.",
        discussion: """
            Asks helm (helm list --all --output json) for every component's release and shows the \
            last deploy's record. \
            For each installed release, reads its Deployments, StatefulSets and DaemonSets in its \
            namespace with kubectl (those labelled app.kubernetes.io/instance=RELEASE or annotated \
            meta.helm.sh/release-name: RELEASE) and shows ready against desired replicas. When the \
            cluster cannot be read, readiness is shown as unknown with kubectl's reason.
            Exit status: 0 reported, 1 helm could not list the releases, 2 usage or I/O error.

            Example:
              airgap-install status astrago-1.0.0.tar.zst --json
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("helm"), help: ArgumentHelp("The helm executable.", valueName: "path"))
    var helm: String?

    @OptionGroup var cluster: ClusterOptions

    @Flag(
        name: .customLong("json"),
        help:
            "Print {\"components\": [{\"component\", \"namespace\", \"release\", \"status\", \"lastDeploy\", \"ready\", \"workloads\": {\"workloads\": [{\"name\", \"ready\", \"desired\"}], \"error\"}}]}."
    )
    var json = false

    struct Row: Codable {
        var component: String
        var namespace: String
        var release: String
        /// Helm's status (`deployed`, `failed`, …), or `not installed`.
        var status: ReleaseStatus.State
        var lastDeploy: DeployState.Component.Status?
        /// Every workload has its desired replicas ready (nil: not installed).
        var ready: Bool?
        var workloads: WorkloadReadiness?
    }

    func run() async throws {
        let deploy = try source.open()
        let state: DeployState
        do { state = try DeployState.load(deploy.stateDirectory) } catch { throw CommandFailure.from(error) }
        // Without kubectl the release states are still worth showing; readiness is then unknown.
        let kubectl = cluster.kubectl == nil ? try? cluster.cluster() : try cluster.cluster()
        var rows: [Row] = []
        for release in try await ReleaseStatus.rows(deploy, helm: try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory)) {
            var readiness: WorkloadReadiness?
            if release.status != .notInstalled {
                if let kubectl {
                    readiness = await WorkloadReadiness.read(release: release.release, namespace: release.namespace, with: kubectl)
                } else {
                    readiness = WorkloadReadiness(workloads: [], error: "no kubectl on PATH (give --kubectl PATH)")
                }
            }
            rows.append(
                Row(
                    component: release.component, namespace: release.namespace, release: release.release, status: release.status,
                    lastDeploy: state.components[release.component]?.status, ready: readiness?.allReady, workloads: readiness))
        }
        if json {
            print(JSONOutput.text(["components": rows]))
            return
        }
        for row in rows {
            let last = row.lastDeploy.map { "; last deploy: \($0.rawValue)" } ?? ""
            print(
                TerminalText.escaped(
                    "\(row.component) (namespace \(row.namespace)): \(row.status.rawValue)\(last)\(row.workloads.map { "; \($0.summary)" } ?? "")"))
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
        let lock = try StateLocking.lock(deploy.stateDirectory, create: false)
        defer { lock.release() }
        let helmPath = try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory)
        let installed = try await ReleaseStatus.rows(deploy, helm: helmPath).filter { $0.status != .notInstalled }.reversed()
        guard !installed.isEmpty else {
            print("nothing to uninstall: no release of this bundle is installed")
            return
        }
        if !yes {
            print("uninstall, in this order: \(installed.map(\.component).joined(separator: ", "))? type yes: ", terminator: "")
            guard readLine(strippingNewline: true) == "yes" else {
                throw CommandFailure("not confirmed: nothing uninstalled", .failed)
            }
        }
        do {
            try await ReleaseStatus.uninstall(Array(installed), source: deploy, helm: helmPath) { print(TerminalText.escaped($0)) }
        } catch { throw CommandFailure.from(error) }
    }
}
