import Bundle
import Foundation
import Install
import TestSupport
import Testing

/// The state directory is private and checked (issue 15, items 2 and 4): a render (real Helm
/// rendering through Tests/Servers/helm-standin, with our post-renderer) leaves no file or
/// directory that another user could read, in the state directory or in `TMPDIR`; and every site
/// command that reads the state directory refuses one changed after push, naming the file.
/// No Kubernetes API server can run here: deploy talks to our API double through a real kubectl.
@Suite("State directory: private files, checked against the signed bundle", .serialized)
struct StateDirectoryHardeningTests {
    /// Every file and directory under `root` (links aside) whose mode gives group or others any
    /// access, with its mode.
    static func readableByOthers(under root: String) throws -> [String] {
        var found: [String] = []
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        while let relative = enumerator.nextObject() as? String {
            let path = root + "/" + relative
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFLNK { continue }
            if status.st_mode & 0o077 != 0 { found.append("\(relative) (mode \(String(status.st_mode & 0o777, radix: 8)))") }
        }
        return found
    }

    @Test func aRenderAndADeployLeaveNothingReadableByOthersInTheStateDirectoryOrTMPDIR() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let temporary = pushed.root + "/run-tmp"
        try FileManager.default.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        let output = temporary + "/rendered"
        // Helm 4: the post-renderer plugin's files too.
        let template = try airgap(
            "airgap-install",
            ["template", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--output", output],
            environment: ["HELM_STANDIN_VERSION": "v4.0.1", "TMPDIR": temporary])
        #expect(template.status == 0, "\(template.stderr)")
        #expect(FileManager.default.fileExists(atPath: output + "/02-astrago.yaml"))
        #expect(
            try String(contentsOfFile: output + "/02-astrago.yaml", encoding: .utf8).contains("db-S3cret"),
            "the rendered output holds a secret: what this test is about")

        let (cluster, kubeconfig) = try PreflightTests.double(DeployPlanTests.clusterWithWorkloads, in: pushed.root)
        defer { cluster.stop() }
        let deploy = try airgap(
            "airgap-install",
            [
                "deploy", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state, "--skip-preflight",
                "--kubectl", try PreflightTests.kubectl(), "--kubeconfig", kubeconfig,
            ],
            environment: [
                "HELM_STANDIN_STATE": pushed.root + "/releases.json", "HELM_STANDIN_VERSION": "v3.14.4", "TMPDIR": temporary,
            ])
        #expect(deploy.status == 0, "\(deploy.stderr)")
        #expect(FileManager.default.fileExists(atPath: pushed.state + "/deploy/rendered/astrago"))

