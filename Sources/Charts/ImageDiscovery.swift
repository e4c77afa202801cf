import Foundation
import OCI
import Yams

/// An image a component will run, with every place it was found.
public struct DiscoveredImage: Sendable, Hashable, Codable {
    /// The normalized reference, e.g. `docker.io/library/nginx:1.27`.
    public var reference: String
    /// Where it came from: `Deployment/web container nginx`, `ClusterPolicy/cp spec.driver`, `Chart.yaml annotation artifacthub.io/images`, `images.extra`.
    public var sources: [String]
    /// True when only Helm test hooks use it.
    public var testOnly: Bool
}

/// Finds images in rendered Kubernetes manifests: pod templates of every kind (containers,
/// initContainers, ephemeralContainers), operator custom resources (`repository`/`image`/`version`
/// triples as in NVIDIA's ClusterPolicy — skipped when `enabled: false` — and `spec.image` as in
/// Prometheus), container args and env vars that hand images to operators, and Chart.yaml annotations.
public enum ImageDiscovery {
    struct Found: Sendable { var reference: String; var source: String; var testOnly: Bool }

    /// `warn` hears about Chart.yaml image annotations that cannot be read: they only add to what
    /// rendering finds, so they do not stop discovery, but they are not ignored silently either.
    public static func discover(renderedManifests: String, chartAnnotations: [String: String] = [:],
                                warn: (String) -> Void = { _ in }) throws -> [DiscoveredImage] {
        var found: [Found] = []
        for (position, document) in splitDocuments(renderedManifests).enumerated() {
            let parsed: Any?
            do { parsed = try Yams.load(yaml: document.text) } catch {
                throw DiscoveryError(message: "rendered manifest \(document.source ?? "#\(position + 1)") is not valid YAML: \(error)")
            }
            guard let object = parsed as? [String: Any] else { continue }
            let kind = object["kind"] as? String ?? "?"
            let metadata = object["metadata"] as? [String: Any] ?? [:]
            let name = metadata["name"] as? String ?? "?"
            let hook = (metadata["annotations"] as? [String: Any])?["helm.sh/hook"] as? String ?? ""
            let testOnly = hook.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("test") }
            walk(object, path: [], owner: "\(kind)/\(name)", isCoreKind: coreKinds.contains(kind), testOnly: testOnly, into: &found)
        }
        for key in ["artifacthub.io/images", "helm.sh/images"] {
            guard let text = chartAnnotations[key] else { continue }
            let parsed: Any?
            do { parsed = try Yams.load(yaml: text) } catch {
                warn("Chart.yaml annotation \(key) is not valid YAML and is ignored: \(error)")
                continue
            }
            guard let list = parsed as? [Any] else {
                if parsed != nil { warn("Chart.yaml annotation \(key) is not a list and is ignored") }
                continue
            }
            for item in list {
                if let entry = item as? [String: Any], let image = entry["image"] as? String {
                    found.append(Found(reference: image, source: "Chart.yaml annotation \(key)", testOnly: false))
                } else {
                    warn("Chart.yaml annotation \(key) has an entry without an \"image\" string, ignored")
                }
            }
        }
        return try merge(found)
    }

    /// Normalizes and merges findings; an image is test-only when every finding is.
    static func merge(_ found: [Found]) throws -> [DiscoveredImage] {
        var byReference: [String: DiscoveredImage] = [:]
        var order: [String] = []
        for item in found {
            let normalized: String
            do { normalized = try ImageReference(parsing: item.reference).description } catch {
                throw DiscoveryError(message: "\(item.source) names an invalid image \"\(item.reference)\": \(error.reason)")
            }
            if var existing = byReference[normalized] {
                if !existing.sources.contains(item.source) { existing.sources.append(item.source) }
                existing.testOnly = existing.testOnly && item.testOnly
                byReference[normalized] = existing
            } else {
                byReference[normalized] = DiscoveredImage(reference: normalized, sources: [item.source], testOnly: item.testOnly)
                order.append(normalized)
            }
        }
        return order.sorted().compactMap { byReference[$0] }
    }

