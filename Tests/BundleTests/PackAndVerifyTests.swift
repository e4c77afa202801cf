import Bundle
import Foundation
import Integrity
import OCI
import TarStream
import TestSupport
import Testing

@Suite("Packing, verifying, inspecting and extracting signed bundles")
struct PackAndVerifyTests {
    @Test func packVerifyInspectAndExtract() throws {
        let fixture = try StagedFixture()
        let (key, pub) = try fixture.keygen("vendor")
        let bundle = fixture.root + "/astrago.tar.zst"
        let packed = try fixture.pack(key: key, output: bundle)
        #expect(packed.status == 0, "\(packed.stderr)")
        #expect(FileManager.default.fileExists(atPath: bundle + ".sig"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root).allSatisfy { !$0.contains(".partial") })

        let verified = try airgapBundle(["verify", bundle, "--key", pub, "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any]
        #expect(report?["verified"] as? Bool == true)
        // The site's tool verifies too.
        let site = try Shell.run([try TestPaths.binary("airgap-install"), "verify", bundle, "--key", pub])
        #expect(site.status == 0, "\(site.stderr)")

        // inspect reads bundle.json only: names, components in order, images with digests, charts.
        let inspect = try airgapBundle(["inspect", bundle, "--key", pub, "--json"])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let info = try #require(try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any])
        let index = try #require(info["index"] as? [String: Any])
        #expect(index["name"] as? String == "astrago")
        #expect((index["components"] as? [[String: Any]])?.map { $0["name"] as? String } == ["csi-driver-nfs", "astrago"])
        let images = try #require(index["images"] as? [[String: Any]])
        #expect(Set(images.compactMap { $0["digest"] as? String }) == Set(fixture.images.map(\.digest.description)))
        #expect((index["charts"] as? [[String: Any]])?.first?["version"] as? String == "1.2.3")
        #expect(info["signatureVerified"] as? Bool == true)
        #expect((info["compressedSize"] as? Int ?? 0) > 0)
        let human = try airgapBundle(["inspect", bundle])
        #expect(human.stdout.contains("UNVERIFIED"))
        #expect(human.stdout.contains("1. csi-driver-nfs"))

        // Extraction: verified as it goes; sha256sum -c passes; skopeo reads the image layout.
        let target = fixture.root + "/unpacked"
        let keyObject = try VerifyingKey(pem: Array(try Data(contentsOf: URL(fileURLWithPath: pub))))
        try BundleExtractor.extract(bundle, keys: [keyObject], into: target)
        let check = try Shell.run(["sh", "-c", "cd '\(target)' && sha256sum -c --strict checksums.sha256"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("images/index.json: OK"))
        let skopeo = try Shell.run(["skopeo", "inspect", "oci:\(target)/images:registry.example/astrago/core:1.0"])
        #expect(skopeo.status == 0, "\(skopeo.stderr)")
        #expect(FileManager.default.fileExists(atPath: target + "/bundle.json"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: target + "/files/README.txt")) == Data("site notes\n".utf8))
    }

    @Test func detachedSignatureVerifiesWithStockOpenSSL() throws {
        let fixture = try StagedFixture(imageLayerSize: 10_000)
        for type in ["ecdsa-p256", "ed25519"] {
            let (key, pub) = try fixture.keygen("k-\(type)", type: type)
            let bundle = fixture.root + "/b-\(type).tar.zst"
            #expect(try fixture.pack(key: key, output: bundle).status == 0)
            // The recipes of docs/security-guide.md, run as written.
            let recipe =
                type == "ecdsa-p256"
                ? "base64 -d '\(bundle).sig' > '\(bundle).sig.der' && openssl dgst -sha256 -verify '\(pub)' -signature '\(bundle).sig.der' '\(bundle)'"
                : "base64 -d '\(bundle).sig' > '\(bundle).sig.raw' && openssl dgst -sha256 -binary -out '\(bundle).sha256' '\(bundle)' && openssl pkeyutl -verify -pubin -inkey '\(pub)' -rawin -in '\(bundle).sha256' -sigfile '\(bundle).sig.raw'"
            let ok = try Shell.run(["sh", "-c", recipe])
            #expect(ok.status == 0, "\(type): \(ok.stdout)\(ok.stderr)")
            #expect(ok.stdout.contains("Verified") || ok.stdout.contains("Signature Verified Successfully"))
            // One changed byte and openssl says no.
            var bytes = try Data(contentsOf: URL(fileURLWithPath: bundle))
            bytes[bytes.count / 2] ^= 1
            try bytes.write(to: URL(fileURLWithPath: bundle))
            #expect(try Shell.run(["sh", "-c", recipe]).status != 0)
        }
    }

    @Test func packingIsDeterministic() throws {
        let fixture = try StagedFixture(imageLayerSize: 50_000)
        let (edKey, _) = try fixture.keygen("ed", type: "ed25519")
        let a = fixture.root + "/a.tar.zst", b = fixture.root + "/b.tar.zst"
        #expect(try fixture.pack(key: edKey, output: a).status == 0)
        #expect(try fixture.pack(key: edKey, output: b).status == 0)
        #expect(try sha256(a) == (try sha256(b)), "an Ed25519-signed bundle must be byte-identical")

        // ECDSA signatures are randomized: bundle.json and every entry are identical, the signature differs.
        let (ecKey, _) = try fixture.keygen("ec")
        let c = fixture.root + "/c.tar.gz", d = fixture.root + "/d.tar.gz"
        #expect(try fixture.pack(key: ecKey, output: c, extra: ["--compression", "gzip"]).status == 0)
        #expect(try fixture.pack(key: ecKey, output: d, extra: ["--compression", "gzip"]).status == 0)
        func entries(_ path: String) throws -> [String: String] {
            let reader = try TarReader(path: path)
            var result: [String: String] = [:]
            while let entry = try reader.next() { result[entry.path] = SHA256Hasher.hex(of: try reader.readAll(limit: 1 << 26)) }
            return result
        }
        var first = try entries(c), second = try entries(d)
        #expect(first.removeValue(forKey: "bundle.json.sig") != second.removeValue(forKey: "bundle.json.sig"))
        #expect(first == second)
        #expect(try TarReader(path: c).compression == .gzip)
    }

    @Test func keyRotationWrongKeysAndBadStagedDirectories() throws {
        let fixture = try StagedFixture(imageLayerSize: 10_000)
        let (key, pub) = try fixture.keygen("current")
        let (_, oldPub) = try fixture.keygen("old")
        let bundle = fixture.root + "/b.tar.zst"
        #expect(try fixture.pack(key: key, output: bundle).status == 0)
        #expect(try airgapBundle(["verify", bundle, "--key", oldPub, "--key", pub]).status == 0)
        // Without FILE.sig the content is still fully checked, and the report says the .sig is absent;
        // a .sig of another archive is refused.
        let bare = fixture.root + "/bare.tar.zst"
        try FileManager.default.copyItem(atPath: bundle, toPath: bare)
        let absent = try airgapBundle(["verify", bare, "--key", pub, "--json"])
        #expect(absent.status == 0 && absent.stdout.contains("\"archiveSignature\" : \"absent\""), "\(absent.stdout)")
        #expect(try airgapBundle(["verify", bundle, "--key", pub, "--json"]).stdout.contains("\"archiveSignature\" : \"verified\""))
        let other = fixture.root + "/other.tar.zst"
        #expect(try airgapBundle(["pack", fixture.stage, "--key", key, "--output", other, "--version", "9"]).status == 0)
        try FileManager.default.copyItem(atPath: other + ".sig", toPath: bare + ".sig")
        let mismatched = try airgapBundle(["verify", bare, "--key", pub])
        #expect(mismatched.status == 1)
        #expect(mismatched.stderr.contains("does not match the archive"), "\(mismatched.stderr)")

        let wrong = try airgapBundle(["verify", bundle, "--key", oldPub])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("not among the trusted keys"), "\(wrong.stderr)")
        let noKey = try airgapBundle(["verify", bundle])
        #expect(noKey.status == 2)
        let missing = try airgapBundle(["verify", fixture.root + "/nope.tar.zst", "--key", pub])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("nope.tar.zst"))

        // A symlink in the staged directory is refused, naming it; nothing is written.
        try FileManager.default.createSymbolicLink(atPath: fixture.stage + "/files/link", withDestinationPath: "/etc/passwd")
        let refused = try fixture.pack(key: key, output: fixture.root + "/bad.tar.zst")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("files/link"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/bad.tar.zst"))
        try FileManager.default.removeItem(atPath: fixture.stage + "/files/link")

        // A layout missing a blob its index names is refused.
        let blob = fixture.images[0].layers[1].descriptor.digest
        try FileManager.default.removeItem(atPath: fixture.stage + "/images/blobs/sha256/\(blob.hex)")
        let incomplete = try fixture.pack(key: key, output: fixture.root + "/bad.tar.zst")
        #expect(incomplete.status == 2)
        #expect(incomplete.stderr.contains(blob.description), "\(incomplete.stderr)")

        // An encrypted key needs its passphrase.
        let prefix = fixture.root + "/enc"
        #expect(try airgapBundle(["keygen", "--out", prefix, "--passphrase-env", "PASS"], environment: ["PASS": "s3cret"]).status == 0)
        #expect(try String(contentsOfFile: prefix + ".key", encoding: .utf8).contains("ENCRYPTED"))
        let noPass = try airgapBundle(["pack", fixture.stage, "--key", prefix + ".key", "--output", fixture.root + "/x.tar.zst"])
        #expect(noPass.status == 2)
        #expect(noPass.stderr.contains("passphrase"), "\(noPass.stderr)")
    }

    /// pack refuses every name verify would refuse, before writing anything: control characters
    /// (a newline would inject a line into checksums.sha256), backslashes, over-long components,
    /// and names that differ only by case or Unicode normalization.
    @Test(arguments: [
        (["files/a\nb.txt"], "control character"),
        (["files/tab\there.txt"], "control character"),
        (["files/esc\u{1B}[2K.txt"], "control character"),
        (["files/back\\slash.txt"], "backslash"),
        (["files/README.TXT"], "differ only by case"),
        (["files/caf\u{E9}.txt", "files/cafe\u{301}.txt"], "differ only by case or Unicode normalization"),
    ])
    func packRefusesNamesVerifyWouldRefuse(names: [String], expected: String) throws {
        let fixture = try StagedFixture(imageLayerSize: 1000)
        let (key, _) = try fixture.keygen("names")
        for name in names {
            FileManager.default.createFile(atPath: fixture.stage + "/" + name, contents: Data("x".utf8))
        }
        let output = fixture.root + "/names.tar.zst"
        let refused = try fixture.pack(key: key, output: output)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains(expected), "\(refused.stderr)")
        #expect(!refused.stderr.unicodeScalars.contains { $0 != "\n" && $0.properties.generalCategory == .control }, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func packRefusesControlCharactersInNameAndVersion() throws {
        let fixture = try StagedFixture(imageLayerSize: 1000)
        let (key, _) = try fixture.keygen("fields")
        for extra in [["--name", "astrago\u{1B}[31m"], ["--version", "1.0\r\nverified"]] {
            let output = fixture.root + "/fields.tar.zst"
            let refused = try airgapBundle(["pack", fixture.stage, "--key", key, "--output", output] + extra)
            #expect(refused.status == 2 && refused.stderr.contains("control character"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: output))
        }
    }

    /// A bundle path that is missing, a directory or a FIFO is an input problem (exit 2), refused
    /// at once: a FIFO is never opened for a blocking read.
    @Test func bundlePathsThatAreNotFilesExitTwo() throws {
        let fixture = try StagedFixture(imageLayerSize: 1000)
        let (_, pub) = try fixture.keygen("paths")
        let fifo = fixture.root + "/fifo.tar.zst"
        #expect(mkfifo(fifo, 0o644) == 0)
        for (path, words) in [(fixture.root + "/nope.tar.zst", "No such file"), (fixture.stage, "a directory"), (fifo, "a FIFO")] {
            for command in [["verify", path, "--key", pub], ["inspect", path]] {
                let result = try airgapBundle(command)
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.contains(words), "\(command): \(result.stderr)")
            }
        }
    }
}
