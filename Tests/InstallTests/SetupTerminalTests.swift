import Foundation
import Install
import TestSupport
import Testing

/// `airgap-install setup` as a site admin meets it: in a real terminal (tmux, 80 columns), typed
/// into with send-keys and read with capture-pane, each wait a bounded poll of the screen. The
/// bundle is the two-component one of DeployPlanTests, pushed into a real registry
/// (docker-registry); helm is the stand-in over real Helm (Tests/Servers/helm-standin) and the
/// cluster is our Kubernetes API double (Tests/Servers/kube_api_double.py) read by a real kubectl:
/// no Kubernetes API server can run here.
@Suite("setup: a guided install in a real terminal", .serialized)
struct SetupTerminalTests {
    static let secrets = ["graf-S3cret-1", "kc-S3cret-2", "kcdb-S3cret-3", "hb-S3cret-4", "db-S3cret-5", "mismatch-A1", "mismatch-B2"]

    @Test func valuesAreAskedCheckedAndSavedAnInterruptedSetupResumesNoStopsAtThePlanAndYesDeploys() throws {
        let packed = try DeployPlanTests.packed(scratch: "setup")
        let registry = try RegistryServer()
        defer { registry.stop() }
        let (cluster, kubeconfig) = try PreflightTests.double(#"{"version": "v1.29.4", "nodes": [{"name": "n1"}]}"#, in: packed.root)
        defer { cluster.stop() }
        try FileManager.default.createDirectory(
            atPath: packed.root + "/answers", withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let values = packed.root + "/answers/site.yaml"
        let state = packed.root + "/state"
        let helmLog = packed.root + "/helm.log"
        let arguments = [
            try TestPaths.binary("airgap-install"), "setup", packed.bundle, "--key", packed.publicKey, "--registry", registry.host, "--plain-http",
            "--values", values, "--state-dir", state, "--helm", DeployPlanTests.helm, "--kubectl", try PreflightTests.kubectl(),
            "--kubeconfig", kubeconfig,
        ]
        let environment = [
            "HELM_STANDIN_STATE": packed.root + "/releases.json", "HELM_STANDIN_LOG": helmLog, "HELM_STANDIN_VERSION": "v3.14.4",
        ]
        // After setup: its exit status, and the terminal's settings (echo must be on again). The
        // shell traps Ctrl-C (its children get the default action back) so that it goes on to say.
        let line = "trap : INT; " + arguments.map(TmuxTerminal.quoted).joined(separator: " ") + "; echo \"setup exited $?\"; stty -a"

        // 1. Answers checked at once, the file written after each; Ctrl-C at a secret's prompt.
        let first = try TmuxTerminal(line, environment: environment)
        defer { first.stop() }
        var prompts = 0
        func answer(_ terminal: TmuxTerminal, _ text: String) throws {
            prompts += 1
            try terminal.waitFor("value:", count: prompts)
            try terminal.answer(text)
        }
        var agains = 0
        func secret(_ terminal: TmuxTerminal, _ text: String, again: String? = nil) throws {
            try answer(terminal, text)
            agains += 1
            try terminal.waitFor("again:", count: agains)
            try terminal.answer(again ?? text)
        }
        try first.waitFor("[1/7] Verify the bundle")
        try first.waitFor("externalIP  (1 of 12)")
        try answer(first, "")
        try first.waitFor("externalIP must be non-empty (it is required); try again")
        try answer(first, "10.1.2")
        try first.waitFor("externalIP must be an IP address (IPv4 such as 10.0.0.5, or IPv6); try again")
        try answer(first, "10.1.2.3")
        try first.waitFor("nfs.server  (2 of 12)")
        try answer(first, "nfs.site.local")
        try answer(first, "/export/astrago")
        try first.waitFor("prometheus.retention  (4 of 12)")
        try first.waitFor("default 15d (Enter keeps it)")
        try answer(first, "")
        try answer(first, "")
        try first.waitFor("grafana.adminPassword  (6 of 12)")
        try secret(first, "graf-S3cret-1")
        try first.waitFor("keycloak.adminUser  (7 of 12)")
        try answer(first, "")
        try first.waitFor("keycloak.adminPassword  (8 of 12)")
        prompts += 1
        try first.waitFor("value:", count: prompts)
        try first.send("kc-half")  // typed, not shown, then interrupted
        try first.send("C-c")
        var screen = try first.waitFor("setup exited 130")
        #expect(screen.contains("interrupted: answers already given are saved in \(values); to continue run"), "\(screen)")
        #expect(
            screen.contains(" echo ") && !screen.contains(" -echo ") && screen.contains(" icanon "), "the terminal was left without echo:\n\(screen)")
        #expect(!screen.contains("kc-half") && !screen.contains("graf-S3cret-1"), "a secret was shown:\n\(screen)")
        var saved = try String(contentsOfFile: values, encoding: .utf8)
        #expect(saved.contains("externalIP: \"10.1.2.3\"\n") && saved.contains("  server: \"nfs.site.local\"\n"), "\(saved)")
        #expect(saved.contains("  retention: \"15d\"\n") && saved.contains("  adminPassword: \"graf-S3cret-1\"\n"), "\(saved)")
        #expect(saved.contains("  dbPassword:\n"), "an unanswered value must be left empty:\n\(saved)")
        #expect(try FileManager.default.attributesOfItem(atPath: values)[.posixPermissions] as? Int == 0o600)

        // A value edited by hand into one that is not valid is asked again, with the reason.
        try saved.replacingOccurrences(of: "basePath: \"/export/astrago\"", with: "basePath: export").write(
            toFile: values, atomically: true, encoding: .utf8)

        // 2. Run again: only what is left is asked; a secret typed differently twice is asked
        // again; then preflight and push, and no at the plan leaves everything in place.
        // Under strace: the mode each file is created with, a check that does not depend on a race.
        let trace = packed.root + "/setup-open.log"
        let traced =
            "trap : INT; strace -f -qq -e trace=openat,creat -o \(TmuxTerminal.quoted(trace)) "
            + arguments.map(TmuxTerminal.quoted).joined(separator: " ") + "; echo \"setup exited $?\""
        let second = try TmuxTerminal(traced, environment: environment)
        defer { second.stop() }
        prompts = 0
        agains = 0
        try second.waitFor("12 site values; 6 already in \(values), 6 to ask")
        try second.waitFor("nfs.basePath in \(values) must be an absolute path (starting with /): asked again")
        try second.waitFor("nfs.basePath  (1 of 6)")
        try answer(second, "/export/astrago")
        try second.waitFor("keycloak.adminPassword  (2 of 6)")
        try secret(second, "kc-S3cret-2")
        try secret(second, "mismatch-A1", again: "mismatch-B2")
        try second.waitFor("the two entries differ; try again")
        agains += 1
        prompts += 1
        try second.waitFor("value:", count: prompts)
        try second.answer("kcdb-S3cret-3")
        try second.waitFor("again:", count: agains)
        try second.answer("kcdb-S3cret-3")
        try second.waitFor("astrago.mariadb.username  (4 of 6)")
        try answer(second, "")
        try secret(second, "db-S3cret-5")
        try secret(second, "hb-S3cret-4")
        try second.waitFor("[3/7] Preflight")
        try second.waitFor("ok      cluster: Kubernetes v1.29.4")
        try second.waitFor("[5/7] Plan", attempts: 6000)
        try second.waitFor("Deploy now? [y/N]")
        try second.answer("n")
        screen = try second.waitFor("setup exited 0")
        #expect(screen.contains("pushed: 5 images into \(registry.host)/astrago"), "\(screen)")
        #expect(screen.contains("Nothing was deployed; everything so far is kept"), "\(screen)")
        #expect(!((try? String(contentsOfFile: helmLog, encoding: .utf8)) ?? "").contains("upgrade"), "helm installed after no")
        for secret in Self.secrets { #expect(!screen.contains(secret), "\(secret) was shown:\n\(screen)") }
        saved = try String(contentsOfFile: values, encoding: .utf8)
        #expect(saved.contains("  dbPassword: \"kcdb-S3cret-3\"\n") && !saved.contains("mismatch"), "\(saved)")
        let creations = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").filter {
            $0.contains("answers/site.yaml") && $0.contains("O_CREAT")
        }
        #expect(creations.count == 6, "\(creations)")  // once per answer
        for call in creations { #expect(call.contains(".partial-") && call.contains(", 0600) = "), "\(call)") }

        // 3. Yes, and astrago's helm fails (its --wait times out), on a dumb terminal: plain lines
        // instead of redrawing, no colour, the reason and the commands that resume.
        let failing = try TmuxTerminal(line, environment: environment.merging(["HELM_STANDIN_FAIL": "astrago", "TERM": "dumb"]) { $1 })
        defer { failing.stop() }
        try failing.waitFor("Deploy now? [y/N]", attempts: 6000)
        try failing.answer("y")
        screen = try failing.waitFor("setup exited 1", attempts: 6000)
        #expect(screen.contains("mpi-operator: ready — installed in"), "\(screen)")
        #expect(screen.contains("astrago: failed — Error: INSTALLATION FAILED: resource not ready"), "\(screen)")
        #expect(screen.contains("component \"astrago\" failed; nothing after it was run"), "\(screen)")
        #expect(screen.contains("fix the cause, then resume with setup (it skips what is done):\n  airgap-install setup "), "\(screen)")
        #expect(screen.contains("or: airgap-install deploy \(packed.bundle) --values \(values) --state-dir \(state) --resume"), "\(screen)")
        #expect(!screen.contains("[7/7] Summary"))
        #expect(!(try failing.screen(escapes: true)).contains("\u{1B}[3"), "colour on a dumb terminal")

        // 4. Run again and answer yes: nothing is asked, the push is found complete, and the
        // table shows every component reaching its final state, each row within 80 columns.
        let third = try TmuxTerminal(line, environment: environment)
        defer { third.stop() }
        try third.waitFor("12 site values; 12 already in \(values), 0 to ask")
        try third.waitFor("Deploy now? [y/N]", attempts: 6000)
        try third.answer("y")
        screen = try third.waitFor("setup exited 0", attempts: 6000)
        #expect(screen.contains("already pushed: 5 images checked"), "\(screen)")
        let rows = try third.screen(joined: true).split(separator: "\n").map(String.init)
        let table = rows.filter { $0.hasPrefix("COMPONENT ") || $0.hasPrefix("mpi-operator ") || $0.hasPrefix("astrago ") }
        #expect(table.count == 3, "\(screen)")
        for row in table { #expect(row.count <= 79, "a table row does not fit in 80 columns: \(row)") }
        let mpi = try #require(table.first { $0.hasPrefix("mpi-operator ") }, "\(screen)")
        #expect(mpi.contains(" ready ") && mpi.contains("unchanged since the last deploy"), "\(mpi)")
        let astrago = try #require(table.first { $0.hasPrefix("astrago ") }, "\(screen)")
        #expect(astrago.contains(" ready ") && astrago.contains("installed in") && astrago.contains("no workloads"), "\(astrago)")
        #expect(screen.contains("[7/7] Summary") && screen.contains("installed: 1, unchanged: 1"), "\(screen)")
        #expect(screen.contains("the platform: http://10.1.2.3:30080"), "\(screen)")
        for secret in Self.secrets { #expect(!screen.contains(secret), "\(secret) was shown:\n\(screen)") }
        #expect(try third.screen(escapes: true).contains("\u{1B}["), "no colour in a colour terminal")

        // NO_COLOR: the same run without a colour (the table is still redrawn in place).
        let plain = try TmuxTerminal(line, environment: environment.merging(["NO_COLOR": "1"]) { $1 })
        defer { plain.stop() }
        try plain.waitFor("Deploy now? [y/N]", attempts: 6000)
        try plain.answer("y")
        screen = try plain.waitFor("setup exited 0", attempts: 6000)
        #expect(screen.contains("[7/7] Summary") && screen.contains("installed: 0, unchanged: 2"), "\(screen)")
        let colours = try plain.screen(escapes: true)
        #expect(!colours.contains("\u{1B}["), "colour with NO_COLOR set:\n\(colours)")

        // 5. Not a terminal: refused with the scripted commands; with --yes and the complete
        // file every step runs without asking, in plain lines (no colour, no redrawing).
        let refused = try Shell.run(arguments, environment: environment)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("setup asks questions and needs a terminal"), "\(refused.stderr)")
        #expect(refused.stderr.contains("airgap-install push \(packed.bundle) --key \(packed.publicKey) --registry \(registry.host)"))
        let scripted = try Shell.run(arguments + ["--yes"], environment: environment)
        #expect(scripted.status == 0, "\(scripted.stdout)\(scripted.stderr)")
        #expect(scripted.stdout.contains("mpi-operator: ready — unchanged since the last deploy"), "\(scripted.stdout)")
        #expect(!scripted.stdout.contains("\u{1B}"), "escape sequences outside a terminal")
        for secret in Self.secrets { #expect(!(scripted.stdout + scripted.stderr).contains(secret)) }
    }
}
