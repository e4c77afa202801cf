import Foundation
import Install
import OCI
import TestSupport
import Testing

/// The YAML entry points of `airgap-install` — the post-renderer's standard input (what a chart
/// renders, ConfigMap documents inside it) and the site's `site.yaml` — refuse hostile YAML with
/// a message naming the limit it crossed, in bounded memory: the real binary runs as a child
/// and the kernel's count of its peak resident memory (`wait4`) must stay under 200 MB.
@Suite("YAML bombs on every airgap-install entry point cost bounded memory and name the limit")
struct YAMLBombInstallTests {
    static let ceiling = 200 << 20

    func expectRefused(_ result: PeakMemory.Result, says: String, _ what: String) {
        #expect(result.status != 0, "\(what): \(result.stdout.prefix(500))")
        #expect(result.stderr.contains(says), "\(what): \(result.stderr)")
        #expect(result.peakBytes < Self.ceiling, "\(what): peak \(result.peakBytes) bytes")
    }

    /// A rendered ConfigMap whose `data` holds `entries` (keys and literal-block values).
    static func configMap(_ entries: [String: String]) -> String {
        var lines = ["---", "# Source: c/templates/cm.yaml", "apiVersion: v1", "kind: ConfigMap", "metadata: {name: hostile}", "data:"]
        for (key, value) in entries.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(key): |")
            lines += value.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func thePostRenderersStandardInput() throws {
        let root = try TestPaths.scratch("bomb-post-render")
        let relocation = root + "/relocation.json"
        try JSONEncoder().encode(RelocationMap(bundle: "b", registry: "127.0.0.1:5000", project: "p", images: []))
            .write(to: URL(fileURLWithPath: relocation))
        let flood = root + "/flood"
        FileManager.default.createFile(atPath: flood, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: flood))
        try handle.truncate(atOffset: 1 << 30)  // 1 GiB, sparse
        try handle.close()
        let cases: [(name: String, input: String?, says: String)] = [
            (
                "aliases", "---\n# Source: c/templates/bomb.yaml\napiVersion: v1\nkind: Bomb\n" + YAMLBombs.aliases(key: "spec"),
                "YAML aliases expand to more than the limit"
            ),
            ("depth", "---\napiVersion: v1\nkind: Deep\n" + YAMLBombs.depth(key: "spec"), "nested deeper than the limit"),
            ("documents", YAMLBombs.documents(count: 20_000), "over the limit of 10000"),
            (
                "nodes", "---\napiVersion: v1\nkind: Dense\n" + YAMLBombs.denseNodes(key: "spec", bytes: 8 << 20),
                "more than the limit of 500000 YAML nodes"
            ),
            (
                "embedded aliases", Self.configMap(["config.yaml": YAMLBombs.aliases()]),
                "ConfigMap hostile data[config.yaml] not read, so its images cannot be rewritten: its YAML aliases expand"
            ),
            ("1 GiB", nil, "pass the limit of \(32 << 20) bytes"),
        ]
        for item in cases {
            var input = flood
            if let text = item.input {
                input = root + "/input"
                try text.write(toFile: input, atomically: true, encoding: .utf8)
            }
            let result = try PeakMemory.run(
                [try TestPaths.binary("airgap-install"), "post-render", "--relocation", relocation], standardInput: input)
            expectRefused(result, says: item.says, "post-render \(item.name)")
        }
        let endless = try PeakMemory.run(
            [try TestPaths.binary("airgap-install"), "post-render", "--relocation", relocation], standardInput: "/dev/zero")
        expectRefused(endless, says: "pass the limit of \(32 << 20) bytes", "post-render /dev/zero")
    }

