import ArgumentParser
import BundleCommands
import Foundation
import Install
import Registry
import Terminal

/// Step 6 of `setup`: `Deployer` with a live table of its events, one row per component.
struct SetupDeployView {
    let session: TerminalSession

    func run(
        _ deploy: DeploySource, site: SiteValues, prepared: DeployPlan.Prepared, cluster: Kubectl, credential: Credential?, command: SetupCommand
    ) async throws -> Deployer.Report {
        let pullSecret = try credential.map {
            ImagePullSecret(
                name: command.imagePullSecret ?? ImagePullSecret.defaultName, registry: try RelocationMap.read(deploy.relocation).registry,
                credential: $0)
        }
        // A rerun of setup continues a deploy that stopped; components installed with the same inputs are left alone.
        var options = Deployer.Options(cluster: cluster, pullSecret: pullSecret, resume: true)
        options.readWorkloads = true
        let deployer = Deployer(source: deploy, values: site, prepared: prepared, options: options)
        let table = LiveTable(rows: deploy.components.map(\.name), initialState: "waiting", session: session)
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                if !Task.isCancelled { table.tick() }
            }
        }
        let report: Deployer.Report
        do {
            report = try await deployer.run(events: { event in
                let (style, phase) = Self.look(event.state)
                table.update(
                    event.component, state: event.state.rawValue, style: style, detail: TerminalText.escaped(event.detail, keepNewlines: false),
                    phase: phase)
            })
        } catch {
            ticker.cancel()
            await ticker.value
            throw CommandFailure.from(error)
        }
        // No redraw may land in what is printed next.
        ticker.cancel()
        await ticker.value
        table.tick()
        if let failed = report.failed, let outcome = report.components.first(where: { $0.component == failed }) {
            let release = deploy.components.first { $0.name == failed }?.releaseName ?? failed
            throw CommandFailure(
                TerminalText.escaped(
                    """
                    component "\(failed)" failed; nothing after it was run:
                      \(outcome.message ?? "helm failed")
                    see more: helm status \(release) -n \(outcome.namespace); kubectl get pods -n \(outcome.namespace)
                    fix the cause, then resume with setup (it skips what is done):
                      \(command.resumeCommand)
                    or: airgap-install deploy \(SetupCommand.quoted(command.bundle)) --values \(SetupCommand.quoted(command.values)) --state-dir \(SetupCommand.quoted(deploy.stateDirectory)) --resume
                    """), .failed)
        }
        return report
    }

    static func look(_ state: Deployer.ComponentState) -> (TerminalSession.Style?, LiveTable.Phase) {
        switch state {
        case .waiting: return (nil, .pending)
        case .installing, .waitingForWorkloads: return (.yellow, .running)
        case .ready: return (.green, .done)
        case .failed: return (.red, .done)
        case .skipped: return (.dim, .pending)
        }
    }
}
