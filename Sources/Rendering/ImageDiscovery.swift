import ChartFormat
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

/// Finds images in rendered Kubernetes manifests (where: `RenderedDocumentReader`) and in
/// Chart.yaml annotations. Documents are loaded with `BoundedYAML`: one over its limits is
/// skipped, and `warn` says why.
public enum ImageDiscovery {
    /// One finding: chart resolution's values walk (`ValuesImageGuesser`) adds its own.
    package struct Found: Sendable {
        package var reference: String
        package var source: String
        package var testOnly: Bool
        package init(reference: String, source: String, testOnly: Bool) {
            self.reference = reference
            self.source = source
            self.testOnly = testOnly
        }
    }

    /// `warn` hears about documents and Chart.yaml image annotations that cannot be read: they
    /// only add to what rendering finds, so they do not stop discovery, but are not ignored silently.
    public static func discover(
        renderedManifests: String, chartAnnotations: [String: String] = [:],
        warn: (String) -> Void = { _ in }
    ) throws -> [DiscoveredImage] {
        var found: [Found] = []
        var configMaps = ConfigMapImages()
        let chartAnnotations = annotationsWithinLimits(chartAnnotations, warn: warn)
        for (position, document) in splitDocuments(renderedManifests).enumerated() {
            let parsed: Any?
            do { parsed = try BoundedYAML.load(document.text, limits: .renderedManifest) } catch {
                guard case .invalid = error else {
                    warn("rendered manifest \(document.source ?? "#\(position + 1)") not read: \(error)")
                    continue
                }
                throw DiscoveryError(message: "rendered manifest \(document.source ?? "#\(position + 1)") not read: \(error)")
            }
            guard let object = parsed as? [String: Any] else { continue }
            let kind = object["kind"] as? String ?? "?"
            let metadata = object["metadata"] as? [String: Any] ?? [:]
            let name = metadata["name"] as? String ?? "?"
            let hook = (metadata["annotations"] as? [String: Any])?["helm.sh/hook"] as? String ?? ""
            let testOnly = hook.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("test") }
            var reader = RenderedDocumentReader(owner: "\(kind)/\(name)", isCoreKind: coreKinds.contains(kind), testOnly: testOnly)
            reader.read(object, kind: kind, configMaps: &configMaps, warn: warn)
            found += reader.found
        }
        for key in ["artifacthub.io/images", "helm.sh/images"] {
            guard let text = chartAnnotations[key] else { continue }
            let parsed: Any?
            do { parsed = try BoundedYAML.load(text, limits: .embeddedDocument) } catch {
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
    package static func merge(_ found: [Found]) throws -> [DiscoveredImage] {
        var byReference: [String: DiscoveredImage] = [:]
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
            }
        }
        return byReference.values.sorted { $0.reference < $1.reference }
    }

    static let coreKinds: Set<String> = [
        "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController",
        "Service", "ConfigMap", "Secret", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding",
        "PersistentVolumeClaim", "Ingress", "NetworkPolicy", "CustomResourceDefinition", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "StorageClass", "Namespace", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
        "APIService", "PriorityClass", "LimitRange", "ResourceQuota", "Endpoints", "ServiceMonitor", "PodMonitor", "PrometheusRule",
        "PersistentVolume", "CSIDriver", "CSINode", "IngressClass", "RuntimeClass", "Lease", "EndpointSlice",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "PodSecurityPolicy", "ControllerRevision",
    ]

    /// A value that is plausibly an image reference: a path with a tag or digest, no URL, no spaces.
    package static func looksLikeImage(_ value: String) -> Bool {
        guard value.contains("/"), value.contains(":") || value.contains("@"), !value.contains("://"), !value.hasPrefix("/"),
            !value.contains(" ")
        else { return false }
        // A question, not a check: a value that does not parse is simply not an image.
        return (try? ImageReference(parsing: value)) != nil
    }

    /// Splits `helm template` output into documents, keeping each `# Source:` path — as Helm's
    /// `releaseutil.SplitManifests` does: `---` at the start of a line separates documents whatever
    /// follows it (cert-manager renders `---# comment`). Discovery and the deploy post-renderer
    /// both read rendered output through this one function.
    public static func splitDocuments(_ text: String) -> [(source: String?, text: String)] {
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
            if line == "---" || line.hasPrefix("--- ") || line.hasPrefix("---#") { flush(); continue }
            if line.hasPrefix("# Source: "), source == nil { source = String(line.dropFirst("# Source: ".count)) }
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
