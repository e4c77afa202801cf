import Foundation
import TestSupport
import Testing

/// What node-config writes for containerd 2.x and CRI-O, and its install script run twice into a
/// temporary folder (the same result both times: safe to run again).
@Suite("node-config's files and install script")
struct NodeConfigFilesTests {
    @Test func containerd2AfterPushAndTheInstallScriptIsIdempotent() throws {
        let bundle = try UnpackableBundle()
        let output = bundle.root + "/containerd2"
        let written = try airgap(
            "airgap-install",
            [
                "node-config", bundle.bundle, "--key", bundle.publicKey, "--runtime", "containerd2", "--serve", "http://127.0.0.1:5999",
                "--registry", "127.0.0.1:5998", "--project", "astrago", "--plain-http", "--after-push", "--output", output,
            ])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(
            try String(contentsOfFile: output + "/config_path.toml", encoding: .utf8).contains(#"[plugins."io.containerd.cri.v1.images".registry]"#))
        // docker.io has a path that quay.io has too: its images are under astrago/docker.io first.
        let hub = try String(contentsOfFile: output + "/docker.io/hosts.toml", encoding: .utf8)
        let tables = hub.split(separator: "\n").filter { $0.hasPrefix("[host.") }
        #expect(
            tables == [
                #"[host."http://127.0.0.1:5998/v2/astrago/docker.io"]"#, #"[host."http://127.0.0.1:5998/v2/astrago"]"#,
                #"[host."http://127.0.0.1:5999"]"#,
            ])
        #expect(hub.contains(#"server = "http://127.0.0.1:5999""#))
        let config = bundle.root + "/config.toml"
        try "version = 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        let hostsDir = bundle.root + "/certs.d"
        for _ in 0..<2 {
            let run = try Shell.run(["sh", output + "/install.sh"], environment: ["HOSTS_DIR": hostsDir, "CONTAINERD_CONFIG": config])
            #expect(run.status == 0, "\(run.stderr)")
        }
        let installed = try String(contentsOfFile: config, encoding: .utf8)
        #expect(installed.components(separatedBy: "config_path").count == 2, "\(installed)")
        #expect(installed.contains("config_path = \"\(hostsDir)\""))
        #expect(try String(contentsOfFile: hostsDir + "/docker.io/hosts.toml", encoding: .utf8) == hub)
    }

    @Test func crioGetsMirrorsPerRegistry() throws {
        let bundle = try UnpackableBundle()
        let output = bundle.root + "/crio"
        let written = try airgap(
            "airgap-install",
            [
                "node-config", bundle.bundle, "--key", bundle.publicKey, "--runtime", "crio", "--serve", "http://127.0.0.1:5999",
                "--registry", "127.0.0.1:5998", "--project", "astrago", "--output", output,
            ])
        #expect(written.status == 0, "\(written.stderr)")
        let dropIn = try String(contentsOfFile: output + "/50-airgap-unpackable.conf", encoding: .utf8)
        #expect(
            dropIn.contains(
                "[[registry]]\nprefix = \"quay.io\"\nlocation = \"quay.io\"\n\n[[registry.mirror]]\nlocation = \"127.0.0.1:5999/quay.io\"\ninsecure = true"
            ))
        #expect(dropIn.contains("prefix = \"127.0.0.1:5998/astrago\""))
        #expect(dropIn.contains("location = \"127.0.0.1:5999/astrago\""))
    }
}