    @Test func theSiteValues() throws {
        let pushed = try DeployPlanTests.pushed()
        let cases: [(name: String, text: String, says: String)] = [
            ("aliases", YAMLBombs.aliases(key: "nfs"), "YAML aliases expand to more than the limit"),
            ("depth", YAMLBombs.depth(key: "nfs"), "nested deeper than the limit"),
            ("documents", "nfs: {server: a}\n---\nnfs: {server: b}\n", "more than the limit of 1 YAML document"),
            ("nodes", YAMLBombs.denseNodes(key: "nfs", bytes: 1 << 19), "more than the limit of 100000 YAML nodes"),
            ("size", YAMLBombs.denseNodes(key: "nfs", bytes: 4 << 20), "over the limit of \(1 << 20) bytes"),
        ]
        for item in cases {
            let site = pushed.root + "/site-\(item.name).yaml"
            try item.text.write(toFile: site, atomically: true, encoding: .utf8)
            let result = try PeakMemory.run(
                [
                    try TestPaths.binary("airgap-install"), "plan", pushed.bundle, "--values", site, "--helm", DeployPlanTests.helm, "--state-dir",
                    pushed.state,
                ])
            expectRefused(result, says: item.says, "site.yaml \(item.name)")
            #expect(result.stderr.contains(site), "the message names the file: \(result.stderr)")
        }
    }
}

/// Embedded documents (ConfigMap values) that cannot be read are never passed on unrewritten.
@Suite("ConfigMap documents the post-renderer cannot read are errors naming the ConfigMap and key")
struct EmbeddedDocumentRefusalTests {
    let rewriter = try! ImageRewriter(
        relocation: RelocationMap(
            bundle: "b", registry: "h:5000", project: "p",
            images: [
                .init(
                    source: "quay.io/acme/app:1.0", target: "h:5000/p/acme/app:1.0",
                    digest: try! Digest("sha256:" + String(repeating: "2", count: 64)))
            ]))

    @Test func anInvalidDocumentUnderADocumentKeyIsAnError() {
        let rendered = YAMLBombInstallTests.configMap(["config.yaml": "image: quay.io/acme/app:1.0\n  bad: [indent\n"])
        #expect {
            try rewriter.rewrite(rendered)
        } throws: { error in
            "\(error)".contains("ConfigMap hostile data[config.yaml] not read, so its images cannot be rewritten: it is not valid YAML (line")
        }
        let json = YAMLBombInstallTests.configMap(["settings.json": "{\"image\": \"quay.io/acme/app:1.0\", broken"])
        #expect(throws: RewriteError.self) { try rewriter.rewrite(json) }
    }

    @Test func textOfAnotherFormatUnderAnotherKeyKeepsItsTokenRewrites() throws {
        // A shell script is no YAML document: its tokens are rewritten, and it is kept as text
        // (the documented choice: refusing every ConfigMap value that is not YAML would refuse
        // scripts and config files of other formats that charts ship).
        let rendered = YAMLBombInstallTests.configMap(["run.sh": "#!/bin/sh\nexec run --image=quay.io/acme/app:1.0 -- a: [b\n"])
        let output = try rewriter.rewrite(rendered)
        #expect(output.contains("--image=h:5000/p/acme/app:1.0"), "\(output)")
        #expect(!output.contains("quay.io/acme/app:1.0"), "\(output)")
    }

    @Test func textThatIsNotYAMLButStillNamesARepositoryOfTheBundleIsAnError() {
        // Before: the joined image below passed through unrewritten (the document does not
        // parse, so neither the rewriter nor the output check read it) and nodes would pull
        // quay.io/acme/app from the internet.
        for (key, text) in [
            ("settings", "notebook:\n  repository: quay.io/acme/app\n  tag: \"1.0\"\n  extra: [unclosed\n"),
            ("settings", "app:\n  registry: quay.io\n  repository: acme/app\n  tag: \"1.0\"\n  bad: [indent\n"),
            ("run.sh", "#!/bin/sh\nexec run --image=quay.io/acme/app:2.0 -- a: [b\n"),
        ] {
            #expect {
                try rewriter.rewrite(YAMLBombInstallTests.configMap([key: text]))
            } throws: { error in
                "\(error)".contains("ConfigMap hostile data[\(key)] is not valid YAML") && "\(error)".contains("an image repository of the bundle")
            }
        }
    }

    @Test func aDocumentOverItsLimitsIsAnErrorUnderAnyKey() {
        let rendered = YAMLBombInstallTests.configMap(["anything": YAMLBombs.aliases()])
        #expect {
            try rewriter.rewrite(rendered)
        } throws: { error in
            "\(error)".contains("ConfigMap hostile data[anything] not read, so its images cannot be rewritten: its YAML aliases expand")
        }
    }
}
