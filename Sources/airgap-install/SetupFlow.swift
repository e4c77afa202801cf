import ArgumentParser
import Bundle
import BundleCommands
import Foundation
import Install
import Integrity
import Registry
import Terminal

/// The steps of `setup`, in order, each through the library entry point its scripted command uses.
struct SetupFlow {
    let command: SetupCommand
    let session: TerminalSession
    static let steps = 7

    func run() async throws {
        let trusted = try KeyFiles.readPublic(command.keys)
        let verified = try await step(1, "Verify the bundle", "checks the vendor's signature on bundle.json, then every entry against it") {
            try verify(trusted)
        }
        let (site, credential) = try await step(
            2, "Site values", "asks for every value \(command.values) does not hold yet; the file is saved after every answer"
        ) {
            let site = try SetupValuesStep(command: command, session: session, source: verified).run()
            return (site, try registryCredential())
        }
        try await step(3, "Preflight", "reads the cluster, helm and the settings; changes nothing") {
            try await preflight(verified, site: site)
        }
        // Push and deploy change the state directory: it is locked from here to the end.
        let lock = try StateLocking.lock(verified.stateDirectory, create: true)
        defer { lock.release() }
        try await step(
            4, "Push",
            "uploads every image into \(command.registry)/\(command.project); charts and the journal go to \(verified.stateDirectory)"
        ) {
            try await push(trusted, credential: credential, state: verified.stateDirectory)
        }
        let deploy: DeploySource
        do { deploy = try DeploySource.open(bundle: command.bundle, stateDirectory: verified.stateDirectory) } catch {
            throw CommandFailure.from(error)
        }
        let (prepared, pushedSite) = try await step(5, "Plan", "the exact steps deploy runs, in install order; nothing is changed yet") {
            try await plan(deploy, login: credential != nil)
        }
        if !command.yes {
            guard LinePrompt.confirm(session.styled("Deploy now?", .bold), session: session) == true else {
                say(
                    """
                    Nothing was deployed; everything so far is kept (\(command.values), \(deploy.stateDirectory)).
                    To deploy later, run setup again (it skips what is done), or:
                      airgap-install deploy \(SetupCommand.quoted(command.bundle)) --values \(SetupCommand.quoted(command.values)) --state-dir \(SetupCommand.quoted(deploy.stateDirectory))
                    """)
                return
            }
        }
        let report = try await step(6, "Deploy", "helm upgrade --install for each component in order, then its workloads are read") {
            try await SetupDeployView(session: session).run(
                deploy, site: pushedSite, prepared: prepared, cluster: try command.cluster.cluster(), credential: credential, command: command)
        }
        try await step(7, "Summary", "what was installed, where the platform is reached, what to keep") {
            summary(report, deploy: deploy, site: pushedSite)
        }
    }

    /// Runs one step between its heading and how long it took.
    func step<T>(_ number: Int, _ title: String, _ what: String, _ body: () async throws -> T) async throws -> T {
        say("")
        say(session.styled("[\(number)/\(Self.steps)] \(title)", .bold))
        say("      " + TerminalText.escaped(what, keepNewlines: false))
        let started = Date()
        let result = try await body()
        say(session.styled("      \(title.lowercased()): done in \(Self.seconds(Date().timeIntervalSince(started)))", .dim))
        return result
    }

    static func seconds(_ value: Double) -> String { value < 60 ? String(format: "%.1f s", value) : ProgressBar.clock(value) }

    func say(_ text: String) { session.write(text + "\n") }

    func verify(_ trusted: [VerifyingKey]) throws -> DeploySource {
        let bar = ProgressBar(label: "verifying", session: session)
        var capture = SetupCapture { total, done in bar.update(total: total, done: done) }
        let result: VerifiedBundle
        do {
            result = try BundleVerifier(keys: trusted, requireArchiveSignature: command.requireArchiveSignature).verify(
                command.bundle, into: &capture)
        } catch {
            bar.finish()
            throw CommandFailure.from(error)
        }
        bar.finish()
        say(
            TerminalText.escaped(
                "verified: \(result.index.name) \(result.index.version), signed by \(result.signerFingerprint), \(result.entriesChecked) entries, \(ByteCount.format(result.bytesChecked))",
                keepNewlines: false))
        let state = try command.stateDirectory ?? PushOptions.defaultStateDirectory(name: result.index.name, version: result.index.version)
        do { return try DeploySource.beforePush(index: result.index, kept: capture.kept, stateDirectory: state) } catch {
            throw CommandFailure.from(error)
        }
    }

