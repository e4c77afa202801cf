import ArgumentParser
import BundleCommands
import Foundation
import Install
import Terminal

/// `airgap-install setup`: the scripted commands' steps, guided, in a terminal.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Install a bundle step by step in a terminal: verify, site values, preflight, push, plan, deploy.",
        discussion: """
            Each step is shown with what it does and how long it took. 1 verify: the bundle against \
            --key, with a progress bar. 2 site values: every value the bundle declares that --values \
            FILE does not hold yet is asked for in the manifest's order, with its description, type \
            and default; a wrong answer is asked again with the reason; a secret is typed twice and \
            never shown. FILE is written (readable by its owner only) after every answer, so an \
            interrupted setup asks only what is left. 3 preflight: each check's result (as \
            airgap-install preflight, before anything is pushed). 4 push: as airgap-install push, \
            with a progress bar. 5 plan: the steps deploy runs, then "Deploy now? [y/N]" — no \
            leaves everything in place. 6 deploy: a table with one row per component in install \
            order (waiting, installing, waiting for workloads, ready, failed, skipped), its time \
            and its last event; a failure shows the reason and the command that resumes. 7 a \
            summary. Run setup again to continue after any stop: answered values, the push and \
            installed components are kept. Ctrl-C leaves the terminal as it was.
            Without a terminal (standard input or output not one), setup refuses and prints the \
            scripted commands, unless --yes is given with a complete --values FILE: then every step \
            runs without asking and prints plain lines. NO_COLOR and TERM=dumb turn off colours \
            (and, for dumb, redrawing).
            Exit status: 0 installed, or stopped at the plan by the answer no; 1 a step failed; 2 \
            usage or I/O error; 130 interrupted.

            Examples:
              airgap-install setup astrago-1.0.0.tar.zst --key vendor.pub \\
                  --registry 10.0.0.5:30002 --plain-http --username admin
              airgap-install setup astrago-1.0.0.tar.zst --key vendor.pub \\
                  --registry harbor.site --values site.yaml --yes < /dev/null
            """)

    @Argument(help: "The bundle archive.")
    var bundle: String

    @Option(name: .customLong("key"), help: ArgumentHelp("The vendor's public key (PEM). Repeatable, for key rotation.", valueName: "pub"))
    var keys: [String] = []

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where push puts charts, relocation.json and the journal (default /var/lib/airgap-install/NAME-VERSION).", valueName: "dir"))
    var stateDirectory: String?

    @Option(name: .customLong("values"), help: ArgumentHelp("The site values file, filled in as you answer.", valueName: "file"))
    var values = "site.yaml"

    @Option(
        name: .customLong("helm"),
        help: ArgumentHelp("The helm executable (default: the bundle's helm for this platform, else helm on PATH).", valueName: "path"))
    var helm: String?

    @Option(name: .customLong("registry"), help: ArgumentHelp("The site registry, host[:port].", valueName: "host[:port]"))
    var registry: String

    @Option(name: .customLong("project"), help: ArgumentHelp("The Harbor project to push into (created private if missing).", valueName: "name"))
    var project = "astrago"

    @Option(
        name: .customLong("harbor-api"),
        help: ArgumentHelp("Harbor's API base URL when it is not the registry's own (default: the registry).", valueName: "url"))
    var harborAPI: String?

    @OptionGroup var login: RegistryLoginOptions

    @OptionGroup var cluster: ClusterOptions

    @Option(name: .customLong("timeout"), help: ArgumentHelp("helm --timeout per component.", valueName: "duration"))
    var timeout = "10m0s"

    @Option(
        name: .customLong("image-pull-secret"),
        help: ArgumentHelp("The image pull secret every pod spec names (as deploy's --image-pull-secret).", valueName: "name"))
    var imagePullSecret: String?

    @Flag(name: .customLong("require-archive-signature"), help: "Fail when the detached signature FILE.sig is missing.")
    var requireArchiveSignature = false

    @Flag(name: .customLong("yes"), help: "Ask nothing: --values must be complete; deploy without asking.")
    var yes = false

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give the vendor's public key with --key") }
        guard !registry.isEmpty, !registry.contains("/") else { throw ValidationError("--registry is a host[:port], without a path or scheme") }
        guard project.range(of: "^[a-z0-9]+(?:[._-][a-z0-9]+)*$", options: .regularExpression) != nil else {
            throw ValidationError("--project \"\(project)\" must be lowercase letters, digits and . _ - (as Harbor project names are)")
        }
    }

    func run() async throws {
        let session = TerminalSession()
        if !session.interactive, !yes {
            throw CommandFailure(refusal, .usage)
        }
        if yes, !FileManager.default.fileExists(atPath: values) {
            throw CommandFailure(
                "--yes needs a complete --values FILE: \(values) does not exist (airgap-install init-values writes one)",
                .usage)
        }
        session.guardTerminal(resumeHint: "interrupted: answers already given are saved in \(values); to continue run\n  \(resumeCommand)")
        defer { session.restore() }
        try await SetupFlow(command: self, session: session).run()
    }

    /// This command line again (no secret is ever on it).
    var resumeCommand: String {
        CommandLine.arguments.enumerated().map { $0.offset == 0 ? "airgap-install" : Self.quoted($0.element) }.joined(separator: " ")
    }

    static func quoted(_ word: String) -> String {
        word.range(of: #"^[A-Za-z0-9_./:=@%+,-]+$"#, options: .regularExpression) != nil
            ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The refusal without a terminal: what to run instead.
    var refusal: String {
        let state = stateDirectory.map { " --state-dir \(Self.quoted($0))" } ?? ""
        let file = Self.quoted(values), archive = Self.quoted(bundle)
        let keyFlags = keys.map { "--key \(Self.quoted($0))" }.joined(separator: " ")
        return """
            setup asks questions and needs a terminal: its standard input and output are not both one here.
            Give --yes with a complete --values FILE to run every step without asking, or run the steps yourself:
              airgap-install verify \(archive) \(keyFlags)
              airgap-install push \(archive) \(keyFlags) --registry \(registry) --project \(project)\(state)
              airgap-install init-values \(archive) --out \(file)\(state)    (then fill it in)
              airgap-install preflight \(archive) --values \(file)\(state)
              airgap-install plan \(archive) --values \(file)\(state)
              airgap-install deploy \(archive) --values \(file)\(state)
            """
    }
}
