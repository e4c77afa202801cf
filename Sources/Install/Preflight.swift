import Foundation
import Rendering

/// Checks before the first install, a line each: cluster and helm versions, the NFS settings, GPU
/// nodes for the GPU Operator (a warning), and (`imagesCheck`) the images. Nothing is changed.
public enum Preflight {
    /// Kubernetes versions the components of this release are known to install on.
    public static let kubernetes = (lowest: SemanticVersion(1, 24, 0), below: SemanticVersion(1, 36, 0))

    public struct Check: Codable, Sendable, Hashable {
        public enum Result: String, Codable, Sendable { case ok, warning, failed }
        public var name: String
        public var result: Result
        public var detail: String
    }

    public static func run(_ source: DeploySource, values: SiteValues, helm: String, cluster: Kubectl) async -> [Check] {
        var checks: [Check] = []
        let version = await cluster.run(["version", "--output", "json"])
        let server = (try? JSONSerialization.jsonObject(with: Data(version.stdout.utf8)) as? [String: Any])?["serverVersion"] as? [String: Any]
        let reachable = server != nil
        if let text = server?["gitVersion"] as? String {
            checks.append(versionCheck("cluster", "Kubernetes", text, range: kubernetes))
        } else {
            let reason = version.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(version.status)"
            checks.append(Check(name: "cluster", result: .failed, detail: "the cluster does not answer kubectl: \(reason)"))
        }
        let helmVersion: HelmEngine.Output
        do { helmVersion = try await HelmEngine(executable: helm).run(["version", "--template", "{{.Version}}"]) } catch {
            helmVersion = HelmEngine.Output(status: -1, stdout: "", stderr: "\(error)")
        }
        if helmVersion.status == 0 {
            checks.append(
                versionCheck("helm", "helm", helmVersion.stdout.trimmingCharacters(in: .whitespacesAndNewlines), range: SupportedHelm.range))
        } else {
            checks.append(Check(name: "helm", result: .failed, detail: "\(helm) version failed: \(helmVersion.stderr)"))
        }
        checks.append(storageCheck(source, values: values))
        if source.components.contains(where: { $0.name == "gpu-operator" }), !values.disabledComponents.contains("gpu-operator"), reachable {
            let nodes = await cluster.run(["get", "nodes", "--output", "json"])
            checks.append(
                nodes.status == 0
                    ? gpuCheck(nodesJSON: nodes.stdout)
                    : Check(
                        name: "gpu", result: .warning,
                        detail: "cannot list the nodes: \(nodes.stderr.trimmingCharacters(in: .whitespacesAndNewlines))"))
        }
        return checks
    }

    static func versionCheck(_ name: String, _ what: String, _ text: String, range: (lowest: SemanticVersion, below: SemanticVersion)) -> Check {
        let supported = "supported: \(range.lowest) up to below \(range.below)"
        guard let version = SemanticVersion(text) else {
            return Check(name: name, result: .failed, detail: "\(what) reports version \"\(text)\", which is not a version (\(supported))")
        }
        let plain = SemanticVersion(version.major, version.minor, version.patch)
        guard plain >= range.lowest, plain < range.below else {
            return Check(name: name, result: .failed, detail: "\(what) \(text) is not supported (\(supported))")
        }
        return Check(name: name, result: .ok, detail: "\(what) \(text) (\(supported))")
    }

    /// The NFS settings the `astrago-nfs-csi` StorageClass is made from (csi-driver-nfs).
    static func storageCheck(_ source: DeploySource, values: SiteValues) -> Check {
        let names = ["nfs.server", "nfs.basePath"].filter { name in source.declarations.contains { $0.name == name } }
        guard !names.isEmpty else { return Check(name: "storage", result: .ok, detail: "this bundle takes no NFS settings") }
        let given = names.compactMap { name in values.secretNames.contains(name) ? nil : values.value(name).map { "\(name)=\($0)" } }
        guard given.count == names.count else {
            return Check(name: "storage", result: .failed, detail: "NFS settings missing: \(names.joined(separator: ", "))")
        }
        return Check(name: "storage", result: .ok, detail: "StorageClass from \(given.joined(separator: ", "))")
    }

    /// Nodes with capacity `nvidia.com/gpu` or the GPU Operator's or Node Feature Discovery's labels.
    public static func gpuCheck(nodesJSON: String) -> Check {
        let object = try? JSONSerialization.jsonObject(with: Data(nodesJSON.utf8)) as? [String: Any]
        let items = object?["items"] as? [[String: Any]] ?? []
        let gpuNodes = items.filter { item in
            let labels = (item["metadata"] as? [String: Any])?["labels"] as? [String: String] ?? [:]
            let capacity = (item["status"] as? [String: Any])?["capacity"] as? [String: Any] ?? [:]
            return capacity["nvidia.com/gpu"] != nil || labels["nvidia.com/gpu.present"] == "true"
                || labels["feature.node.kubernetes.io/pci-10de.present"] == "true"
        }.compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String }
        guard !gpuNodes.isEmpty else {
            return Check(
                name: "gpu", result: .warning,
                detail:
                    "the GPU Operator is enabled but none of the \(items.count) nodes shows an NVIDIA GPU; without GPUs switch it off (components: {gpu-operator: {enabled: false}})"
            )
        }
        return Check(
            name: "gpu", result: .ok, detail: "\(gpuNodes.count) of \(items.count) nodes show an NVIDIA GPU: \(gpuNodes.joined(separator: ", "))")
    }
}
