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
            "The image pull secret made in each namespace when --username is given (kubernetes.io/dockerconfigjson).", valueName: "name"))
    var imagePullSecret = ImagePullSecret.defaultName

    func validate() throws {
        guard imagePullSecret.range(of: "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", options: .regularExpression) != nil, imagePullSecret.count <= 253 else {
            throw ValidationError("--image-pull-secret \"\(imagePullSecret)\" is not a Kubernetes name (lowercase letters, digits, - and .)")
        }
    }

    func helmPath(_ deploy: DeploySource) throws -> String { try DeployTools.helm(helm, stateDirectory: deploy.stateDirectory) }

    /// The plan for `deploy`; the pull secret step when `pullSecret` (a login was given).
    func prepare(_ deploy: DeploySource, site: SiteValues, pullSecret: Bool) throws -> DeployPlan.Prepared {
        try DeployPlan.prepare(
            deploy, values: site,
            options: DeployPlan.Options(
                helm: try helmPath(deploy), timeout: timeout, postRenderer: DeployTools.postRenderer(relocation: deploy.relocation),
                imagePullSecret: pullSecret ? imagePullSecret : nil))
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
