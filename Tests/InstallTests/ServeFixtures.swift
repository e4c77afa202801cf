import Foundation
import OCI
import TestSupport

/// `airgap-install serve` started by a test on a free loopback port, stopped by its PID.
final class ServeProcess {
    let process: BackgroundProcess
    let port: Int
    var base: String { "127.0.0.1:\(port)" }

    init(bundle: String, key: String, extra: [String] = [], directory: String) throws {
        let portFile = directory + "/serve-\(UUID().uuidString).port"
        process = try BackgroundProcess(
            [try TestPaths.binary("airgap-install"), "serve", bundle, "--key", key, "--listen", "127.0.0.1:0", "--port-file", portFile] + extra,
            directory: directory, logPath: portFile + ".log")
        port = try Loopback.waitForPortFile(portFile, process: process, seconds: 120)
    }

    /// SIGTERM, then the exit status.
    func stop() -> Int32 {
        process.stop()
        return process.process.terminationStatus
    }

    func log() -> String { process.log() }
}

enum ServeBytes {
    /// The stage's copy of a blob (what pack put into the bundle).
    static func blob(_ fixture: PushFixture, _ digest: Digest) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: fixture.root + "/stage/images/blobs/\(digest.algorithm)/\(digest.hex)")))
    }

    /// A copy of the fixture's bundle with one byte changed inside the stored (incompressible,
    /// so kept raw by zstd) bytes of blob `digest`.
    static func copyWithChangedByte(_ fixture: PushFixture, in digest: Digest, to path: String) throws {
        var archive = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.bundle)))
        let blob = try blob(fixture, digest)
        let probe = Array(blob[(blob.count / 2)..<(blob.count / 2 + 64)])
        guard let at = find(probe, in: archive) else { throw TestSupportError("blob \(digest) is not stored raw in the archive") }
        archive[at + 10] ^= 0x5A
        try Data(archive).write(to: URL(fileURLWithPath: path))
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}

/// `curl` against the server: status, headers and body of one request.
struct CurlAnswer {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var exitCode: Int32

    static func fetch(_ url: String, method: String = "GET", headers: [String] = [], scratch: String) throws -> CurlAnswer {
        let bodyPath = scratch + "/curl-\(UUID().uuidString)"
        var arguments = ["curl", "-sS", "-o", bodyPath, "-D", bodyPath + ".h", "-X", method]
        if method == "HEAD" { arguments = ["curl", "-sS", "-I", "-o", bodyPath, "-D", bodyPath + ".h"] }
        for header in headers { arguments += ["-H", header] }
        let result = try Shell.run(arguments + [url])
        let head = (try? String(contentsOfFile: bodyPath + ".h", encoding: .utf8)) ?? ""
        var status = 0
        var fields: [String: String] = [:]
        for line in head.split(separator: "\r\n") {
            if line.hasPrefix("HTTP/") {
                status = Int(line.split(separator: " ")[1]) ?? 0
            } else if let colon = line.firstIndex(of: ":") {
                fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let body = (try? Data(contentsOf: URL(fileURLWithPath: bodyPath))).map(Array.init) ?? []
        return CurlAnswer(status: status, headers: fields, body: body, exitCode: result.status)
    }
}
