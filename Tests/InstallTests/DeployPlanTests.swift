import Bundle
import ChartResolution
import Foundation
import Install
import OCI
import Rendering
import TestSupport
import Testing

/// From a bundle of the repository's two local charts (astrago, mpi-operator) with the real
/// manifest's values and site values, packed and pushed into a real registry: init-values, plan,
/// then real Helm rendering (helm-python-sdk behind Tests/Servers/helm-standin) of each planned
/// step's chart and rendered values, piped through `airgap-install post-render`.
/// No Kubernetes API server can run here: nothing is applied; these tests stop at what Helm
/// renders and what the post-renderer hands on.
@Suite("Deploy preparation: site values, plan and image rewriting, up to what Helm would apply", .serialized)
struct DeployPlanTests {
    static let helm = TestPaths.servers + "/helm-standin/helm"
    static let images = [
        "docker.io/xiilab/astrago:core-v1.0.82", "docker.io/xiilab/astrago:batch-v1.0.82", "docker.io/xiilab/astrago:monitor-v1.0.82",
        "docker.io/xiilab/astrago:frontend-v1.0.51", "docker.io/mpioperator/mpi-operator:0.4.0",
    ]
    static let siteYAML = """
        externalIP: 10.1.2.3
        nfs: {server: nfs.site.local, basePath: /export/astrago}
        grafana: {adminPassword: "graf-S3cret-1"}
        keycloak: {adminPassword: "kc-S3cret-2", dbPassword: "kcdb-S3cret-3"}
        harbor: {adminPassword: "hb-S3cret-4"}
        astrago: {mariadb: {username: platform, password: "db-S3cret\\"5"}}
        """
    static let hookJob = """
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: crd-check
          annotations: {"helm.sh/hook": pre-install, "helm.sh/hook-delete-policy": hook-succeeded}
        spec:
          template:
            spec:
              restartPolicy: Never
              containers:
                - name: check
                  image: docker.io/mpioperator/mpi-operator:0.4.0
                  args: ["--check-crds"]

        """
    static let secrets = ["graf-S3cret-1", "kc-S3cret-2", "kcdb-S3cret-3", "hb-S3cret-4", "db-S3cret"]

    struct Pushed {
        let root: String
        let bundle: String
        let state: String
        let registry: RegistryServer
    }

    /// Stages, packs and pushes the two-component bundle the way `build` lays it out.
    /// `hookImage`: mpi-operator's chart gets a pre-install hook Job running its image too (a
    /// chart's hooks are what Helm 3 never post-renders). `leaveOut`: images the bundle does not
    /// carry although its charts name them (the post-renderer must refuse them).
    static func pushed(hookImage: Bool = false, leaveOut: Set<String> = []) throws -> Pushed {
        let packed = try packed(hookImage: hookImage, leaveOut: leaveOut)
        let registry = try RegistryServer()
        let state = packed.root + "/state"
        try PushFixture.check(
            try airgap(
                "airgap-install",
                [
                    "push", packed.bundle, "--key", packed.publicKey, "--registry", registry.host, "--project", "astrago", "--plain-http",
                    "--state-dir", state,
                ]))
        return Pushed(root: packed.root, bundle: packed.bundle, state: state, registry: registry)
    }

    struct Packed {
        let root: String
        let bundle: String
        let publicKey: String
    }

