import Foundation
import Registry

/// The `kubernetes.io/dockerconfigjson` Secret for pulling from a private site registry project,
/// applied from standard input; kubectl's errors are shown with the password replaced.
public struct ImagePullSecret: Sendable {
    public static let defaultName = "airgap-registry"

    /// The Secret's name (`--image-pull-secret`).
    public var name: String
    /// The registry host[:port] the images were pushed to (`relocation.json`).
    public var registry: String
    public var credential: Credential

    public init(name: String, registry: String, credential: Credential) {
        self.name = name
        self.registry = registry
        self.credential = credential
    }

    public func object(namespace: String) throws -> [UInt8] {
        let auths = [
            "auths": [
                registry: ["username": credential.username, "password": credential.password, "auth": basicAuth]
            ]
        ]
        let config = try JSONSerialization.data(withJSONObject: auths, options: [.sortedKeys])
        let object: [String: Any] = [
            "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
            "metadata": ["name": name, "namespace": namespace, "labels": ["app.kubernetes.io/managed-by": "airgap-install"]],
            "data": [".dockerconfigjson": config.base64EncodedString()],
        ]
        return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    public func apply(in namespace: String, with kubectl: Kubectl) async throws {
        try await kubectl.apply(
            try object(namespace: namespace), doing: "cannot apply the image pull secret \(name) in namespace \(namespace) with kubectl",
            redact: redacted)
    }

    var basicAuth: String { Data("\(credential.username):\(credential.password)".utf8).base64EncodedString() }

    /// `text` with the password, and the encodings of it kubectl might echo, replaced by `***`.
    public func redacted(_ text: String) -> String {
        guard !credential.password.isEmpty else { return text }
        var result = text
        for secret in [credential.password, basicAuth] { result = result.replacingOccurrences(of: secret, with: "***") }
        return result
    }
}
