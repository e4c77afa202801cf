import Foundation

/// Makes sure a component's namespace exists before Helm installs into it: `kubectl get
/// namespace`, and when it is missing a server-side apply of a bare Namespace. Running it again
/// changes nothing.
public enum NamespaceSetup {
    public enum Outcome: String, Sendable { case existed, created }

    public static func ensure(_ namespace: String, with kubectl: Kubectl) async throws -> Outcome {
        let found = await kubectl.run(["get", "--output", "name", "--", "namespace", namespace])
        if found.status == 0 { return .existed }
        guard found.stderr.contains("NotFound") else {
            throw InstallError.bundle("cannot read namespace \(namespace) with kubectl: \(Kubectl.reason(found))")
        }
        let object: [String: Any] = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": namespace]]
        let applied = await kubectl.apply(Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])))
        guard applied.status == 0 else {
            throw InstallError.bundle("cannot create namespace \(namespace) with kubectl: \(Kubectl.reason(applied))")
        }
        return .created
    }
}
