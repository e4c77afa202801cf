import Bundle
import BundlePacking
import Foundation
import Integrity
import OCI
import System
import TarStream
import TestSupport
import Testing

/// `pack` takes the SHA-256 of an image blob from its name only when the layout carries the mark
/// of our durable writes, checks it while writing, and hashes the archive as it writes it.
@Suite("Packing trusts blobs of our own layouts by name, and checks them as it writes")
struct PackTrustedBlobTests {
    let fixture: StagedFixture
    let key: SigningKey

    init() throws {
        fixture = try StagedFixture(imageLayerSize: 300_000)
        key = try SigningKey.generate(.ed25519)
    }

    var layout: String { fixture.stage + "/images" }
    var blobCount: Int { (try? FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256").count) ?? 0 }

    /// Opens the layout as pull does: re-hashes its blobs once and marks it as ours.
    func markLayout() throws {
        _ = try OCILayout(creatingAt: layout)
        #expect(OCILayout.carriesDurabilityMark(layout))
    }

    func pack(_ output: String, compression: Compression = .zstd) throws -> PackResult {
        var options = PackOptions(builder: .init(name: "airgap-bundle", version: "test"))
        options.name = "astrago"
        options.version = "1.0.0"
        options.created = Date(timeIntervalSince1970: 1_790_000_000)
        options.compression = compression
        return try BundlePacker.pack(directory: fixture.stage, key: key, output: output, options: options)
    }

    /// Overwrites a layer blob with other bytes of the same size, behind the layout's back.
    func corruptLayer() throws -> String {
        let blob = fixture.images[0].layers[0].descriptor
        let path = layout + "/blobs/sha256/" + blob.digest.hex
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: URL(fileURLWithPath: path))
        return path
    }

    func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.hasPrefix("out") }
    }

    @Test func aTrustedBlobThatDoesNotMatchItsNameFailsThePackAndLeavesNoOutput() throws {
        try markLayout()
        let damaged = try corruptLayer()
        #expect(OCILayout.carriesDurabilityMark(layout), "changing a blob's bytes does not remove the mark")
        do {
            _ = try pack(fixture.root + "/out.tar.zst")
            Issue.record("a blob that does not match its name was packed")
        } catch let error as BundleError {
            #expect(error.kind == .usage)
            #expect(error.message.contains(damaged), "\(error.message)")
            // Found while writing, not before: the layout was trusted.
            #expect(error.message.contains("does not hash to its name"), "\(error.message)")
            #expect(error.message.contains("marked as written by airgap-bundle"), "\(error.message)")
        }
        #expect(try leftovers() == [], "no archive, no partial file and no signature may remain")

        // The command says so too, exits 2, and leaves nothing.
        let (cliKey, _) = try fixture.keygen("cli")
        let result = try fixture.pack(key: cliKey, output: fixture.root + "/out-cli.tar.zst")
        #expect(result.status == 2)
        #expect(result.stderr.contains("does not hash to its name"), "\(result.stderr)")
        #expect(try leftovers() == [])
    }

    @Test func aLayoutWithoutTheMarkIsHashedUpFront() throws {
        // StagedFixture removes images/ingest: the layout carries no mark.
        #expect(!OCILayout.carriesDurabilityMark(layout))
        let staged = try FileManager.default.subpathsOfDirectory(atPath: fixture.stage).filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: fixture.stage + "/" + $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        let result = try pack(fixture.root + "/out.tar.zst")
        #expect(result.blobsTrustedByName == 0)
        #expect(result.filesHashedFirst == staged.count)

        // So a damaged blob is refused before anything is written, as a damaged layout.
        let damaged = try corruptLayer()
        do {
            _ = try pack(fixture.root + "/out-2.tar.zst")
            Issue.record("a blob that does not match its name was packed")
        } catch let error as BundleError {
            #expect(error.message.contains(damaged) && error.message.contains("the image layout is damaged"), "\(error.message)")
            #expect(!error.message.contains("marked"), "\(error.message)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/out-2.tar.zst"))
    }

    @Test func aCopyOfAMarkedLayoutIsNotTrusted() throws {
        try markLayout()
        try FileManager.default.moveItem(atPath: layout, toPath: fixture.root + "/original-images")
        try Shell.check(["cp", "-r", fixture.root + "/original-images", layout])
        #expect(!OCILayout.carriesDurabilityMark(layout))
        let result = try pack(fixture.root + "/out.tar.zst")
        #expect(result.blobsTrustedByName == 0)
    }

    @Test func aLayoutOfLinksIsMarkedOnlyWhenItsSourceIsMarked() throws {
        // What build's stage does: links to the cache's blobs, then the mark if the cache has one.
        let linked = fixture.root + "/linked-images"
        try FileManager.default.createDirectory(atPath: linked + "/blobs/sha256", withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: layout + "/blobs/sha256") {
            try FileManager.default.linkItem(atPath: layout + "/blobs/sha256/" + name, toPath: linked + "/blobs/sha256/" + name)
        }
        #expect(try OCILayout.markLinkedLayout(linked, linkedFrom: layout) == false, "the source is not marked yet")
        #expect(!OCILayout.carriesDurabilityMark(linked))
        try markLayout()
        #expect(try OCILayout.markLinkedLayout(linked, linkedFrom: layout))
        #expect(OCILayout.carriesDurabilityMark(linked))
    }

    @Test func trustingByNameGivesTheSameBytesAndTheArchiveDigestIsItsSHA256() throws {
        let untrusted = try pack(fixture.root + "/out-hashed.tar.zst")
        try markLayout()
        let trusted = try pack(fixture.root + "/out-trusted.tar.zst")
        #expect(trusted.blobsTrustedByName == blobCount)
        #expect(trusted.blobsTrustedByName > 0)
        #expect(trusted.filesHashedFirst > 0, "charts, files and index.json are still hashed first")
        // Ed25519 signs deterministically: the same stage gives the same archive either way.
        #expect(try sha256(untrusted.archivePath) == (try sha256(trusted.archivePath)))
        #expect(try Data(contentsOf: URL(fileURLWithPath: untrusted.signaturePath)) == Data(contentsOf: URL(fileURLWithPath: trusted.signaturePath)))

        for compression in Compression.allCases {
            let result = try pack(fixture.root + "/out" + compression.fileSuffix, compression: compression)
            let sha256sum = try Shell.check(["sha256sum", result.archivePath]).stdout.split(separator: " ").first.map(String.init)
            #expect(result.archiveSHA256 == sha256sum, "\(compression)")
            #expect(result.archiveSize == PosixFile.regularFileSize(result.archivePath), "\(compression)")
            #expect(try TarReader(path: result.archivePath).compression == compression)
        }
    }

    @Test func theDetachedSignatureOfATrustedPackVerifiesWithOpenSSL() throws {
        try markLayout()
        let (keyPath, pub) = try fixture.keygen("vendor")
        let bundle = fixture.root + "/out.tar.zst"
        let packed = try fixture.pack(key: keyPath, output: bundle)
        #expect(packed.status == 0, "\(packed.stderr)")
        // The recipe of docs/security-guide.md.
        let recipe =
            "base64 -d '\(bundle).sig' > '\(bundle).sig.der' && openssl dgst -sha256 -verify '\(pub)' -signature '\(bundle).sig.der' '\(bundle)'"
        let ok = try Shell.run(["sh", "-c", recipe])
        #expect(ok.status == 0 && ok.stdout.contains("Verified OK"), "\(ok.stdout)\(ok.stderr)")
        let verified = try airgapBundle(["verify", bundle, "--key", pub, "--require-archive-signature"])
        #expect(verified.status == 0, "\(verified.stderr)")
    }
}
