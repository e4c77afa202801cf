import ArgumentParser
import BundleCommands
import Foundation
import Install
import Terminal

/// `airgap-install template`: what Helm would apply, without the cluster.
struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Render what deploy would apply: every component's manifests, images rewritten to the site registry.",
        discussion: """
            For review before anything changes (like helmfile template): the same steps as plan, \
            each component's chart rendered by helm template with the site values and airgap-install \
            post-render, exactly as deploy's helm upgrade --install renders it. An image that is \
            not in the bundle fails the component, as it would in deploy. The cluster is not \
            contacted. Every image of the output must come from the site registry; one that does \
            not (Helm 3 never post-renders a chart's hooks) is named and the exit status is 1 — \
            deploy refuses that component the same way. The manifests hold the site's secret values where the charts put them: \
            --output writes them to DIR/NN-COMPONENT.yaml readable by their owner only; without \
            it they go to standard output, each component after a comment line naming it.
            Exit status: 0 rendered, 1 a component, the site values or the helm version failed, 2 usage or I/O error.

            Examples:
              airgap-install template astrago-1.0.0.tar.zst --values site.yaml --output rendered/
              airgap-install template astrago-1.0.0.tar.zst --values site.yaml --only keycloak | grep image:
            """)

    @OptionGroup var source: DeploySourceOptions

    @OptionGroup var steps: DeployStepOptions

    @Option(name: .customLong("only"), help: ArgumentHelp("Render only this component (repeatable).", valueName: "name"))
    var only: [String] = []

    @OptionGroup var plannedLogin: PlannedLoginOptions

    @Option(name: .customLong("output"), help: ArgumentHelp("Write DIR/NN-COMPONENT.yaml instead of standard output.", valueName: "dir"))
    var output: String?

    func run() async throws {
        let deploy = try source.open()
        do {
            let site = try deploy.siteValues(steps.values)
            let prepared = try await steps.prepare(deploy, site: site, login: plannedLogin.login)
            let known = Set(prepared.plan.steps.map(\.component))
            for name in only where !known.contains(name) {
                throw CommandFailure(
                    "--only \(name): no such enabled component (components: \(prepared.plan.steps.map(\.component).joined(separator: ", ")))",
                    .usage)
            }
            let rendered = try await DeployTemplate.render(prepared, source: deploy, values: site, only: Set(only))
            if let output {
                for path in try DeployTemplate.write(rendered, to: output) { print(TerminalText.escaped("wrote \(path)")) }
            } else {
                for item in rendered {
                    print("# airgap-install template: component \(item.component) (namespace \(item.namespace))")
                    print(item.manifests, terminator: "")
                }
            }
            let problems = rendered.filter { !$0.imagesNotFromSite.isEmpty }.map {
                DeployTemplate.notFromSiteMessage(component: $0.component, images: $0.imagesNotFromSite)
            }
            if !problems.isEmpty { throw CommandFailure(problems.joined(separator: "\n"), .failed) }
        } catch { throw CommandFailure.from(error) }
    }
}
