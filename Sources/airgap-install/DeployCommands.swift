import ArgumentParser
import BundleCommands
import Foundation
import Install
import Rendering
import System
import Terminal

/// Options every deploy-side command takes: the bundle and the state directory push filled.
struct DeploySourceOptions: ParsableArguments {
    @Argument(help: "The bundle archive (already pushed: its state directory holds charts and relocation.json).")
    var bundle: String

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("The state directory push used (default /var/lib/airgap-install/NAME-VERSION).", valueName: "dir"))
    var stateDirectory: String?

    @Option(
        name: .customLong("key"),
        help: ArgumentHelp(
            "The vendor's public key (PEM; repeatable): bundle.json's signature is verified again, not only compared with what push verified.",
            valueName: "pub"))
    var keys: [String] = []

    func open() throws -> DeploySource {
        let trusted = try KeyFiles.readPublic(keys)
        do { return try DeploySource.open(bundle: bundle, stateDirectory: stateDirectory, keys: trusted) } catch { throw CommandFailure.from(error) }
    }
}

/// `airgap-install init-values`: a commented site.yaml to fill in.
struct InitValuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init-values",
        abstract: "Write a commented site.yaml listing every site value the bundle needs.",
        discussion: """
            Each value is nested by its dotted name (nfs.server is nfs: {server: …}) under a \
            comment with its description, type and whether it is required or secret; defaults \
            are filled in. Optional components are listed under components: to switch off. \
            Reads the state directory push filled. An existing --out file is not overwritten.
            Exit status: 0 written, 1 the bundle cannot be used, 2 usage or I/O error.

            Example:
              airgap-install init-values astrago-1.0.0.tar.zst --out site.yaml
            """)

    @OptionGroup var source: DeploySourceOptions

    @Option(name: .customLong("out"), help: ArgumentHelp("Where to write it.", valueName: "file"))
    var out: String

    func run() throws {
        let deploy = try source.open()
        guard !FileManager.default.fileExists(atPath: out) else {
            throw CommandFailure("\(out) exists: it is not overwritten (remove it, or choose another --out)", .usage)
        }
        let text = SiteValuesTemplate.text(
            bundle: "\(deploy.index.name) \(deploy.index.version)", declarations: deploy.declarations,
            components: deploy.components.map { ($0.name, $0.optional) })
        // 0600 from its first byte, created exclusively: once filled in, it holds the site's secrets.
        do { try SiteValuesTemplate.write(text, to: out) } catch { throw CommandFailure.from(error) }
        print("wrote \(out): \(deploy.declarations.count) site values (\(deploy.declarations.filter(\.required).count) required)")
    }
}

/// `airgap-install plan`: the exact ordered helm commands, changing nothing.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Check the site values and print the ordered deploy steps and exact helm commands.",
        discussion: """
            Reads the state directory push filled, checks site.yaml against the bundle's site \
            values (every missing or invalid value is reported at once), renders every enabled \
            component's values in memory, and prints one helm upgrade --install per component in \
            install order, each after its cluster steps (the namespace; with --username, the image \
            pull secret). Values reach helm as files in the state directory, so no value (and no \
            secret) is on a command line or in this output. helm version decides the post-renderer \
            form (Helm 3: the executable; Helm 4: the plugin airgap-post-render, with HELM_PLUGINS \
            shown before the command); versions outside 3.8.0 up to below 5.0.0 are refused. \
            Nothing is written; the cluster is not contacted.
            Exit status: 0 planned, 1 site values or bundle problem, 2 usage or I/O error.

            Examples:
              airgap-install plan astrago-1.0.0.tar.zst --values site.yaml
              airgap-install plan astrago-1.0.0.tar.zst --values site.yaml --state-dir /srv/astrago --json
            """)

    @OptionGroup var source: DeploySourceOptions

    @OptionGroup var steps: DeployStepOptions

    @OptionGroup var plannedLogin: PlannedLoginOptions

    @Flag(
        name: .customLong("json"),
        help:
            "Print {\"steps\": [{\"component\", \"namespace\", \"release\", \"clusterSteps\", \"command\", \"environment\", \"imagePullSecret\"}]} on standard output."
    )
    var json = false

    func run() async throws {
        let deploy = try source.open()
        let prepared: DeployPlan.Prepared
        do { prepared = try await steps.prepare(deploy, site: try deploy.siteValues(steps.values), login: plannedLogin.login) } catch {
            throw CommandFailure.from(error)
        }
        if json {
            print(JSONOutput.text(prepared.plan))
            return
        }
        print("plan: \(deploy.index.name) \(deploy.index.version), \(prepared.plan.steps.count) components in order")
        for line in Self.lines(prepared.plan, valuesFile: steps.values) { print(TerminalText.escaped(line)) }
    }

    /// The steps as plan prints them (setup shows the same).
    static func lines(_ plan: DeployPlan, valuesFile: String) -> [String] {
        var lines: [String] = []
        for (number, step) in plan.steps.enumerated() {
            lines.append("\(number + 1). \(step.component) (namespace \(step.namespace))")
            for line in step.clusterSteps { lines.append("   \(line)") }
            let environment = (step.environment ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value) " }.joined()
            lines.append("   \(environment)\(step.command.joined(separator: " "))")
        }
        for name in plan.skipped { lines.append("skipped: \(name) (enabled: false in \(valuesFile))") }
        return lines
    }
}

