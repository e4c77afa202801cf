import ArgumentParser

/// Site side: verify a bundle, push its images into Harbor, deploy the components in order.
/// The commands arrive with the bundle-format, push and deploy issues.
struct AirgapInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airgap-install",
        abstract: "Install an Astrago air-gap bundle at a site with no internet (verify, push, deploy).",
        discussion: "Commands (verify, inspect, push, plan, deploy, status, uninstall) arrive with the bundle, push and deploy work.\n\nExample:\n  airgap-install --version",
        version: "0.1.0")
}

AirgapInstall.main()
