import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A server started by a test and stopped by its own PID.
public final class BackgroundProcess: @unchecked Sendable {
    public let process: Process
    public let logPath: String

    public init(_ arguments: [String], directory: String, logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        // docker-registry reads every REGISTRY_* variable as a configuration override.
        for key in env.keys where key.hasPrefix("REGISTRY_") { env[key] = nil }
        process.environment = env.merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }

    /// Stops the process by its PID (SIGTERM, then SIGKILL after 5 s).
    public func stop() {
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop() }
}

/// Loopback ports and readiness checks.
public enum Loopback {
    /// A port that was free a moment ago on 127.0.0.1.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestSupportError("bind() failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    public static func waitUntilListening(_ port: Int, process: BackgroundProcess, seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if isListening(port) { return }
            if !process.process.isRunning { throw TestSupportError("server exited early: \(process.log())") }
            usleep(50_000)
        }
        throw TestSupportError("server did not listen on 127.0.0.1:\(port) within \(seconds) s: \(process.log())")
    }

    /// Waits for a server to write its chosen port into `path`.
    public static func waitForPortFile(_ path: String, process: BackgroundProcess, seconds: Double = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return port
            }
            if !process.process.isRunning { throw TestSupportError("server exited early: \(process.log())") }
            usleep(50_000)
        }
        throw TestSupportError("no port file \(path) within \(seconds) s: \(process.log())")
    }
}
