import Foundation
import TestSupport
import Testing

/// Names from a bundle that reach Kubernetes, Helm, command lines and paths are checked, not
/// only signed (issue 15, item 5): `pack` refuses to write them, naming them. (`verify` refusing
/// such names in a bundle re-signed with the trusted key is in the corpus: names-hostile-*.)
@Suite("Hostile names in bundle.json")
struct HostileNameTests {
    /// components.json as `build` writes it, with one hostile field; the text the refusal must hold.
    static let cases: [(components: String, expected: String)] = [
        (#"[{"name":"-rf","namespace":"astrago","chart":"charts/mychart-1.2.3.tgz"}]"#, #"component "-rf""#),
        (#"[{"name":"astrago","namespace":"Bad_NS","chart":"charts/mychart-1.2.3.tgz"}]"#, #"namespace "Bad_NS""#),
        (#"[{"name":"astrago","namespace":"astrago","chart":"../x"}]"#, #"path "../x""#),
        (#"[{"name":"astrago","namespace":"astrago","chart":"/etc/x.tgz"}]"#, #"path "/etc/x.tgz""#),
        (#"[{"name":"astrago","namespace":"astrago","values":["-values.yaml"]}]"#, #"path "-values.yaml""#),
        (
            #"[{"name":"astrago","namespace":"astrago","releaseName":"\#(String(repeating: "r", count: 54))"}]"#,
            #"release name "\#(String(repeating: "r", count: 54))""#
        ),
    ]

    @Test func packRefusesHostileNamesNamingThem() throws {
        let fixture = try StagedFixture(imageLayerSize: 1000)
        let (key, _) = try fixture.keygen("names")
        for (components, expected) in Self.cases {
            try components.write(toFile: fixture.stage + "/components.json", atomically: true, encoding: .utf8)
            let output = fixture.root + "/hostile.tar.zst"
            let refused = try fixture.pack(key: key, output: output)
            #expect(refused.status == 2, "\(components): \(refused.stderr)")
            #expect(refused.stderr.contains(expected), "\(components): \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
        for (name, version, expected) in [("../../tmp/x", "1.0.0", #"bundle name "../../tmp/x""#), ("astrago", "1/../../x", #"version "1/../../x""#)]
        {
            let output = fixture.root + "/hostile.tar.zst"
            let refused = try airgapBundle(["pack", fixture.stage, "--key", key, "--output", output, "--name", name, "--version", version])
            #expect(refused.status == 2 && refused.stderr.contains(expected), "\(refused.stderr)")
        }
    }

    /// The private key's file is created 0600 by the `open` that makes it (read from strace, so
    /// it does not depend on winning a race), and never chmod-ed afterwards.
    @Test func keygenCreatesThePrivateKeyPrivateFromItsFirstByte() throws {
        let root = try TestPaths.scratch("keygen")
        let trace = root + "/strace.log"
        let prefix = root + "/vendor"
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            throw TestSupportError("no /usr/bin/strace: run scripts/install-test-deps.sh (apt strace)")
        }
        let result = try Shell.run(
            [
                "/usr/bin/strace", "-f", "-e", "trace=openat,creat,chmod,fchmod,fchmodat", "-o", trace, try TestPaths.binary("airgap-bundle"),
                "keygen", "--out", prefix,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let keyLines = lines.filter { $0.contains("\"\(prefix).key") }
        let creations = keyLines.filter { $0.contains("O_CREAT") || $0.contains("creat(") }
        #expect(!creations.isEmpty, "strace shows no creation of \(prefix).key:\n\(lines.suffix(20).joined(separator: "\n"))")
        for line in creations {
            let mode = try #require(line.firstMatch(of: /, (0[0-7]+)\)/)?.1, "\(line)")
            let bits = try #require(Int(mode, radix: 8))
            #expect(bits & 0o077 == 0, "created with group or other bits: \(line)")
        }
        #expect(!lines.contains { $0.contains("chmod") && !$0.contains("ENOSYS") }, "no chmod afterwards")
        var status = stat()
        #expect(stat(prefix + ".key", &status) == 0 && status.st_mode & 0o777 == 0o600)
    }
}
