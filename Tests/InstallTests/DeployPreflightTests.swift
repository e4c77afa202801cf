import Foundation
import Install
import TestSupport
import Testing

/// deploy runs the preflight checks before its first install: against a real registry
/// (docker-registry, the one push filled), a real kubectl 1.37 and our Kubernetes API double, and
/// the helm stand-in. No Kubernetes API server can run here; the double answers for the cluster.
@Suite("deploy: preflight before the first install", .serialized)
struct DeployPreflightTests {
    @Test func aMissingImageStopsDeployBeforeAnythingIsInstalledUnlessPreflightIsSkipped() throws {
        let pushed = try DeployPlanTests.pushed()
        defer { pushed.registry.stop() }
        let site = pushed.root + "/site.yaml"
        try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let (cluster, kubeconfig) = try PreflightTests.double(#"{"version": "v1.29.4", "nodes": [{"name": "n1"}]}"#, in: pushed.root)
        defer { cluster.stop() }
        let log = pushed.root + "/helm.log"
        let environment = ["HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_LOG": log, "HELM_STANDIN_VERSION": "v3.14.4"]
        let base = [
            "deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--plain-http", "--kubectl",
            try PreflightTests.kubectl(), "--kubeconfig", kubeconfig,
        ]

        // Take one pushed image out of the registry (its manifest, by digest).
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: pushed.state + "/relocation.json")))
        let removed = try #require(relocation.images.first { $0.source == "docker.io/mpioperator/mpi-operator:0.4.0" })
        let repository = removed.target.dropFirst(pushed.registry.host.count + 1).split(separator: ":")[0]
        let deleted = try Shell.run([
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
            "http://\(pushed.registry.host)/v2/\(repository)/manifests/\(removed.digest)",
        ])
        #expect(deleted.stdout == "202", "\(deleted.stdout) \(deleted.stderr)")

        let refused = try airgap("airgap-install", base, environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("failed  images: 1 of 5 images are not in \(pushed.registry.host)"), "\(refused.stdout)")
        #expect(refused.stderr.contains("preflight failed: images:") && refused.stderr.contains(removed.target), "\(refused.stderr)")
        #expect(refused.stderr.contains("--skip-preflight"))
        #expect(!FileManager.default.fileExists(atPath: log), "helm was run")

        // --skip-preflight goes on to helm (the stand-in renders; nothing pulls the missing image).
        let skipped = try airgap("airgap-install", base + ["--skip-preflight"], environment: environment)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(!skipped.stdout.contains("images:"))
        #expect(try String(contentsOfFile: log, encoding: .utf8).contains("upgrade"))
    }
}

/// A cluster that does not answer kubectl: deploy (preflight skipped) stops at the first
/// component's namespace, before helm, and --resume continues from it. A closed loopback port
/// stands for the cluster; no real API server can run here.
@Suite("deploy: the namespace step fails like a component")
struct DeployNamespaceFailureTests {
    @Test func aClusterThatDoesNotAnswerStopsDeployAtTheFirstNamespace() throws {
        let pushed = try DeployPlanTests.pushed()
        defer { pushed.registry.stop() }
        let site = pushed.root + "/site.yaml"
        try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let closed = try ClosedPort()
        let kubeconfig = pushed.root + "/kubeconfig"
        try PreflightTests.writeKubeconfig(server: "http://127.0.0.1:\(closed.port)", to: kubeconfig)
        let log = pushed.root + "/helm.log"
        let environment = ["HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_LOG": log]
        let base = [
            "deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--skip-preflight",
            "--kubectl", try PreflightTests.kubectl(), "--kubeconfig", kubeconfig,
        ]
        let failed = try airgap("airgap-install", base, environment: environment)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("component \"mpi-operator\" failed; nothing after it was run"), "\(failed.stderr)")
        #expect(failed.stderr.contains("cannot read namespace mpi-operator with kubectl"))
        #expect(!FileManager.default.fileExists(atPath: log), "helm was run")
        let state = try DeployState.load(pushed.state)
        #expect(state.stoppedAt == "mpi-operator")

        // The pull secret's password from standard input: read, then never shown, even in a failure.
        let binary = try TestPaths.binary("airgap-install")
        let command = ([binary] + base + ["--resume", "--username", "robot", "--password-stdin"]).map(DeployPlanTests.shellQuoted)
        let piped = try Shell.run(["sh", "-c", "printf 'stdin-S3cret-8\\n' | " + command.joined(separator: " ")], environment: environment)
        #expect(piped.status == 1 && piped.stderr.contains("cannot read namespace mpi-operator"), "\(piped.stderr)")
        #expect(!(piped.stdout + piped.stderr).contains("stdin-S3cret-8"))
        let journal = try String(contentsOfFile: pushed.state + "/journal.jsonl", encoding: .utf8)
        #expect(!journal.contains("stdin-S3cret-8"))
        let empty = try Shell.run(["sh", "-c", command.joined(separator: " ") + " < /dev/null"], environment: environment)
        #expect(empty.status == 2 && empty.stderr.contains("--password-stdin: standard input held no password"), "\(empty.stderr)")
        let noUser = try airgap("airgap-install", base + ["--password-stdin"], environment: environment)
        #expect(noUser.status == 2 && noUser.stderr.contains("--password-stdin needs --username"))

        // status without a cluster still shows the release states, readiness unknown.
        let status = try airgap(
            "airgap-install", ["status", pushed.bundle, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--kubeconfig", kubeconfig],
            environment: environment)
        #expect(
            status.status == 0 && status.stdout.contains("mpi-operator (namespace mpi-operator): not installed; last deploy: failed"),
            "\(status.stdout)\(status.stderr)")
    }
}
