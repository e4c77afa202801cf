import Foundation
import Install
import Rendering
import TestSupport
import Testing

/// `airgap-install template` renders what deploy would apply (real Helm: helm-python-sdk behind
/// Tests/Servers/helm-standin, with our post-renderer), and deploy refuses a component whose
/// rendering still names an image outside the site registry — a chart hook under Helm 3, which
/// never post-renders hooks. No Kubernetes API server can run here: deploy talks to our API
/// double through a real kubectl, and Helm applies nothing.
@Suite("What deploy would apply: template, and images Helm 3 leaves in hooks", .serialized)
struct DeployTemplateTests {
    static func template(_ pushed: DeployPlanTests.Pushed, site: String, helmVersion: String = "v3.15.4", extra: [String]) throws
        -> Shell.Result
    {
        try airgap(
            "airgap-install",
            ["template", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state] + extra,
            environment: ["HELM_STANDIN_VERSION": helmVersion])
    }

    @Test func theTemplateCommandIsTheInstallCommandWithoutInstallOnlyFlags() throws {
        let step = try JSONDecoder().decode(
            DeployPlan.Step.self,
            from: Data(
                """
                {"component": "web", "namespace": "web", "release": "web", "clusterSteps": [],
                 "command": ["helm", "upgrade", "--install", "--namespace", "web", "--create-namespace",
                             "--values", "/s/v.yaml", "--wait", "--timeout", "10m0s", "--post-renderer", "/bin/airgap-install",
                             "--post-renderer-args", "post-render", "--", "web", "/s/charts/web-1.0.0.tgz"]}
                """.utf8))
        #expect(
            DeployTemplate.command(for: step) == [
                "helm", "template", "--namespace", "web", "--values", "/s/v.yaml", "--post-renderer", "/bin/airgap-install",
                "--post-renderer-args", "post-render", "--", "web", "/s/charts/web-1.0.0.tgz",
            ])
        #expect(step.chart == "/s/charts/web-1.0.0.tgz")
    }

    @Test func templateWritesWhatHelmWouldApplyEveryImageFromTheSite() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let output = pushed.root + "/rendered"
        let written = try Self.template(pushed, site: site, extra: ["--output", output])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.contains("wrote \(output)/01-mpi-operator.yaml") && written.stdout.contains("wrote \(output)/02-astrago.yaml"))
        for secret in DeployPlanTests.secrets { #expect(!(written.stdout + written.stderr).contains(secret), "\(secret)") }
        let relocation = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: pushed.state + "/relocation.json")))
        let targets = Set(relocation.images.map(\.target))
        for name in ["01-mpi-operator.yaml", "02-astrago.yaml"] {
            let path = output + "/" + name
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(name) may hold secrets")
            let images = try ImageDiscovery.discover(renderedManifests: String(contentsOfFile: path, encoding: .utf8)).map(\.reference)
            #expect(!images.isEmpty, "\(name)")
            for image in images { #expect(targets.contains(image), "\(name): \(image)") }
        }
        // Site values are where the chart puts them (the escaped database password included).
        #expect(
            try String(contentsOfFile: output + "/02-astrago.yaml", encoding: .utf8).contains(
                #"mysql://platform:db-S3cret%225@mariadb:3306/astrago"#))

        let one = try Self.template(pushed, site: site, extra: ["--only", "astrago"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("# airgap-install template: component astrago (namespace astrago)\n"), "\(one.stdout.prefix(200))")
        #expect(!one.stdout.contains("component mpi-operator"))
        let unknown = try Self.template(pushed, site: site, extra: ["--only", "nope"])
        #expect(unknown.status == 2 && unknown.stderr.contains("--only nope: no such enabled component"), "\(unknown.stderr)")
    }

    @Test func aHookImageHelm3LeavesAloneIsRefusedBeforeAnythingIsApplied() throws {
        let pushed = try DeployPlanTests.pushed(hookImage: true)
        defer { pushed.registry.stop() }
        let site = pushed.root + "/site.yaml"
        try DeployPlanTests.siteYAML.write(toFile: site, atomically: true, encoding: .utf8)
        let hookImage = "docker.io/mpioperator/mpi-operator:0.4.0"

        // Helm 3: the hook Job keeps the chart's image; template names it and fails.
        let three = try Self.template(pushed, site: site, extra: ["--only", "mpi-operator"])
        #expect(three.status == 1, "\(three.stderr)")
        #expect(three.stderr.contains("\(hookImage) (Job/crd-check container check)"), "\(three.stderr)")
        #expect(three.stderr.contains("helm/helm#7891"), "\(three.stderr)")
        // Helm 4 post-renders hooks too: every image is the site's.
        let four = try Self.template(pushed, site: site, helmVersion: "v4.0.1", extra: ["--only", "mpi-operator"])
        #expect(four.status == 0, "\(four.stderr)")
        #expect(four.stdout.contains("image: \(pushed.registry.host)/astrago/mpioperator/mpi-operator:0.4.0"))
        #expect(!four.stdout.contains("image: \(hookImage)"))

        // deploy with Helm 3 stops at that component: helm upgrade is never run.
        let (cluster, clusterFlags) = try DeployHelmFormsTests.cluster(in: pushed.root)
        defer { cluster.stop() }
        let log = pushed.root + "/helm.log"
        let environment = [
            "HELM_STANDIN_VERSION": "v3.15.4", "HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_LOG": log,
        ]
        let deployed = try airgap(
            "airgap-install",
            ["deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--plain-http"]
                + clusterFlags, environment: environment)
        #expect(deployed.status == 1, "\(deployed.stdout)\(deployed.stderr)")
        #expect((deployed.stdout + deployed.stderr).contains(hookImage), "\(deployed.stdout)\(deployed.stderr)")
        let calls = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(!calls.contains("\"upgrade\""), "\(calls)")
        // With Helm 4 the same bundle deploys.
        let resumed = try airgap(
            "airgap-install",
            ["deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--plain-http", "--resume"]
                + clusterFlags, environment: environment.merging(["HELM_STANDIN_VERSION": "v4.0.1"]) { _, new in new })
        #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
    }
}
