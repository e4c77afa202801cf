import ArgumentParser
import Terminal
#if canImport(Glibc)
import Glibc
#endif

@main
struct AirgapBundle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "airgap-bundle",
        abstract: "Build signed air-gap bundles of the Astrago platform: charts and every image they run.",
        discussion: """
            Vendor side. Pulls images from registries into an OCI image layout; later commands \
            pack, sign, verify and inspect bundles.

            Example:
              airgap-bundle pull nginx:1.27 quay.io/prometheus/node-exporter:v1.8.2 --oci-layout build/images
            """,
        version: BuildInfo.version,
        subcommands: [PullCommand.self])

    /// Runs the command; usage errors exit 2 (not ArgumentParser's 64), failures print `error: …`.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch let failure as CommandFailure {
            ProgressLine.writeStderr("error: \(failure.message)\n")
            Glibc.exit(failure.exitCode.rawValue)
        } catch {
            let code = exitCode(for: error).rawValue
            if error is ExitCode { Glibc.exit(code) }
            let message = fullMessage(for: error)
            if code == 0 {
                print(message)
                Glibc.exit(0)
            }
            if !message.isEmpty { ProgressLine.writeStderr(message + "\n") }
            Glibc.exit(code == 64 ? 2 : code)
        }
    }
}

enum BuildInfo {
    static let version = "0.1.0"
}
