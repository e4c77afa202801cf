import Foundation

/// Harbor's token service and project API, played by `Tests/Servers/token_server.py`.
public final class TokenServer: @unchecked Sendable {
    public let port: Int
    public let directory: String
    public let process: BackgroundProcess
    public var certificate: String { directory + "/signer/signer.crt" }
    public var requestLog: String { directory + "/requests.jsonl" }

    /// `users` as `user:password`; `projects` limits which projects exist (nil: all do).
    /// `creators`: the users who may create projects (nil: every user).
    public init(users: [String], projects: [String]? = nil, privateProjects: [String] = [], creators: [String]? = nil) throws {
        directory = try TestPaths.scratch("tokens")
        try Shell.check(["python3", TestPaths.servers + "/token_server.py", "--make-signer", directory + "/signer"])
        var arguments = [
            "python3", TestPaths.servers + "/token_server.py", "--port-file", directory + "/port",
            "--key", directory + "/signer/signer.key", "--cert", directory + "/signer/signer.crt",
            "--users", users.joined(separator: ","), "--request-log", directory + "/requests.jsonl",
        ]
        if let projects { arguments += ["--projects", projects.joined(separator: ",")] }
        if !privateProjects.isEmpty { arguments += ["--private-projects", privateProjects.joined(separator: ",")] }
        if let creators { arguments += ["--creators", creators.joined(separator: ",")] }
        process = try BackgroundProcess(arguments, directory: directory, logPath: directory + "/server.log")
        port = try Loopback.waitForPortFile(directory + "/port", process: process)
    }

    public func requests() -> String { (try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? "" }

    public func stop() { process.stop() }
    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }
}

/// A fault-injecting proxy in front of a registry (`Tests/Servers/fault_proxy.py`), with a second
/// port on another origin for redirect tests.
public final class FaultProxy: @unchecked Sendable {
    public let port: Int
    public let altPort: Int
    public let directory: String
    public let process: BackgroundProcess
    public var host: String { "127.0.0.1:\(port)" }

    public init(upstream: RegistryServer, requireBasic: String? = nil) throws {
        directory = try TestPaths.scratch("proxy")
        var arguments = [
            "python3", TestPaths.servers + "/fault_proxy.py", "--upstream", "http://\(upstream.host)",
            "--port-file", directory + "/port", "--alt-port-file", directory + "/alt-port",
        ]
        if let requireBasic { arguments += ["--require-basic", requireBasic] }
        process = try BackgroundProcess(arguments, directory: directory, logPath: directory + "/proxy.log")
        altPort = try Loopback.waitForPortFile(directory + "/alt-port", process: process)
        port = try Loopback.waitForPortFile(directory + "/port", process: process)
    }

    /// Replaces the fault rules (see fault_proxy.py): e.g. `[["action": "status", "status": 503, "times": 2]]`.
    public func setRules(_ rules: [[String: any Sendable]]) throws {
        let body = try JSONSerialization.data(withJSONObject: ["rules": rules])
        try post("/__rules", body: body)
    }

    /// Every request the proxy saw, as decoded JSON objects.
    public func requestLog() throws -> [[String: Any]] {
        let data = try Shell.check(["curl", "-sf", "http://\(host)/__log"]).stdout
        return (try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [[String: Any]]) ?? []
    }

    public func reset() throws { try post("/__reset", body: Data()) }

    /// The offsets of the `Range: bytes=N-` requests the proxy saw, in order. After a
    /// `reset_after` cut at C bytes a resume asks from at most C: bytes the proxy wrote just
    /// before the reset may never reach the client (the RST discards what its socket still held).
    public func resumeOffsets() throws -> [Int64] {
        try requestLog().compactMap { $0["range"] as? String }.map { range in
            guard range.hasPrefix("bytes="), range.hasSuffix("-"), let offset = Int64(range.dropFirst(6).dropLast()) else {
                throw TestSupportError("not an open-ended Range request: \(range)")
            }
            return offset
        }
    }

    private func post(_ path: String, body: Data) throws {
        let file = directory + "/body.json"
        try body.write(to: URL(fileURLWithPath: file))
        try Shell.check(["curl", "-sf", "-X", "POST", "--data-binary", "@" + file, "http://\(host)\(path)"])
    }

    public func stop() { process.stop() }
    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }
}
