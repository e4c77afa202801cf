import Foundation

/// A registry that wants the site's password (`Tests/Servers/hostile_registry.py`): a registry
/// listener, a second loopback listener playing another host, and a Unix socket playing
/// docker.sock, each recording what reached it. One `mode` per attack.
public final class HostileRegistry: @unchecked Sendable {
    public enum Mode: String, Sendable {
        case foreignLocation = "foreign-location", unixLocation = "unix-location"
        case redirectToken = "redirect-token", unixRedirect = "unix-redirect", unixRealm = "unix-realm"
        case headOtherDigest = "head-other-digest", headOtherSize = "head-other-size", headNoLength = "head-no-length"
        case trickle
    }

    /// One request (or Unix connection) as a listener saw it.
    public struct Request: Sendable {
        public var listener: String
        public var method: String
        public var path: String
        public var authorization: String?
        public var body: String
    }

    public let registryPort: Int
    public let elsewherePort: Int
    public let directory: String
    public let process: BackgroundProcess
    public var host: String { "127.0.0.1:\(registryPort)" }
    public var elsewhere: String { "127.0.0.1:\(elsewherePort)" }
    public var unixSocket: String { directory + "/u.sock" }

    /// `blobSize` is the size lying `HEAD` answers are built around, and a trickled blob's length.
    public init(_ mode: Mode, blobSize: Int64 = 0) throws {
        // Short: a Unix socket's path is limited to 107 bytes.
        directory = try TestPaths.scratch("hostile")
        let script = TestPaths.servers + "/hostile_registry.py"
        process = try BackgroundProcess(
            ["python3", script, directory, mode.rawValue, String(blobSize)], directory: directory, logPath: directory + "/server.log")
        registryPort = try Loopback.waitForPortFile(directory + "/port", process: process)
        // Written before the registry's port.
        let text = try String(contentsOfFile: directory + "/elsewhere-port", encoding: .utf8)
        guard let elsewhere = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw TestSupportError("hostile_registry.py wrote no second port: \(process.log())")
        }
        elsewherePort = elsewhere
    }

    /// Everything the listeners saw so far, in order.
    public func requests() -> [Request] {
        let text = (try? String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Request(
                listener: object["listener"] as? String ?? "?", method: object["method"] as? String ?? "",
                path: object["path"] as? String ?? "", authorization: object["authorization"] as? String,
                body: (object["body"] as? String) ?? (object["data"] as? String) ?? "")
        }
    }

    /// What reached the other host or the Unix socket.
    public func requestsElsewhere() -> [Request] { requests().filter { $0.listener != "registry" } }

    public func stop() { process.stop() }
    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }
}