    static let coreKinds: Set<String> = ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController",
                                         "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
                                         "PersistentVolumeClaim", "Ingress", "NetworkPolicy", "CustomResourceDefinition", "PodDisruptionBudget",
                                         "HorizontalPodAutoscaler", "StorageClass", "Namespace", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
                                         "APIService", "PriorityClass", "LimitRange", "ResourceQuota", "Endpoints", "ServiceMonitor", "PodMonitor", "PrometheusRule"]

    private static func walk(_ value: Any, path: [String], owner: String, isCoreKind: Bool, testOnly: Bool, into found: inout [Found]) {
        if let map = value as? [String: Any] {
            for key in ["containers", "initContainers", "ephemeralContainers"] {
                guard let containers = map[key] as? [Any] else { continue }
                for case let container as [String: Any] in containers {
                    let containerName = container["name"] as? String ?? "?"
                    let label = key == "containers" ? "container" : String(key.dropLast())
                    if let image = container["image"] as? String, !image.isEmpty {
                        found.append(Found(reference: image, source: "\(owner) \(label) \(containerName)", testOnly: testOnly))
                    }
                    for field in ["args", "command"] {
                        for case let argument as String in container[field] as? [Any] ?? [] {
                            if let (flag, image) = imageArgument(argument) {
                                found.append(Found(reference: image, source: "\(owner) \(label) \(containerName) \(field) \(flag)", testOnly: testOnly))
                            }
                        }
                    }
                    for case let variable as [String: Any] in container["env"] as? [Any] ?? [] {
                        if let name = variable["name"] as? String, name.uppercased().contains("IMAGE"),
                           let value = variable["value"] as? String, looksLikeImage(value) {
                            found.append(Found(reference: value, source: "\(owner) \(label) \(containerName) env \(name)", testOnly: testOnly))
                        }
                    }
                }
            }
            // An operator's repository/image/version triple (ClusterPolicy and the like).
            if !isCoreKind, let repository = map["repository"] as? String, let image = map["image"] as? String,
               let version = map["version"].map({ "\($0)" }), !repository.isEmpty, !image.isEmpty, !version.isEmpty {
                if (map["enabled"] as? Bool) != false {
                    let separator = version.hasPrefix("sha256:") ? "@" : ":"
                    found.append(Found(reference: "\(repository)/\(image)\(separator)\(version)", source: "\(owner) \(path.joined(separator: "."))", testOnly: testOnly))
                }
                return
            }
            // spec.image of an operator's resource (Prometheus, Alertmanager, …).
            if !isCoreKind, path == ["spec"], let image = map["image"] as? String, looksLikeImage(image) || !image.contains(" ") && !image.isEmpty {
                found.append(Found(reference: image, source: "\(owner) spec.image", testOnly: testOnly))
            }
            for (key, child) in map where !["containers", "initContainers", "ephemeralContainers"].contains(key) || !(child is [Any]) {
                if isCoreKind, ["metadata", "data", "stringData"].contains(key) && path.isEmpty { continue }
                walk(child, path: path + [key], owner: owner, isCoreKind: isCoreKind, testOnly: testOnly, into: &found)
            }
        } else if let list = value as? [Any] {
            for (index, child) in list.enumerated() {
                walk(child, path: path + ["[\(index)]"], owner: owner, isCoreKind: isCoreKind, testOnly: testOnly, into: &found)
            }
        }
    }

    /// `--flag=registry/repo:tag` in args.
    static func imageArgument(_ argument: String) -> (String, String)? {
        guard argument.hasPrefix("-"), let equals = argument.firstIndex(of: "=") else { return nil }
        let value = String(argument[argument.index(after: equals)...])
        guard looksLikeImage(value) else { return nil }
        return (String(argument[..<equals]), value)
    }

    /// A value that is plausibly an image reference: a path with a tag or digest, no URL, no spaces.
    static func looksLikeImage(_ value: String) -> Bool {
        guard value.contains("/"), value.contains(":") || value.contains("@"), !value.contains("://"), !value.hasPrefix("/"),
              !value.contains(" ") else { return false }
        // A question, not a check: a value that does not parse is simply not an image.
        return (try? ImageReference(parsing: value)) != nil
    }

    /// Splits `helm template` output into documents, keeping each `# Source:` path.
    static func splitDocuments(_ text: String) -> [(source: String?, text: String)] {
        var documents: [(String?, String)] = []
        var current: [Substring] = []
        var source: String?
        func flush() {
            let body = current.joined(separator: "\n")
            if !body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { documents.append((source, body)) }
            current = []
            source = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "---" || line.hasPrefix("--- ") { flush(); continue }
            if line.hasPrefix("# Source: ") { source = String(line.dropFirst("# Source: ".count)) }
            current.append(line)
        }
        flush()
        return documents
    }
}

/// Rendered manifests that cannot be read for images.
public struct DiscoveryError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
