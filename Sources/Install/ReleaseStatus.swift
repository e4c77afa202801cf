import Charts
import Foundation

/// Release state of each component as Helm reports it (`helm status -o json`), and uninstalling.
public enum ReleaseStatus {
    public static let notInstalled = "not installed"

    public struct Row: Sendable {
        public var component: String
        public var namespace: String
        public var release: String
        public var status: String
    }

    public static func rows(_ source: DeploySource, helm: String) async throws -> [Row] {
        let engine = HelmEngine(executable: helm)
        var rows: [Row] = []
        for component in source.components {
            let output = try await engine.run(
                ["status", "--namespace", component.namespace, "--output", "json", "--", component.releaseName],
                scratch: StateFiles.helmScratch(source.stateDirectory))
            var status = notInstalled
            if output.status == 0 {
                let object = try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
                status = (object?["info"] as? [String: Any])?["status"] as? String ?? "unknown"
            } else if !output.stderr.contains("not found") {
                throw InstallError.bundle(
                    "helm status \(component.releaseName) failed: \(output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
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
            let output = try await HelmEngine(executable: helm).run(
                ["uninstall", "--namespace", row.namespace, "--wait", "--", row.release], scratch: StateFiles.helmScratch(source.stateDirectory))
            guard output.status == 0 else {
                let message = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
                journal.record("uninstall-failed", ["component": row.component, "message": message])
                throw InstallError.bundle("helm uninstall \(row.release) -n \(row.namespace) failed: \(message)")
            }
            state.components[row.component] = nil
            try await state.save(source.stateDirectory)
            journal.record("uninstall-done", ["component": row.component])
            progress("uninstalled: \(row.component) (namespace \(row.namespace))")
        }
    }
}