    /// The registry login, its password asked for (never shown) when neither flag nor environment gives it.
    func registryCredential() throws -> Credential? {
        guard let username = command.login.username else { return nil }
        let fromEnvironment = ProcessInfo.processInfo.environment["AIRGAP_REGISTRY_PASSWORD"].map { !$0.isEmpty } ?? false
        guard session.interactive, !command.yes, !command.login.passwordStdin, !fromEnvironment else { return try command.login.credential() }
        while true {
            guard let password = LinePrompt.secret("password of \(username) at \(command.registry) (not shown): ", session: session) else {
                throw CommandFailure("no password given for \(username) at \(command.registry)", .failed)
            }
            if !password.isEmpty { return Credential(username: username, password: password) }
            say("  a password is needed; try again")
        }
    }

    func preflight(_ source: DeploySource, site: SiteValues) async throws {
        let helm = try DeployTools.helm(command.helm, stateDirectory: source.stateDirectory)
        let kubectl = try command.cluster.cluster()
        let checks = await Preflight.run(source, values: site, helm: helm, cluster: kubectl)
        for check in checks {
            let style: TerminalSession.Style = check.result == .ok ? .green : (check.result == .warning ? .yellow : .red)
            say(
                "  " + session.styled(check.result.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0), style)
                    + TerminalText.escaped("\(check.name): \(check.detail)"))
        }
        if let failed = checks.first(where: { $0.result == .failed }) {
            throw CommandFailure(
                "preflight failed: \(failed.name): \(failed.detail)\nfix it, then run setup again (answers are kept):\n  \(command.resumeCommand)",
                .failed)
        }
    }

    func push(_ trusted: [VerifyingKey], credential: Credential?, state: String) async throws {
        var options = PushOptions()
        options.stateDirectory = state
        options.requireArchiveSignature = command.requireArchiveSignature
        let bar = ProgressBar(label: "pushing", session: session)
        let report: PushReport
        do {
            report = try await PushCommand.push(
                command.bundle, keys: trusted, registry: command.registry, project: command.project, harborAPI: command.harborAPI,
                login: command.login, credential: credential, options: options
            ) { total, done in bar.update(total: total, done: done) }
            bar.finish()
        } catch {
            bar.finish()
            throw CommandFailure.from(error)
        }
        say(
            TerminalText.escaped(
                report.alreadyPushed
                    ? "already pushed: \(report.images) images checked in \(report.registry)/\(report.project), every one at its signed digest"
                    : "pushed: \(report.images) images into \(report.registry)/\(report.project); \(report.blobsUploaded) blobs uploaded (\(ByteCount.format(report.bytesUploaded))), \(report.blobsSkipped) already there",
                keepNewlines: false))
    }

    func plan(_ deploy: DeploySource, login: Bool) async throws -> (DeployPlan.Prepared, SiteValues) {
        do {
            let site = try deploy.siteValues(command.values)
            let prepared = try await DeployTools.prepare(
                deploy, values: site, valuesFile: command.values, helm: command.helm, timeout: command.timeout,
                imagePullSecret: command.imagePullSecret, login: login)
            for line in PlanCommand.lines(prepared.plan, valuesFile: command.values) { say(TerminalText.escaped(line)) }
            return (prepared, site)
        } catch { throw CommandFailure.from(error) }
    }

    func summary(_ report: Deployer.Report, deploy: DeploySource, site: SiteValues) {
        let count = { (result: Deployer.Outcome.Result) in report.components.filter { $0.result == result }.count }
        say("installed: \(count(.installed)), unchanged: \(count(.unchanged)), skipped: \(count(.skipped) + site.disabledComponents.count)")
        for outcome in report.components where outcome.result != .skipped {
            say(TerminalText.escaped("  \(outcome.component) (namespace \(outcome.namespace)): \(outcome.result.rawValue)"))
        }
        if let address = site.value("externalIP"), !site.secretNames.contains("externalIP"),
            deploy.components.contains(where: { $0.name == "astrago" })
        {
            let host = address.contains(":") ? "[\(address)]" : address
            say(TerminalText.escaped("the platform: http://\(host):30080 (Keycloak :30001, Harbor :30002 when installed, Grafana :30003)"))
        }
        say(
            TerminalText.escaped(
                """
                keep: \(deploy.stateDirectory) (charts, relocation.json, journal.jsonl, deploy-state.json: status, upgrades and uninstall need it)
                      and \(command.values) (your answers, secrets included: readable by you only)
                see:  airgap-install status \(SetupCommand.quoted(command.bundle)) --state-dir \(SetupCommand.quoted(deploy.stateDirectory))
                """))
    }
}
