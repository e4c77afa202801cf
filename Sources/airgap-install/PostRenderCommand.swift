import ArgumentParser
import BundleCommands
import Foundation
import Install

/// `airgap-install post-render`: Helm's post-renderer (stdin → stdout).
struct PostRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "post-render",
        abstract: "Rewrite every image of rendered manifests (stdin) to the site registry (stdout); for helm --post-renderer.",
        discussion: """
            Reads what Helm rendered on standard input and writes it with every image reference \
            the bundle holds rewritten to where push put it (relocation.json): container images, \
            operator arguments and *_IMAGE variables, custom resource fields, ConfigMap values. \
            An image the bundle does not hold fails (exit 1) naming it, so Helm applies nothing. \
            deploy and plan pass it to helm; it is rarely run by hand.
            Exit status: 0 rewritten, 1 an image is not in the bundle, 2 usage or I/O error.

            Example:
              helm template astrago charts/astrago-1.0.0.tgz | \\
                  airgap-install post-render --relocation /var/lib/airgap-install/astrago-1.0.0/relocation.json --component astrago
            """)

    @Option(name: .customLong("relocation"), help: ArgumentHelp("relocation.json written by push.", valueName: "file"))
    var relocation: String

    @Option(
        name: .customLong("component"), help: ArgumentHelp("The component rendered (its images.exclude are left as they are).", valueName: "name"))
    var component: String?

    @Option(
        name: .customLong("image-pull-secret"),
        help: ArgumentHelp("Add this Secret to the imagePullSecrets of every pod spec (kept once; existing entries stay).", valueName: "name"))
    var imagePullSecret: String?

    func run() throws {
        do {
            let rewriter = try PostRenderer.rewriter(relocation: relocation, component: component, imagePullSecret: imagePullSecret)
            let input = try PostRenderer.readInput(FileHandle.standardInput)
            let output = try rewriter.rewrite(String(decoding: input, as: UTF8.self))
            FileHandle.standardOutput.write(Data(output.utf8))
        } catch {
            var failure = CommandFailure.from(error)
            if error is RewriteError {
                failure = CommandFailure("post-render\(component.map { " (component \"\($0)\")" } ?? ""): \(failure.message)", .failed)
            }
            do { try PostRenderer.recordFailure(failure.message, relocation: relocation, component: component) } catch {
                // Helm 3 shows this standard error; Helm 4 only that the plugin failed, and deploy finds no report.
                failure = CommandFailure(message: failure.message + "\n(not recorded for deploy: \(error))", exitCode: failure.exitCode)
            }
            throw failure
        }
    }
}
