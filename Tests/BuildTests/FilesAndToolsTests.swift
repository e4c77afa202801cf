import Foundation
import Integrity
import OCI
import Registry
import TestSupport
import Testing

/// The manifest's `files` and `tools`: local files checked against their sha256, downloads over
/// verified TLS (a loopback HTTPS file server with its own CA), tools only for the build's
/// platforms, a wrong sha256 refused; all land under `files/` with their checksums.
@Suite("Files and tools in a build", .serialized)
struct FilesAndToolsTests {
    /// Serves `directory` over HTTPS on 127.0.0.1 with a self-signed certificate.
    final class HTTPSFileServer: @unchecked Sendable {
        let port: Int
        let caFile: String
        let process: BackgroundProcess

        init(serving directory: String, scratch: String) throws {
            caFile = scratch + "/tls.crt"
            try Shell.check([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                "subjectAltName=IP:127.0.0.1", "-keyout", scratch + "/tls.key", "-out", caFile,
            ])
            let script = """
                import functools, http.server, ssl, sys
                port, root, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
                handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=root)
                server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(cert, key)
                server.socket = context.wrap_socket(server.socket, server_side=True)
                server.serve_forever()
                """
            try script.write(toFile: scratch + "/https_server.py", atomically: true, encoding: .utf8)
            port = try Loopback.freePort()
            process = try BackgroundProcess(
                ["python3", scratch + "/https_server.py", String(port), directory, caFile, scratch + "/tls.key"], directory: scratch,
                logPath: scratch + "/https.log")
            try Loopback.waitUntilListening(port, process: process)
        }

        deinit { process.stop() }
    }

    @Test func filesAndToolsLandUnderFilesWithTheirChecksums() async throws {
        let fixture = try await BuildTests.Fixture()
        let served = fixture.root + "/served"
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        let helmBinary = Array("#!/bin/sh\necho helm stand-in\n".utf8)
        try Data(helmBinary).write(to: URL(fileURLWithPath: served + "/helm-linux-amd64"))
        let server = try HTTPSFileServer(serving: served, scratch: fixture.root)
        try Data("site notes\n".utf8).write(to: URL(fileURLWithPath: fixture.root + "/manifest/NOTES.txt"))
        try Data("arm tool\n".utf8).write(to: URL(fileURLWithPath: fixture.root + "/manifest/kubectl-arm64"))
        let notesSHA = SHA256Hasher.hex(of: Array("site notes\n".utf8))
        let helmSHA = SHA256Hasher.hex(of: helmBinary)
        var manifest = try String(contentsOfFile: fixture.manifest, encoding: .utf8)
        manifest += """

            files:
              - {name: NOTES.txt, source: NOTES.txt, sha256: \(notesSHA)}
            tools:
              - {name: helm, platform: linux/amd64, source: "https://127.0.0.1:\(server.port)/helm-linux-amd64", sha256: \(helmSHA)}
              - {name: kubectl, platform: linux/arm64, source: kubectl-arm64}

            """
        try manifest.write(toFile: fixture.manifest, atomically: true, encoding: .utf8)

        let built = try fixture.build(["--ca-file", server.caFile, "--json"])
        #expect(built.status == 0, "\(built.stderr)")
        let bundle = fixture.root + "/out/demo-2.0.0.tar.zst"
        let listing = try airgap("airgap-bundle", ["inspect", bundle, "--key", fixture.publicKey])
        #expect(listing.stdout.contains("files/NOTES.txt"), "\(listing.stdout)")
        #expect(listing.stdout.contains("files/tools/linux-amd64/helm"))
        #expect(!listing.stdout.contains("kubectl"), "a tool of another platform is left out")
        let unpacked = fixture.root + "/unpacked"
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        try Shell.check(["sh", "-c", "zstd -dc '\(bundle)' | tar -x -C '\(unpacked)' && cd '\(unpacked)' && sha256sum -c --quiet checksums.sha256"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: unpacked + "/files/tools/linux-amd64/helm")) == Data(helmBinary))
        let lock = try String(contentsOfFile: fixture.manifest + ".lock", encoding: .utf8)
        #expect(lock.contains(helmSHA) && lock.contains(notesSHA))

        // Without the CA, the download fails on TLS; a wrong sha256 for a download is refused.
        let wrongSHA = String(repeating: "0", count: 64)
        try manifest.replacingOccurrences(of: helmSHA, with: wrongSHA).write(toFile: fixture.manifest, atomically: true, encoding: .utf8)
        let wrong = try fixture.build(["--ca-file", server.caFile], output: fixture.root + "/o2", cache: fixture.root + "/cache2")
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("files/tools/linux-amd64/helm") && wrong.stderr.contains(wrongSHA), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/o2/demo-2.0.0.tar.zst"))
        try manifest.write(toFile: fixture.manifest, atomically: true, encoding: .utf8)
        let untrusted = try fixture.build([], output: fixture.root + "/o3", cache: fixture.root + "/cache3")
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("TLS"), "\(untrusted.stderr)")
        // A local file whose sha256 is wrong.
        try Data("changed notes\n".utf8).write(to: URL(fileURLWithPath: fixture.root + "/manifest/NOTES.txt"))
        let changed = try fixture.build(["--ca-file", server.caFile], output: fixture.root + "/o4")
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("files/NOTES.txt") && changed.stderr.contains(notesSHA), "\(changed.stderr)")
    }
}
