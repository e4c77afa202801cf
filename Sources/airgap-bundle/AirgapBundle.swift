import ArgumentParser
import BundleCommands
import ToolVersion

@main
struct AirgapBundle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airgap-bundle",
        abstract: "Build signed air-gap bundles of the Astrago platform: charts and every image they run.",
        discussion: """
            Vendor side, and security teams. Pull images into an OCI image layout, make a signing \
            key, pack a staged directory into a signed bundle, verify and inspect bundles.

            Example:
              airgap-bundle build manifests/astrago.yaml --key vendor.key
              airgap-bundle import-helmfile helmfile.yaml --environment prod --output manifests/astrago.yaml
              airgap-bundle pull nginx:1.27 --oci-layout stage/images
              airgap-bundle keygen --out vendor
              airgap-bundle pack stage --key vendor.key --output astrago-1.0.0.tar.zst
              airgap-bundle verify astrago-1.0.0.tar.zst --key vendor.pub
            """,
        version: ToolVersion.description,
        subcommands: [
            BuildCommand.self, LockCommand.self, PullCommand.self, ImagesCommand.self, KeygenCommand.self, PackCommand.self, VerifyCommand.self,
            InspectCommand.self, ImportHelmfileCommand.self,
        ])

    static func main() async { await CommandRunner.main(self) }
}