        #expect(try Self.readableByOthers(under: pushed.state) == [])
        #expect(try Self.readableByOthers(under: temporary) == [])
        var status = stat()
        #expect(stat(pushed.state, &status) == 0 && status.st_mode & 0o777 == 0o700, "the state directory is created 0700")
    }

    @Test func initValuesWritesAPrivateFileAndNeverThroughALink() throws {
        let pushed = try DeployPlanTests.pushed()
        defer { pushed.registry.stop() }
        let out = pushed.root + "/site.yaml"
        let written = try airgap("airgap-install", ["init-values", pushed.bundle, "--state-dir", pushed.state, "--out", out])
        #expect(written.status == 0, "\(written.stderr)")
        var status = stat()
        #expect(stat(out, &status) == 0 && status.st_mode & 0o777 == 0o600)
        let target = pushed.root + "/elsewhere.yaml"
        try "untouched\n".write(toFile: target, atomically: true, encoding: .utf8)
        let link = pushed.root + "/link.yaml"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let refused = try airgap("airgap-install", ["init-values", pushed.bundle, "--state-dir", pushed.state, "--out", link])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched\n")
    }

    /// One way to change a pushed state directory, and the file the refusal must name.
    struct Tamper: Sendable {
        var name: String
        var file: String
        var change: @Sendable (_ state: String, _ root: String) throws -> Void
    }

    static let tampers: [Tamper] = [
        Tamper(name: "edited relocation.json", file: "relocation.json") { state, _ in
            let path = state + "/relocation.json"
            var map = try JSONDecoder().decode(RelocationMap.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            map.images[0].target = "127.0.0.1:1/elsewhere/core:1"
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            try encoder.encode(map).write(to: URL(fileURLWithPath: path))
        },
        Tamper(name: "swapped chart", file: "charts/astrago-1.0.0.tgz") { state, _ in
            try FileManager.default.removeItem(atPath: state + "/charts/astrago-1.0.0.tgz")
            try FileManager.default.copyItem(atPath: state + "/charts/mpi-operator-0.4.0.tgz", toPath: state + "/charts/astrago-1.0.0.tgz")
        },
        Tamper(name: "symlinked journal", file: "journal.jsonl") { state, root in
            try "outside\n".write(toFile: root + "/outside.jsonl", atomically: true, encoding: .utf8)
            try FileManager.default.removeItem(atPath: state + "/journal.jsonl")
            try FileManager.default.createSymbolicLink(atPath: state + "/journal.jsonl", withDestinationPath: root + "/outside.jsonl")
        },
        Tamper(name: "secret flag removed", file: BundlePaths.siteValues) { state, _ in
            let path = state + "/" + BundlePaths.siteValues
            var declarations = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]])
            let secret = try #require(declarations.firstIndex { $0["secret"] as? Bool == true }, "the bundle declares a secret value")
            declarations[secret]["secret"] = false
            try JSONSerialization.data(withJSONObject: declarations, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: path))
        },
    ]

    @Test func everySiteCommandRefusesATamperedStateDirectoryNamingTheFile() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        // Unchanged, every command gets past the check (plan changes nothing and needs no cluster).
        let plan = try airgap(
            "airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state])
        #expect(plan.status == 0, "\(plan.stderr)")
        for tamper in Self.tampers {
            let state = pushed.root + "/state-" + tamper.name.replacingOccurrences(of: " ", with: "-")
            try Shell.check(["cp", "-a", pushed.state, state])
            try tamper.change(state, pushed.root)
            let common = [pushed.bundle, "--state-dir", state, "--helm", DeployPlanTests.helm]
            let commands: [[String]] = [
                ["deploy"] + common + ["--values", site, "--skip-preflight", "--kubectl", "/bin/false"],
                ["template"] + common + ["--values", site],
                ["plan"] + common + ["--values", site],
                ["preflight"] + common + ["--values", site, "--kubectl", "/bin/false"],
                ["status"] + common + ["--kubectl", "/bin/false"],
                ["uninstall"] + common + ["--yes"],
            ]
            for command in commands {
                let result = try airgap("airgap-install", command)
                #expect(result.status == 1, "\(tamper.name): \(command[0]): \(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains(state + "/" + tamper.file), "\(tamper.name): \(command[0]): \(result.stderr)")
            }
            if tamper.file == "journal.jsonl" {
                #expect(
                    try String(contentsOfFile: pushed.root + "/outside.jsonl", encoding: .utf8) == "outside\n", "nothing written through the link")
            }
        }
    }

    @Test func aStateDirectoryOthersCanWriteInIsRefused() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        #expect(chmod(pushed.state, 0o777) == 0)
        let plan = try airgap(
            "airgap-install", ["plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state])
        #expect(plan.status == 1 && plan.stderr.contains("can be written by other users"), "\(plan.stderr)")
        #expect(plan.stderr.contains("chmod 700 \(pushed.state)"))
    }

    @Test func withKeyTheSiteCommandsVerifyTheSignatureAgain() throws {
        let (pushed, site) = try DeployHelmFormsTests.pushedWithSiteValues()
        defer { pushed.registry.stop() }
        let plan = ["plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir", pushed.state]
        let trusted = try airgap("airgap-install", plan + ["--key", pushed.root + "/vendor.pub"])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        try PushFixture.check(try airgap("airgap-bundle", ["keygen", "--out", pushed.root + "/stranger"]))
        let stranger = try airgap("airgap-install", plan + ["--key", pushed.root + "/stranger.pub"])
        #expect(stranger.status == 1 && stranger.stderr.contains("not among the trusted keys"), "\(stranger.stderr)")
    }

    @Test func aDefaultStateDirectoryIsAlwaysOneDirectoryInsideItsRoot() throws {
        #expect(try PushOptions.defaultStateDirectory(name: "astrago", version: "1.0.0") == "/var/lib/airgap-install/astrago-1.0.0")
        for (name, version) in [("..", "1"), ("a/../../etc", "1"), ("astrago", "1/../../x"), ("-rf", "1"), ("astrago", ".."), ("Astrago", "1")] {
            #expect(throws: InstallError.self, "\(name) \(version)") { try PushOptions.defaultStateDirectory(name: name, version: version) }
        }
        let report = PostRenderer.failureReport(relocation: "/s/relocation.json", component: "../../../etc/x")
        #expect(report == "/s/deploy/post-render-failures/no-component.txt")
    }
}
