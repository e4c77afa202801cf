import Foundation
import Rendering

/// Release state of each component as Helm reports it, and uninstalling.
public enum ReleaseStatus {
    /// Helm's own state (`helm list`'s `status`), or `notInstalled`; raw values as `status` prints them.
    public enum State: String, Codable, Sendable {
        case notInstalled = "not installed"
        case deployed, failed, superseded, uninstalled, uninstalling, unknown
        case pendingInstall = "pending-install"
        case pendingUpgrade = "pending-upgrade"
        case pendingRollback = "pending-rollback"
    }

    public struct Row: Sendable {
        public var component: String
        public var namespace: String
        public var release: String
        public var status: State
    }

    struct Listed: Decodable {
        var name: String
        var status: String
    }

    /// `helm list --all --filter ^RELEASE$` per component: an empty list is not installed (`helm
    /// status` says so only in words).
    public static func rows(_ source: DeploySource, helm: String) async throws -> [Row] {
        let engine = HelmEngine(executable: helm)
        var rows: [Row] = []
        for component in source.components {
            let arguments = [
                "list", "--namespace", component.namespace, "--all", "--filter",
                "^\(NSRegularExpression.escapedPattern(for: component.releaseName))$", "--output", "json",
            ]
            let output = try await engine.run(arguments, scratch: StateFiles.helmScratch(source.stateDirectory))
            guard output.status == 0 else {
                throw InstallError.tool(
                    ToolFailure("helm list \(component.releaseName) failed", command: [helm] + arguments, output: output, wholeOutput: true))
            }
            let listed: [Listed]
            do { listed = try JSONDecoder().decode([Listed].self, from: Data(output.stdout.utf8)) } catch {
                throw InstallError.bundle("helm list \(component.releaseName) printed no list of releases: \(error)")
            }
            // A status a later Helm adds reads as Helm's own `unknown`.
            let status = listed.first { $0.name == component.releaseName }.map { State(rawValue: $0.status) ?? .unknown } ?? .notInstalled
            rows.append(Row(component: component.name, namespace: component.namespace, release: component.releaseName, status: status))
        }
        return rows
    }

    /// `helm uninstall --wait` for each row, in the order given; journaled; stops at a failure.
    public static func uninstall(_ rows: [Row], source: DeploySource, helm: String, progress: (String) -> Void) async throws {
        let journal = try PushJournal(path: source.stateDirectory + "/journal.jsonl")
        var state = try DeployState.load(source.stateDirectory)
        for row in rows {
            journal.record("uninstall-start", ["component": row.component, "namespace": row.namespace])
            let arguments = ["uninstall", "--namespace", row.namespace, "--wait", "--", row.release]
            let output = try await HelmEngine(executable: helm).run(arguments, scratch: StateFiles.helmScratch(source.stateDirectory))
            guard output.status == 0 else {
                let failure = ToolFailure(
                    "helm uninstall \(row.release) -n \(row.namespace) failed", command: [helm] + arguments, output: output, wholeOutput: true)
                journal.record("uninstall-failed", ["component": row.component, "message": failure.stderr])
                throw InstallError.tool(failure)
            }
            state.components[row.component] = nil
            try await state.save(source.stateDirectory)
            journal.record("uninstall-done", ["component": row.component])
            progress("uninstalled: \(row.component) (namespace \(row.namespace))")
        }
    }
}