    /// The two-component bundle, staged and packed (signed with a new key), not pushed.
    static func packed(hookImage: Bool = false, leaveOut: Set<String> = [], scratch: String = "deploy") throws -> Packed {
        let root = try TestPaths.scratch(scratch)
        let stage = root + "/stage"
        let layout = try OCILayout(creatingAt: stage + "/images")
        for reference in images where !leaveOut.contains(reference) {
            let image = ImageFactory.image(layers: [try ImageFactory.randomLayer(size: 2_000, directory: root)])
            try ImageFactory.store(image, in: layout, as: reference)
        }
        try? FileManager.default.removeItem(atPath: stage + "/images/ingest")
        try FileManager.default.createDirectory(atPath: stage + "/charts", withIntermediateDirectories: true)
        let manifest = try ManifestParser.load(TestPaths.repository + "/manifests/astrago.yaml")
        var components: [BundleIndex.Component] = []
        for name in ["mpi-operator", "astrago"] {
            let component = try #require(manifest.components.first { $0.name == name })
            guard case .path(var chart) = component.chart else { throw TestSupportError("\(name) is not a local chart") }
            if hookImage, name == "mpi-operator" {
                let copy = root + "/mpi-operator-chart"
                try FileManager.default.copyItem(atPath: chart, toPath: copy)
                try Self.hookJob.write(toFile: copy + "/templates/zz-hook-job.yaml", atomically: true, encoding: .utf8)
                chart = copy
            }
            try Shell.check([helm, "package", chart, "--destination", stage + "/charts"])
            let version = name == "astrago" ? "1.0.0" : "0.4.0"
            var values: [String] = []
            for (position, file) in component.values.enumerated() {
                let path = BundlePaths.values(component: name, position: position, file: (file as NSString).lastPathComponent)
                try FileManager.default.createDirectory(
                    atPath: stage + "/" + (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: file, toPath: stage + "/" + path)
                values.append(path)
            }
            components.append(
                BundleIndex.Component(
                    name: name, namespace: component.namespace, releaseName: component.releaseName, chart: "charts/\(name)-\(version).tgz",
                    optional: component.optional, values: values))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(components).write(to: URL(fileURLWithPath: stage + "/" + BundlePaths.stagedComponents))
        try encoder.encode(manifest.siteValues).write(to: URL(fileURLWithPath: stage + "/" + BundlePaths.siteValues))
        let keys = root + "/vendor"
        try PushFixture.check(try airgap("airgap-bundle", ["keygen", "--out", keys]))
        let bundle = root + "/astrago-1.0.0.tar.zst"
        try PushFixture.check(
            try airgap(
                "airgap-bundle",
                ["pack", stage, "--key", keys + ".key", "--output", bundle, "--name", "astrago", "--version", "1.0.0", "--created", "1790000000"]))
        return Packed(root: root, bundle: bundle, publicKey: keys + ".pub")
    }

    @Test func initValuesPlanAndPostRenderFromAPushedBundle() throws {
        let pushed = try Self.pushed()
        defer { pushed.registry.stop() }
        let state = ["--state-dir", pushed.state]
        // The state directory holds what deploy needs, from the signed bundle.
        #expect(FileManager.default.fileExists(atPath: pushed.state + "/deploy/site-values.json"))
        #expect(FileManager.default.fileExists(atPath: pushed.state + "/deploy/values/astrago/01-astrago.yaml"))

        // init-values: a commented site.yaml; unfilled, plan names every required value at once.
        let template = pushed.root + "/site-template.yaml"
        let initialized = try airgap("airgap-install", ["init-values", pushed.bundle, "--out", template] + state)
        #expect(initialized.status == 0, "\(initialized.stderr)")
        let templateText = try String(contentsOfFile: template, encoding: .utf8)
        #expect(templateText.contains("nfs:\n") && templateText.contains("  server:\n"))
        #expect(templateText.contains("mpi-operator: {enabled: true}"))
        let again = try airgap("airgap-install", ["init-values", pushed.bundle, "--out", template] + state)
        #expect(again.status == 2 && again.stderr.contains("exists"))
        let unfilled = try airgap("airgap-install", ["plan", pushed.bundle, "--values", template, "--helm", Self.helm] + state)
        #expect(unfilled.status == 1)
        for name in ["externalIP", "nfs.server", "nfs.basePath", "keycloak.adminPassword", "grafana.adminPassword", "astrago.mariadb.password"] {
            #expect(unfilled.stderr.contains("\(name) is required: "), "\(name): \(unfilled.stderr)")
        }

        // plan --json: the components in order, the exact helm commands, no value on them.
        let site = pushed.root + "/site.yaml"
        try Self.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let planned = try airgap("airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", Self.helm, "--json"] + state)
        #expect(planned.status == 0, "\(planned.stderr)")
        let plan = try JSONDecoder().decode(DeployPlan.self, from: Data(planned.stdout.utf8))
        #expect(plan.steps.map(\.component) == ["mpi-operator", "astrago"])
        let astrago = try #require(plan.steps.last)
        #expect(astrago.namespace == "astrago")
        #expect(
            Array(astrago.command.prefix(7)) == [Self.helm, "upgrade", "--install", "--namespace", "astrago", "--create-namespace", "--values"])
        // Release and chart last, after `--`: nothing from the bundle can be read as an option.
        #expect(astrago.command.suffix(3) == ["--", "astrago", pushed.state + "/charts/astrago-1.0.0.tgz"])
        #expect(astrago.command.contains(pushed.state + "/deploy/rendered/astrago/01-astrago.yaml"))
        for flag in ["--wait", "--timeout", "--post-renderer", "--post-renderer-args"] { #expect(astrago.command.contains(flag), "\(flag)") }
        #expect(astrago.command.dropLast(3).suffix(2) == ["--post-renderer-args", "astrago"])
        #expect(astrago.imagePullSecret == nil && astrago.clusterSteps.count == 1 && astrago.clusterSteps[0].hasPrefix("namespace astrago: "))
        // With the registry account deploy will be given: the pull secret, by name, in every step.
        let withLogin = try airgap(
            "airgap-install",
            ["plan", pushed.bundle, "--values", site, "--helm", Self.helm, "--json", "--username", "robot", "--image-pull-secret", "site-pull"]
                + state)
        #expect(withLogin.status == 0, "\(withLogin.stderr)")
        let loginPlan = try JSONDecoder().decode(DeployPlan.self, from: Data(withLogin.stdout.utf8))
        #expect(loginPlan.steps.map(\.imagePullSecret) == ["site-pull", "site-pull"])
        #expect(loginPlan.steps.last?.clusterSteps.last?.hasPrefix("image pull secret site-pull in astrago: kubectl apply --server-side") == true)
        let badName = try airgap(
            "airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", Self.helm, "--image-pull-secret", "Bad_Name"] + state)
        #expect(badName.status == 2 && badName.stderr.contains("is not a Kubernetes name"), "\(badName.stderr)")
        let text = try airgap("airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", Self.helm] + state)
        #expect(text.status == 0 && text.stdout.contains("1. mpi-operator (namespace mpi-operator)"), "\(text.stdout)")
        #expect(text.stdout.contains("   namespace mpi-operator: kubectl get namespace, created by kubectl apply --server-side if missing"))
        for secret in Self.secrets { #expect(!(planned.stdout + planned.stderr + text.stdout).contains(secret), "\(secret)") }
        // plan changes nothing.
        #expect(!FileManager.default.fileExists(atPath: pushed.state + "/deploy/rendered"))

        // Switch the optional component off; a required one cannot be.
        try (Self.siteYAML + "\ncomponents: {mpi-operator: {enabled: false}}\n").write(toFile: site, atomically: true, encoding: .utf8)
        let without = try airgap("airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", Self.helm, "--json"] + state)
        #expect(try JSONDecoder().decode(DeployPlan.self, from: Data(without.stdout.utf8)).steps.map(\.component) == ["astrago"])
        try (Self.siteYAML + "\ncomponents: {astrago: {enabled: false}}\n").write(toFile: site, atomically: true, encoding: .utf8)
        let refused = try airgap("airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", Self.helm] + state)
        #expect(
            refused.status == 1 && refused.stderr.contains("components.astrago (line 7) is required and cannot be switched off"), "\(refused.stderr)")
        try Self.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)

        // Real Helm renders each step's chart with the rendered values; the post-renderer rewrites.
        let source = try DeploySource.open(bundle: pushed.bundle, stateDirectory: pushed.state)
        let prepared = try DeployPlan.prepare(
            source, values: try source.siteValues(site), options: .init(helm: Self.helm, postRenderer: []))
        try DeployPlan.writeRendered(prepared.renderedFiles)
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: source.relocation)))
        let targets = Set(relocation.images.map(\.target))
        var rendered: [String: String] = [:]
        for step in prepared.plan.steps {
            let valuesFiles = step.command.indices.filter { step.command[$0] == "--values" }.map { step.command[$0 + 1] }
            let attributes = try FileManager.default.attributesOfItem(atPath: valuesFiles[0])
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let helmTemplate =
                [Self.helm, "template", step.release, try #require(step.chart), "--namespace", step.namespace]
                + valuesFiles.flatMap { ["--values", $0] }
            let script =
                helmTemplate.map(Self.shellQuoted).joined(separator: " ") + " | "
                + [try TestPaths.binary("airgap-install"), "post-render", "--relocation", source.relocation, "--component", step.component].map(
                    Self.shellQuoted
                ).joined(separator: " ")
            let result = try Shell.run(["bash", "-c", "set -o pipefail; " + script])
            #expect(result.status == 0, "\(step.component): \(result.stderr) \(script)")
            let found = try ImageDiscovery.discover(renderedManifests: result.stdout)
            #expect(!found.isEmpty)
            for image in found {
                #expect(image.reference.hasPrefix(pushed.registry.host + "/astrago/"), "\(image.reference)")
                #expect(targets.contains(image.reference), "\(image.reference) is not an image the bundle pushed")
            }
            rendered[step.component] = result.stdout
        }
        #expect(rendered["mpi-operator"]?.contains("\(pushed.registry.host)/astrago/mpioperator/mpi-operator:0.4.0") == true)
        // Site values landed where the chart puts them: the database URL, with the escaped password.
        #expect(rendered["astrago"]?.contains(#"mysql://platform:db-S3cret%225@mariadb:3306/astrago"#) == true, "\(rendered["astrago"] ?? "")")
    }

    /// deploy drives `helm` — the stand-in records every call and keeps releases in a file,
    /// rendering each with Helm's client-side dry run and running our post-renderer as Helm does.
    /// Namespaces, the pull secret and workload readiness go through a real kubectl 1.37 to our
    /// Kubernetes API double. No Kubernetes API server exists here: Helm applies nothing to a cluster.
    @Test func deployStopsAtAFailureResumesAndARerunChangesNothing() throws {
        let pushed = try Self.pushed()
        defer { pushed.registry.stop() }
        let site = pushed.root + "/site.yaml"
        try Self.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let (cluster, kubeconfig) = try PreflightTests.double(Self.clusterWithWorkloads, in: pushed.root)
        defer { cluster.stop() }
        let kubectl = try PreflightTests.kubectl()
        let clusterFlags = ["--kubectl", kubectl, "--kubeconfig", kubeconfig]
        let pullPassword = "pull-S3cret-7"
        let log = pushed.root + "/helm.log"
        var environment = [
            "HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_LOG": log, "HELM_STANDIN_VERSION": "v3.14.4",
            "AIRGAP_REGISTRY_PASSWORD": pullPassword,
        ]
        let base =
            [pushed.bundle, "--values", site, "--helm", Self.helm, "--state-dir", pushed.state, "--plain-http", "--username", "robot"] + clusterFlags
        func calls() throws -> [[String]] {
            guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
            return try text.split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: [String]])["argv"] ?? []
            }
        }
        var everything = ""

        // A failure at the second component stops the run with Helm's words and the way on.
        environment["HELM_STANDIN_FAIL"] = "astrago"
        let failed = try airgap("airgap-install", ["deploy"] + base, environment: environment)
        everything += failed.stdout + failed.stderr
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("component \"astrago\" failed; nothing after it was run"), "\(failed.stderr)")
        #expect(failed.stderr.contains("context deadline exceeded"))
        #expect(failed.stderr.contains("helm status astrago -n astrago") && failed.stderr.contains("--resume"))
        #expect(try calls().map { [$0[0], $0.dropLast().last ?? ""] } == [["upgrade", "mpi-operator"], ["upgrade", "astrago"]])
        let first = try #require(try calls().first)
        for flag in ["--wait", "--timeout", "--create-namespace", "--post-renderer"] { #expect(first.contains(flag), "\(flag)") }
        environment["HELM_STANDIN_FAIL"] = nil
        // Preflight ran first, every check on its line; then each namespace was made, with the pull secret in it.
        #expect(failed.stdout.contains("ok      images: all 5 images are in \(pushed.registry.host)"), "\(failed.stdout)")
        #expect(failed.stdout.contains("ok      cluster: Kubernetes v1.29.4"))
        for namespace in ["mpi-operator", "astrago"] {
            let secret = try Shell.run(
                [kubectl, "--kubeconfig", kubeconfig, "get", "secret", "airgap-registry", "--namespace", namespace, "--output", "json"])
            #expect(secret.status == 0 && secret.stdout.contains("kubernetes.io/dockerconfigjson"), "\(namespace): \(secret.stderr)")
        }

        // Without --resume the stopped run is named; with it, only the failed component runs.
        let refused = try airgap("airgap-install", ["deploy"] + base, environment: environment)
        #expect(refused.status == 1 && refused.stderr.contains("stopped at component \"astrago\""), "\(refused.stderr)")
        let resumed = try airgap("airgap-install", ["deploy", "--resume"] + base, environment: environment)
        everything += resumed.stdout + resumed.stderr
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("1/2 mpi-operator: unchanged") && resumed.stdout.contains("2/2 astrago: installed"), "\(resumed.stdout)")
        #expect(try calls().count == 3)

        // Helm applied the post-rendered manifests: images from the site registry only.
        let releases = try String(contentsOfFile: pushed.root + "/releases.json", encoding: .utf8)
        #expect(releases.contains("\(pushed.registry.host)/astrago/xiilab/astrago:core-v1.0.82"))
        #expect(!releases.contains("docker.io/xiilab"))

        // A rerun of a finished deploy changes nothing.
        let rerun = try airgap("airgap-install", ["deploy", "--json"] + base, environment: environment)
        everything += rerun.stdout + rerun.stderr
        #expect(rerun.status == 0)
        let report = try JSONDecoder().decode(Deployer.Report.self, from: Data(rerun.stdout.utf8))
        #expect(report.components.map(\.result) == [.unchanged, .unchanged] && report.failed == nil)
        #expect(try calls().count == 3)

        // New values: --skip leaves the changed component alone, --only runs it alone.
        try Self.siteYAML.replacingOccurrences(of: "username: platform", with: "username: platform2").write(
            toFile: site, atomically: true, encoding: .utf8)
        let skipped = try airgap("airgap-install", ["deploy", "--skip", "astrago"] + base, environment: environment)
        let afterSkip = try calls().count
        #expect(skipped.status == 0 && afterSkip == 3, "\(skipped.stderr)")
        let only = try airgap("airgap-install", ["deploy", "--only", "astrago"] + base, environment: environment)
        let lastCall = try calls().last.map { [$0[0], $0.dropLast().last ?? ""] }
        #expect(only.status == 0 && lastCall == ["upgrade", "astrago"], "\(only.stderr)")
        #expect(try calls().count == 4)
        let unknown = try airgap("airgap-install", ["deploy", "--only", "longhorn"] + base, environment: environment)
        #expect(unknown.status == 2 && unknown.stderr.contains("no component \"longhorn\""))

        // status: the release state and its workloads' readiness, per component.
        let status = try airgap(
            "airgap-install", ["status", pushed.bundle, "--helm", Self.helm, "--state-dir", pushed.state, "--json"] + clusterFlags,
            environment: environment)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("\"status\" : \"deployed\""))
        let rows = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["components"] as? [[String: Any]])
        #expect(rows.map { $0["ready"] as? Bool } == [false, true], "\(status.stdout)")
        let statusText = try airgap(
            "airgap-install", ["status", pushed.bundle, "--helm", Self.helm, "--state-dir", pushed.state] + clusterFlags, environment: environment)
        #expect(
            statusText.stdout.contains(
                "mpi-operator (namespace mpi-operator): deployed; last deploy: deployed; workloads NOT READY: Deployment/mpi-operator 0/1"),
            "\(statusText.stdout)")
        #expect(statusText.stdout.contains("workloads ready (1: Deployment/astrago-core)"))
        // Release states come from helm's JSON (`helm list --all --filter ^RELEASE$ -o json`), never
        // from the words of `helm status`; a helm that cannot list is an error naming the release.
        let listCalls = try calls().filter { $0.first == "list" }
        #expect(listCalls.contains { $0.contains("^astrago$") && $0.contains("--all") && $0.contains("json") }, "\(listCalls)")
        #expect(!(try calls()).contains { $0.first == "status" })
        let noList = try airgap(
            "airgap-install", ["status", pushed.bundle, "--helm", "/bin/false", "--state-dir", pushed.state] + clusterFlags, environment: environment)
        #expect(noList.status == 1 && noList.stderr.contains("error: helm list mpi-operator failed: exit status 1"), "\(noList.stderr)")
        // A cluster that stopped answering: the release states still, readiness unknown with kubectl's reason.
        cluster.stop()
        let blind = try airgap(
            "airgap-install", ["status", pushed.bundle, "--helm", Self.helm, "--state-dir", pushed.state] + clusterFlags, environment: environment)
        #expect(
            blind.status == 0 && blind.stdout.contains("astrago (namespace astrago): deployed; last deploy: deployed; workloads unknown: "),
            "\(blind.stdout)")

        // uninstall: asks, then goes in reverse order.
        let unconfirmed = try airgap(
            "airgap-install", ["uninstall", pushed.bundle, "--helm", Self.helm, "--state-dir", pushed.state], environment: environment)
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("not confirmed"))
        let uninstalled = try airgap(
            "airgap-install", ["uninstall", pushed.bundle, "--helm", Self.helm, "--state-dir", pushed.state, "--yes"], environment: environment)
        #expect(uninstalled.status == 0, "\(uninstalled.stderr)")
        // The release name comes after `--`, where no option can be read from it.
        let removals = try calls().filter { $0.first == "uninstall" && $0.dropLast().last == "--" }.map { $0.last ?? "" }
        #expect(removals == ["astrago", "mpi-operator"])

        // No secret in any output, the journal, the deploy state or what helm was asked.
        let journal = try String(contentsOfFile: pushed.state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("\"event\":\"component-failed\"") && journal.contains("\"event\":\"deploy-done\""))
        #expect(journal.contains("\"event\":\"namespace-ready\"") && journal.contains("\"outcome\":\"created\""), "\(journal)")
        #expect(journal.contains("\"event\":\"pull-secret-applied\""))
        everything += journal + (try String(contentsOfFile: pushed.state + "/deploy-state.json", encoding: .utf8))
        everything += try String(contentsOfFile: log, encoding: .utf8)
        everything += try String(contentsOfFile: pushed.root + "/kube-requests.log", encoding: .utf8)
        for secret in Self.secrets + [pullPassword] { #expect(!everything.contains(secret), "\(secret)") }
    }

    /// The cluster the deploy test starts with: one workload of each release, the MPI operator not ready.
    static let clusterWithWorkloads = """
        {"version": "v1.29.4", "nodes": [{"name": "n1"}], "namespaces": ["default"], "workloads": [
          {"kind": "Deployment", "namespace": "mpi-operator", "name": "mpi-operator",
           "labels": {"app.kubernetes.io/instance": "mpi-operator"}, "desired": 1, "ready": 0},
          {"kind": "Deployment", "namespace": "astrago", "name": "astrago-core",
           "annotations": {"meta.helm.sh/release-name": "astrago"}, "desired": 1, "ready": 1}]}
        """

    @Test func anImageTheBundleDoesNotHoldFailsThePostRenderer() throws {
        let root = try TestPaths.scratch("post-render")
        let relocation = try Self.nginxRelocation(registry: "127.0.0.1:5000")
        let encoder = JSONEncoder()
        try encoder.encode(relocation).write(to: URL(fileURLWithPath: root + "/relocation.json"))
        let manifest = """
            ---
            # Source: c/templates/d.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers:
                    - {name: web, image: "nginx:1.27"}
                    - {name: side, image: "quay.io/other/sidecar:2.0"}
            """
        let input = root + "/in.yaml"
        try manifest.write(toFile: input, atomically: true, encoding: .utf8)
        let result = try Shell.run(
            ["sh", "-c", "\(Self.shellQuoted(try TestPaths.binary("airgap-install"))) post-render --relocation \(root)/relocation.json < \(input)"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("quay.io/other/sidecar:2.0 (Deployment/web container side) is not in the bundle"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// A relocation map of one image, `nginx:1.27`, pushed to `REGISTRY/p/library/nginx:1.27`.
    static func nginxRelocation(registry: String) throws -> RelocationMap {
        RelocationMap(
            bundle: "t 1", registry: registry, project: "p",
            images: [
                .init(
                    source: "docker.io/library/nginx:1.27", target: "\(registry)/p/library/nginx:1.27",
                    digest: try Digest("sha256:" + String(repeating: "a", count: 64)))
            ])
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
