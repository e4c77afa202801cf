import Foundation

/// A real distribution registry (Debian's `docker-registry`, distribution 2.8) on a free loopback port.
public final class RegistryServer: @unchecked Sendable {
    public enum Mode: Sendable {
        case plainHTTP
        /// TLS with a self-signed certificate for 127.0.0.1 that doubles as the CA (`caFile`).
        case tls
        /// Harbor-like bearer tokens from a `TokenServer`.
        case token(TokenServer)
    }

    public let port: Int
    public let directory: String
    public let process: BackgroundProcess
    /// The CA certificate for `.tls`.
    public let caFile: String?

    /// `127.0.0.1:PORT` — the registry part of image references.
    public var host: String { "127.0.0.1:\(port)" }
    public var dataDirectory: String { directory + "/data" }

    /// `blobDescriptorCache: false` makes the registry stat its storage on every `HEAD` (with the
    /// cache, a blob deleted from storage behind its back is still announced until it restarts).
    /// `port` fixes its port (a test that must name the registry before it runs).
    public init(_ mode: Mode = .plainHTTP, blobDescriptorCache: Bool = true, port fixedPort: Int? = nil) throws {
        directory = try TestPaths.scratch("registry")
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        var extra = ""
        var caFile: String?
        switch mode {
        case .plainHTTP: break
        case .tls:
            try Shell.check([
                "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", directory + "/tls.key", "-out", directory + "/tls.crt",
            ])
            extra = "  tls: {certificate: \(directory)/tls.crt, key: \(directory)/tls.key}\n"
            caFile = directory + "/tls.crt"
        case .token(let tokens):
            extra = """
                auth:
                  token:
                    realm: http://127.0.0.1:\(tokens.port)/service/token
                    service: harbor-registry
                    issuer: harbor-token-issuer
                    rootcertbundle: \(tokens.certificate)

                """
        }
        self.caFile = caFile
        var lastError: Error?
        for _ in 0..<3 {
            let port = try fixedPort ?? Loopback.freePort()
            var config = """
                version: 0.1
                log: {level: info, accesslog: {disabled: true}}
                storage:
                  filesystem: {rootdirectory: \(directory)/data}
                  delete: {enabled: true}
                \(blobDescriptorCache ? "  cache: {blobdescriptor: inmemory}" : "")
                http:
                  addr: 127.0.0.1:\(port)
                  secret: test-only

                """
            if case .tls = mode { config += extra } else { config += "health: {storagedriver: {enabled: false}}\n" + extra }
            try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
            let process = try BackgroundProcess(
                ["docker-registry", "serve", "config.yml"], directory: directory, logPath: directory + "/registry.log")
            do {
                try Loopback.waitUntilListening(port, process: process)
                self.port = port
                self.process = process
                return
            } catch {
                process.stop()
                lastError = error
            }
        }
        throw lastError ?? TestSupportError("registry did not start")
    }

    /// The file the registry stores a blob in (tests corrupt or truncate it on purpose).
    public func blobDataPath(_ hex: String) -> String {
        "\(dataDirectory)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    public func stop() { process.stop() }
    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }
}
