import Foundation

/// Makes a component's namespace exist: `kubectl get --ignore-not-found` (no output: missing; a
/// failure is an error, never read for its words), then a server-side apply of a bare Namespace.
public enum NamespaceSetup {
    public enum Outcome: String, Sendable { case existed, created }

    public static func ensure(_ namespace: String, with kubectl: Kubectl) async throws -> Outcome {
        let found = try await kubectl.check(
            ["get", "--ignore-not-found", "--output", "name", "--", "namespace", namespace], doing: "cannot read namespace \(namespace) with kubectl")
        if !found.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return .existed }
        let object: [String: Any] = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": namespace]]
        try await kubectl.apply(
            Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])),
            doing: "cannot create namespace \(namespace) with kubectl")
        return .created
    }
}
