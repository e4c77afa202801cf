import Foundation
import Install
import Rendering
import TestSupport
import Testing
import Yams

/// Helm 3 takes the post-renderer as an executable path, Helm 4 as a `postrenderer/v1` plugin
/// name: plan and deploy ask `helm version` and use the form it takes. The `helm` stand-in
/// (Tests/Servers/helm-standin) reports the version of `HELM_STANDIN_VERSION` and runs the
/// post-renderer the way that major version does (a plugin found under `HELM_PLUGINS` for 4).
/// No Kubernetes API server can run here: deploys render with Helm's client-side dry run and the
/// stand-in records what it would apply.
@Suite("Helm 3 and Helm 4 post-renderers, and image pull secrets, through plan and deploy", .serialized)
struct DeployHelmFormsTests {
    static func plan(_ pushed: DeployPlanTests.Pushed, site: String, helmVersion: String, extra: [String] = []) throws -> Shell.Result {
        try airgap(
            "airgap-install",
            ["plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--json"] + extra,
            environment: ["HELM_STANDIN_VERSION": helmVersion])
    }

    /// The two-component bundle pushed (`DeployPlanTests.pushed`) and its site.yaml written.
    static func pushedWithSiteValues(leaveOut: Set<String> = []) throws -> (DeployPlanTests.Pushed, String) {
        let pushed = try DeployPlanTests.pushed(leaveOut: leaveOut)
        let site = pushed.root + "/site.yaml"
        do { try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8) } catch {
            pushed.registry.stop()
            throw error
        }
        return (pushed, site)
    }

    /// Every pod spec of what the stand-in applied: its images and image pull secrets.
    static func podSpecs(_ manifest: String) throws -> [(images: [String], secrets: [String])] {
        let paths = ["Deployment": ["spec", "template", "spec"], "StatefulSet": ["spec", "template", "spec"], "Pod": ["spec"]]
        var found: [(images: [String], secrets: [String])] = []
        for document in try Yams.load_all(yaml: manifest) {
            guard let object = document as? [String: Any], let path = paths[object["kind"] as? String ?? ""] else { continue }
            var node: Any? = object
            for key in path { node = (node as? [String: Any])?[key] }
            guard let spec = node as? [String: Any] else { continue }
            let containers = (spec["containers"] as? [[String: Any]] ?? []) + (spec["initContainers"] as? [[String: Any]] ?? [])
            let secrets = (spec["imagePullSecrets"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            found.append((containers.compactMap { $0["image"] as? String }, secrets))
        }
        return found
    }

    @Test func planShowsEachHelmItsPostRendererFormAndRefusesOthersWithTheRange() throws {
        let (pushed, site) = try Self.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let me = URL(fileURLWithPath: try TestPaths.binary("airgap-install")).resolvingSymlinksInPath().path

        let three = try Self.plan(pushed, site: site, helmVersion: "v3.15.4", extra: ["--image-pull-secret", "airgap-registry"])
        #expect(three.status == 0, "\(three.stderr)")
        let threeSteps = try JSONDecoder().decode(DeployPlan.self, from: Data(three.stdout.utf8)).steps
        for step in threeSteps {
            let at = try #require(step.command.firstIndex(of: "--post-renderer"))
            #expect(URL(fileURLWithPath: step.command[at + 1]).resolvingSymlinksInPath().path == me)
            #expect(step.environment == nil && step.imagePullSecret == "airgap-registry")
            let arguments = step.command.indices.filter { step.command[$0] == "--post-renderer-args" }.map { step.command[$0 + 1] }
            #expect(
                arguments == [
                    "post-render", "--relocation", pushed.state + "/relocation.json", "--image-pull-secret", "airgap-registry", "--component",
                    step.component,
                ])
        }

        let four = try Self.plan(pushed, site: site, helmVersion: "v4.0.1")
        #expect(four.status == 0, "\(four.stderr)")
        let fourSteps = try JSONDecoder().decode(DeployPlan.self, from: Data(four.stdout.utf8)).steps
        for (step, helm3) in zip(fourSteps, threeSteps) {
            let at = try #require(step.command.firstIndex(of: "--post-renderer"))
            #expect(step.command[at + 1] == PostRenderPlugin.name)
            #expect(step.environment == ["HELM_PLUGINS": pushed.state + "/deploy/helm-plugins"])
            #expect(step.imagePullSecret == nil && !step.command.contains("--image-pull-secret"))
            // The same arguments reach the plugin as Helm 3's executable: only the renderer differs.
            #expect(step.command.count == helm3.command.count - 4)
        }
        // Values no component of this two-component bundle uses (Keycloak's, Harbor's) are
        // warnings on standard error, by name and line, never by value.
        for name in ["keycloak.adminPassword", "harbor.adminPassword"] {
            #expect(four.stderr.contains("warning: \(site): \(name) (line "), "\(name): \(four.stderr)")
        }
        for secret in DeployPlanTests.secrets { #expect(!(four.stderr + three.stderr).contains(secret), "\(secret)") }
        let text = try airgap(
            "airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state],
            environment: ["HELM_STANDIN_VERSION": "v4.0.1"])
        #expect(text.stdout.contains("HELM_PLUGINS=\(pushed.state)/deploy/helm-plugins \(DeployPlanTests.helm) upgrade"), "\(text.stdout)")
        // plan writes nothing, not even the plugin.
        #expect(!FileManager.default.fileExists(atPath: pushed.state + "/deploy/helm-plugins"))

        for version in ["v3.7.2", "v5.0.0", "unknown"] {
            let refused = try Self.plan(pushed, site: site, helmVersion: version)
            #expect(refused.status == 1, "\(version)")
            #expect(refused.stderr.contains("supported: 3.8.0 up to below 5.0.0"), "\(version): \(refused.stderr)")
        }
    }

    @Test(arguments: ["v3.15.4", "v4.0.1"])
    func deployRewritesEveryImageAndAddsThePullSecretThroughEitherHelm(helmVersion: String) throws {
        let (pushed, site) = try Self.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let (cluster, clusterFlags) = try Self.cluster(in: pushed.root)
        defer { cluster.stop() }
        let log = pushed.root + "/helm.log"
        let environment = [
            "HELM_STANDIN_VERSION": helmVersion, "HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_LOG": log,
            "AIRGAP_REGISTRY_PASSWORD": "pull-S3cret-6",
        ]
        // With the registry login, deploy creates the Secret the post-renderer names in every pod.
        let deployed = try airgap(
            "airgap-install",
            [
                "deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--plain-http",
                "--username", "robot",
            ] + clusterFlags, environment: environment)
        #expect(deployed.status == 0, "\(deployed.stdout)\(deployed.stderr)")
        for namespace in ["mpi-operator", "astrago"] {
            let secret = try Shell.run([
                clusterFlags[1], "--kubeconfig", clusterFlags[3], "get", "secret", "airgap-registry", "-n", namespace, "-o", "name",
            ])
            #expect(secret.stdout.contains("secret/airgap-registry"), "\(namespace): \(secret.stderr)")
        }
        let calls = try String(contentsOfFile: log, encoding: .utf8)
        if helmVersion.hasPrefix("v4") {
            #expect(calls.contains("\"--post-renderer\", \"\(PostRenderPlugin.name)\""), "\(calls)")
            let plugin = try String(contentsOfFile: pushed.state + "/deploy/helm-plugins/\(PostRenderPlugin.name)/plugin.yaml", encoding: .utf8)
            #expect(plugin.contains("type: postrenderer/v1") && plugin.contains("runtime: subprocess"), "\(plugin)")
            let link = pushed.state + "/deploy/helm-plugins/\(PostRenderPlugin.name)/airgap-install"
            #expect(
                URL(fileURLWithPath: link).resolvingSymlinksInPath().path
                    == URL(fileURLWithPath: try TestPaths.binary("airgap-install")).resolvingSymlinksInPath().path)
        } else {
            #expect(!calls.contains(PostRenderPlugin.name), "\(calls)")
            #expect(!FileManager.default.fileExists(atPath: pushed.state + "/deploy/helm-plugins"))
        }
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: pushed.state + "/relocation.json")))
        let targets = Set(relocation.images.map(\.target))
        let releases = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: pushed.root + "/releases.json"))) as? [String: [String: Any]]
        )
        #expect(releases.count == 2)
        for (key, release) in releases {
            let manifest = try #require(release["manifest"] as? String)
            let images = try ImageDiscovery.discover(renderedManifests: manifest).map(\.reference)
            #expect(!images.isEmpty, "\(key)")
            for image in images { #expect(targets.contains(image), "\(key): \(image) is not an image the bundle pushed") }
            let specs = try Self.podSpecs(manifest)
            #expect(!specs.isEmpty, "\(key)")
            for spec in specs { #expect(spec.secrets.filter { $0 == "airgap-registry" }.count == 1, "\(key): \(spec.secrets)") }
        }
    }

    /// deploy's cluster: our Kubernetes API double for a real kubectl 1.37 (no real API server can
    /// run here); the flags that point deploy at it.
    static func cluster(in root: String) throws -> (BackgroundProcess, [String]) {
        let (server, kubeconfig) = try PreflightTests.double(#"{"version": "v1.29.4", "nodes": [{"name": "n1"}]}"#, in: root)
        return (server, ["--kubectl", try PreflightTests.kubectl(), "--kubeconfig", kubeconfig])
    }

    /// Helm 4 keeps a post-renderer plugin's standard error to itself; deploy still shows why.
    @Test(arguments: ["v3.15.4", "v4.0.1"])
    func aRefusedImageIsNamedInDeploysMessageThroughEitherHelm(helmVersion: String) throws {
        // A bundle without mpi-operator's image (its chart names it): its post-render must refuse it.
        // (An edited relocation.json is refused before helm runs: StateDirectoryHardeningTests.)
        let (pushed, site) = try Self.pushedWithSiteValues(leaveOut: ["docker.io/mpioperator/mpi-operator:0.4.0"])
        defer { pushed.registry.stop() }
        let (cluster, clusterFlags) = try Self.cluster(in: pushed.root)
        defer { cluster.stop() }
        let failed = try airgap(
            "airgap-install",
            ["deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--plain-http"] + clusterFlags,
            environment: ["HELM_STANDIN_VERSION": helmVersion, "HELM_STANDIN_STATE": pushed.root + "/releases.json"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("component \"mpi-operator\" failed"), "\(failed.stderr)")
        #expect(
            failed.stderr.contains("image docker.io/mpioperator/mpi-operator:0.4.0 (") && failed.stderr.contains("is not in the bundle"),
            "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: pushed.root + "/releases.json"))
    }
}