/// Where deploy finds helm, kubectl and itself.
enum DeployTools {
    static func helm(_ explicit: String?, stateDirectory: String) throws -> String {
        if let explicit = try executable(explicit, flag: "helm") { return explicit }
        #if arch(arm64)
            let platform = "linux-arm64"
        #else
            let platform = "linux-amd64"
        #endif
        let bundled = stateDirectory + "/files/tools/\(platform)/helm"
        if FileManager.default.isExecutableFile(atPath: bundled) { return bundled }
        if let found = ExecutableLookup.find("helm") { return found }
        throw CommandFailure(
            "no helm: give --helm PATH, or put helm on PATH (the bundle carries none for \(platform))", .usage)
    }

    static func kubectl(_ explicit: String?) throws -> String {
        if let explicit = try executable(explicit, flag: "kubectl") { return explicit }
        if let found = ExecutableLookup.find("kubectl") { return found }
        throw CommandFailure("no kubectl: give --kubectl PATH, or put kubectl on PATH", .usage)
    }

    /// `--FLAG PATH` when given: it must be an executable.
    private static func executable(_ explicit: String?, flag: String) throws -> String? {
        guard let explicit else { return nil }
        guard FileManager.default.isExecutableFile(atPath: explicit) else {
            throw CommandFailure("--\(flag) \(explicit) is not an executable", .usage)
        }
        return explicit
    }

    /// Asks helm its version (refusing one out of range) and prepares the plan in its form; with
    /// `login`, deploy creates the pull secret (named `imagePullSecret`, else the default).
    static func prepare(
        _ deploy: DeploySource, values: SiteValues, valuesFile: String, helm: String?, timeout: String, imagePullSecret: String?, login: Bool
    ) async throws -> DeployPlan.Prepared {
        for warning in values.unusedWarnings {
            FileHandle.standardError.write(Data(TerminalText.escaped("warning: \(valuesFile): \(warning)\n").utf8))
        }
        let helmPath = try Self.helm(helm, stateDirectory: deploy.stateDirectory)
        let form = try await SupportedHelm.form(of: helmPath)
        return try DeployPlan.prepare(
            deploy, values: values,
            options: DeployPlan.Options(
                helm: helmPath, timeout: timeout, postRenderer: postRenderer(relocation: deploy.relocation), postRendererForm: form,
                imagePullSecret: imagePullSecret ?? (login ? ImagePullSecret.defaultName : nil), createsPullSecret: login))
    }

    /// This executable as a Helm post-renderer.
    static func postRenderer(relocation: String) -> [String] {
        // Without /proc (never on Linux sites), the path this was started by.
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return [me, "post-render", "--relocation", relocation]
    }
}
