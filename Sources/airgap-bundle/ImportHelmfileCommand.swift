import ArgumentParser
import BundleCommands
import ChartResolution
import HelmfileImport
import Terminal

struct ImportHelmfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-helmfile",
        abstract: "Write a manifest from a helmfile: its releases, in install order, for one environment.",
        discussion: """
            Reads HELMFILE for --environment: the environment's values files (merged in order), \
            helmfiles: entries in order (with the values they pass down), then releases: in order \
            as needs: requires. Each release becomes a component (name, namespace — default when \
            none —, chart: local folder, repo/name through repositories:, or oci://, version, \
            values). values.yaml.gotmpl files and templated helmfiles are rendered with Go \
            template semantics (.Values, .Environment, .Release; default, quote, squote, required, \
            if/else if/else, range, toYaml, indent, nindent, trim, lower, upper, printf, eq, ne, \
            not, and, or); anything else is an error naming the file and line. A release switched \
            off by condition: or installed: is kept with installed: false and the reason.
            Values files are written under OUTPUT-STEM.values/ beside the manifest.
            Each --site-value KEY (a dotted name of the environment's values) becomes a declared \
            site value, given at the site, with the environment's value as its default unless it \
            is a secret (--secret-value, or a name with password, secret, token, …).
            A re-import prints what changed before writing. --check writes nothing and exits 1 \
            when the manifest is out of date (for CI).
            Exit status: 0 written or up to date, 1 out of date (--check), 2 a helmfile or usage error.

            Examples:
              airgap-bundle import-helmfile helmfile.yaml -e prod -o astrago.yaml
              airgap-bundle import-helmfile helmfile.yaml -e prod -o astrago.yaml \\
                --site-value externalIP --site-value nfs.server --version 1.0.0
              airgap-bundle import-helmfile helmfile.yaml -e prod -o astrago.yaml --check
            """)

    @Argument(help: "The helmfile (helmfile.yaml).")
    var helmfile: String

    @Option(name: [.customShort("e"), .customLong("environment")], help: "The helmfile environment to import (as helmfile -e).")
    var environment: String

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The manifest to write.", valueName: "manifest"))
    var output: String

    @Option(
        name: .customLong("site-value"), help: ArgumentHelp("An environment value given at the site instead (dotted name; repeat).", valueName: "key")
    )
    var siteValues: [String] = []

    @Option(
        name: .customLong("secret-value"), help: ArgumentHelp("A site value that is a secret: no default (dotted name; repeat).", valueName: "key"))
    var secretValues: [String] = []

    @Option(name: .customLong("name"), help: "metadata.name of the manifest (default: the existing manifest's, else the helmfile's folder).")
    var name: String?

    @Option(name: .customLong("version"), help: "metadata.version of the manifest (default: the existing manifest's, else 0.1.0).")
    var version: String?

    @Flag(name: .customLong("check"), help: "Write nothing; exit 1 when the manifest is out of date.")
    var check = false

    func run() throws {
        let importer = HelmfileImporter(
            .init(
                helmfile: helmfile, environment: environment, output: output, siteValues: siteValues, secretValues: secretValues, name: name,
                version: version))
        let result: HelmfileImporter.Result
        do { result = try importer.run() } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        for line in result.changes.lines { print(TerminalText.escaped(line)) }
        if check {
            guard !result.changes.outOfDate else {
                throw CommandFailure(message: "\(output) is out of date: run import-helmfile without --check", exitCode: ExitCode(1))
            }
            print("up to date: \(output)")
            return
        }
        guard result.changes.outOfDate else {
            print("unchanged: \(output)")
            return
        }
        do { try importer.write(result) } catch { throw CommandFailure(message: "\(error)", exitCode: ExitCode(2)) }
        let installed = result.components.filter(\.installed)
        print("wrote: \(output) (\(installed.count) components, \(result.components.count - installed.count) switched off)")
        for (position, component) in result.components.enumerated() {
            print("  \(position + 1). \(component.name) (namespace \(component.namespace))\(component.installed ? "" : " [switched off]")")
        }
    }
}
