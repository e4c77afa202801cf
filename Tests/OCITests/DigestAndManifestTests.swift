import Foundation
import Integrity
import OCI
import Testing

@Suite("Digests, platforms and manifest documents")
struct DigestAndManifestTests {
    @Test func digestValidates() throws {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        #expect(Digest.of([UInt8]()).hex == empty)
        #expect(try Digest("sha256:" + empty).short == "sha256:e3b0c44298fc")
        #expect(throws: DigestError.self) { try Digest(empty) }
        #expect(throws: DigestError.self) { try Digest("sha512:" + empty + empty) }
        #expect(throws: DigestError.self) { try Digest("sha256:" + empty.dropLast()) }
    }

    @Test func streamingHashMatchesOneShotAndSha256sum() throws {
        let path = NSTemporaryDirectory() + "hash-\(UUID().uuidString)"
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (hex, size) = try SHA256Hasher.hashFile(atPath: path)
        #expect(size == 3_000_000)
        #expect(hex == SHA256Hasher.hex(of: bytes))
        let pieces = SHA256Hasher()
        pieces.update(bytes[0..<1000]); pieces.update(bytes[1000...])
        #expect(pieces.finalizeHex() == hex)
        let reference = try Process.output(["sha256sum", path])
        #expect(reference.hasPrefix(hex))
    }

    @Test func platformsMatch() throws {
        let arm64 = try Platform(parsing: "linux/arm64")
        #expect(arm64.accepts(Platform(os: "linux", architecture: "arm64", variant: "v8")))
        #expect(try Platform(parsing: "linux/arm64/v8").accepts(Platform(os: "linux", architecture: "arm64")))
        #expect(!(try Platform(parsing: "linux/arm/v7")).accepts(Platform(os: "linux", architecture: "arm", variant: "v6")))
        #expect(!Platform.linuxAMD64.accepts(arm64))
        #expect(throws: PlatformError.self) { try Platform(parsing: "linux") }
        #expect(throws: PlatformError.self) { try Platform(parsing: "Linux/AMD64") }
    }

    @Test func decodesEveryManifestKindKeepingBytes() throws {
        let config =
            #"{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:\#(String(repeating: "1", count: 64))","size":10}"#
        let docker =
            #"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":\#(config),"layers":[],"x-unknown":1}"#
        let document = try ManifestDocument(bytes: Array(docker.utf8), declaredType: nil)
        #expect(document.mediaType == MediaType.dockerManifest)
        #expect(document.bytes == Array(docker.utf8))
        #expect(document.digest == Digest.of(Array(docker.utf8)))
        let list = #"{"schemaVersion":2,"manifests":[]}"#
        let index = try ManifestDocument(
            bytes: Array(list.utf8), declaredType: "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8")
        #expect(index.mediaType == MediaType.dockerManifestList)
        if case .index = index.content {} else { Issue.record("a manifest list must decode as an index") }
    }

    @Test func refusesSchema1AndGarbage() {
        let schema1 = #"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#
        #expect(throws: ManifestError.schema1) { try ManifestDocument(bytes: Array(schema1.utf8), declaredType: nil) }
        do {
            _ = try ManifestDocument(bytes: Array(schema1.utf8), declaredType: MediaType.dockerSchema1Signed)
        } catch { #expect(error.description.contains("schema 1")) }
        #expect(throws: ManifestError.self) { try ManifestDocument(bytes: Array("not json".utf8), declaredType: nil) }
        let missingConfigDigest =
            #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1},"layers":[]}"#
        do {
            _ = try ManifestDocument(bytes: Array(missingConfigDigest.utf8), declaredType: nil)
            Issue.record("accepted a config without a digest")
        } catch { #expect(error.description.contains("digest")) }
    }
}

extension Process {
    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
