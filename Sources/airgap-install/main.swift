import ArgumentParser
import BundleCommands
import Foundation
import ToolVersion

/// Site side: verify a bundle, push its images into Harbor, deploy the components in order.
struct AirgapInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airgap-install",
        abstract: "Install an Astrago air-gap bundle at a site with no internet.",
        discussion: """
            Verify the bundle against the vendor's public key before anything else, then push \
            every image into the site's Harbor, write and check the site values, then deploy every \
            component in order with Helm (plan shows the exact commands first).

            Example (guided, in a terminal: every step below, asking for the site values):
              airgap-install setup astrago-1.0.0.tar.zst --key vendor.pub --registry harbor.site --values site.yaml

            Example (the same steps, scripted):
              airgap-install verify astrago-1.0.0.tar.zst --key vendor.pub
              airgap-install inspect astrago-1.0.0.tar.zst --key vendor.pub
              airgap-install push astrago-1.0.0.tar.zst --key vendor.pub --registry harbor.site --project astrago \\
                  --username admin --password-stdin < harbor.pass
              airgap-install init-values astrago-1.0.0.tar.zst --out site.yaml
              airgap-install plan astrago-1.0.0.tar.zst --values site.yaml
              airgap-install deploy astrago-1.0.0.tar.zst --values site.yaml
            """,
        version: ToolVersion.description,
        subcommands: [
            VerifyCommand.self, InspectCommand.self, PushCommand.self, InitValuesCommand.self, PlanCommand.self, TemplateCommand.self,
            PostRenderCommand.self, DeployCommand.self, SetupCommand.self, StatusCommand.self, UninstallCommand.self, PreflightCommand.self,
            ServeCommand.self, NodeConfigCommand.self,
        ])
}

// A tool that exits before reading what we write to its standard input (kubectl given a pull
// secret) must be an error we report, not a signal that kills us.
signal(SIGPIPE, SIG_IGN)
await CommandRunner.main(AirgapInstall.self)
