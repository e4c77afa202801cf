import ArgumentParser
import BundleCommands
import Foundation
import Install

/// Options plan and deploy share: the site values, helm, its timeout and the pull secret's name.
struct DeployStepOptions: ParsableArguments {
    @Option(name: .customLong("values"), help: ArgumentHelp("The site values (see init-values).", valueName: "site.yaml"))
    var values: String

    @Option(
        name: .customLong("helm"),
        help: ArgumentHelp("The helm executable (default: the bundle's helm for this platform, else helm on PATH).", valueName: "path"))
    var helm: String?

    @Option(name: .customLong("timeout"), help: ArgumentHelp("helm --timeout per component.", valueName: "duration"))
    var timeout = "10m0s"

    @Option(
        name: .customLong("image-pull-secret"),
        help: ArgumentHelp(
            "The image pull secret every pod spec names; with --username deploy creates it in each namespace (default then: \(ImagePullSecret.defaultName)), else the site made it.",
            valueName: "name"))
    var imagePullSecret: String?

    func validate() throws {
        guard let name = imagePullSecret else { return }
        guard name.range(of: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", options: .regularExpression) != nil, name.count <= 253 else {
            throw ValidationError("--image-pull-secret \"\(name)\" is not a Kubernetes name (lowercase letters, digits, - and .)")
        }
    }

    func helmPath(_ deploy: DeploySource) throws -> String { try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory) }

    func prepare(_ deploy: DeploySource, site: SiteValues, login: Bool) async throws -> DeployPlan.Prepared {
        try await DeployTools.prepare(
            deploy, values: site, valuesFile: values, helm: helm, timeout: timeout, imagePullSecret: imagePullSecret, login: login)
    }
}

/// How the installer reaches the cluster itself: kubectl and its kubeconfig.
struct ClusterOptions: ParsableArguments {
    @Option(name: .customLong("kubectl"), help: ArgumentHelp("The kubectl executable (default: kubectl on PATH).", valueName: "path"))
    var kubectl: String?

    @Option(name: .customLong("kubeconfig"), help: ArgumentHelp("The kubeconfig (default: kubectl's own).", valueName: "file"))
    var kubeconfig: String?

    func cluster() throws -> Kubectl { Kubectl(executable: try DeployTools.kubectl(kubectl), kubeconfig: kubeconfig) }
}

/// `--username` for plan and template: the pull secret appears as deploy will make it; no password is read.
struct PlannedLoginOptions: ParsableArguments {
    @Option(
        name: .customLong("username"),
        help: ArgumentHelp(
            "The registry account deploy will be given: the image pull secret then appears in the steps and pod specs (no password is read).",
            valueName: "user"))
    var username: String?

    var login: Bool { username != nil }
}
