import Foundation

/// Ready against desired replicas of a release's Deployments, StatefulSets and DaemonSets (those
/// labelled `app.kubernetes.io/instance=RELEASE` or annotated `meta.helm.sh/release-name: RELEASE`).
public struct WorkloadReadiness: Codable, Sendable, Hashable {
    public struct Workload: Codable, Sendable, Hashable {
        public var name: String
        public var ready: Int
        public var desired: Int
        public init(name: String, ready: Int, desired: Int) {
            self.name = name
            self.ready = ready
            self.desired = desired
        }
    }

    public var workloads: [Workload]
    /// Set when the cluster could not be read; then `workloads` is empty and nothing is known.
    public var error: String?

    public init(workloads: [Workload], error: String?) {
        self.workloads = workloads
        self.error = error
    }

    /// Every workload has its desired count ready (false when unknown).
    public var allReady: Bool { error == nil && workloads.allSatisfy { $0.ready >= $0.desired } }

    /// `ready 2/2 workloads` / `NOT READY: Deployment/web 0/1` / `unknown: …`, for one line of status.
    public var summary: String {
        if let error { return "workloads unknown: \(error)" }
        if workloads.isEmpty { return "no workloads" }
        let waiting = workloads.filter { $0.ready < $0.desired }
        guard waiting.isEmpty else {
            return "workloads NOT READY: " + waiting.map { "\($0.name) \($0.ready)/\($0.desired)" }.joined(separator: ", ")
        }
        return "workloads ready (\(workloads.count): \(workloads.map(\.name).joined(separator: ", ")))"
    }

    public static func read(release: String, namespace: String, with kubectl: Kubectl) async -> WorkloadReadiness {
        let output = await kubectl.run(["get", "deployments,statefulsets,daemonsets", "--namespace", namespace, "--output", "json"])
        // kubectl's own summary is the last line of its error output.
        guard output.status == 0 else {
            return WorkloadReadiness(
                workloads: [], error: output.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(output.status)")
        }
        let list: [String: Any]?
        do { list = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] } catch {
            return WorkloadReadiness(workloads: [], error: "kubectl printed no JSON list: \(error.localizedDescription)")
        }
        guard let list else { return WorkloadReadiness(workloads: [], error: "kubectl printed no JSON list") }
        return WorkloadReadiness(workloads: workloads(in: list, release: release), error: nil)
    }

    /// The release's workloads of a `kubectl get -o json` list, in its order.
    static func workloads(in list: [String: Any], release: String) -> [Workload] {
        (list["items"] as? [[String: Any]] ?? []).compactMap { item in
            let metadata = item["metadata"] as? [String: Any] ?? [:]
            let labels = metadata["labels"] as? [String: String] ?? [:]
            let annotations = metadata["annotations"] as? [String: String] ?? [:]
            guard labels["app.kubernetes.io/instance"] == release || annotations["meta.helm.sh/release-name"] == release,
                let kind = item["kind"] as? String, let name = metadata["name"] as? String
            else { return nil }
            let spec = item["spec"] as? [String: Any] ?? [:]
            let status = item["status"] as? [String: Any] ?? [:]
            if kind == "DaemonSet" {
                return Workload(
                    name: "\(kind)/\(name)", ready: status["numberReady"] as? Int ?? 0, desired: status["desiredNumberScheduled"] as? Int ?? 0)
            }
            // A Deployment or StatefulSet without spec.replicas wants one.
            return Workload(name: "\(kind)/\(name)", ready: status["readyReplicas"] as? Int ?? 0, desired: spec["replicas"] as? Int ?? 1)
        }
    }
}
