import Foundation
import TestSupport
import Testing

@Suite("The deploy-side commands' help and usage errors, from the built binary")
struct DeployHelpTests {
    @Test(arguments: ["init-values", "plan", "post-render", "deploy", "status", "uninstall", "preflight", "setup"])
    func helpHasAnExample(command: String) throws {
        let help = try airgap("airgap-install", [command, "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        #expect(help.stdout.contains("Example"), "\(help.stdout)")
        #expect(help.stdout.contains("airgap-install \(command)"), "\(help.stdout)")
        #expect(help.stdout.contains("Exit status"), "\(help.stdout)")
    }

    @Test(arguments: ["plan", "deploy", "post-render"])
    func theImagePullSecretFlagIsOffered(command: String) throws {
        let help = try airgap("airgap-install", [command, "--help"])
        #expect(help.status == 0 && help.stdout.contains("--image-pull-secret <name>"), "\(help.stdout)")
    }

    @Test func usageAndIOErrorsExitWith2() throws {
        let missing = try airgap("airgap-install", ["plan", "/nonexistent/astrago.tar.zst"])
        #expect(missing.status == 2 && missing.stderr.contains("--values"), "\(missing.stderr)")
        let absent = try airgap("airgap-install", ["plan", "/nonexistent/astrago.tar.zst", "--values", "site.yaml"])
        #expect(absent.status == 2, "\(absent.stderr)")
        let unknown = try airgap("airgap-install", ["deploy", "b.tar.zst", "--values", "s.yaml", "--frobnicate"])
        #expect(unknown.status == 2)
    }
}
