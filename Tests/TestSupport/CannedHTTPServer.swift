import Foundation

/// A loopback HTTP server that answers fixed responses, for registries and token services that
/// misbehave in ways a real registry never does (bad JSON, malformed headers). Each route matches
/// a method and a path (query ignored); `{PORT}` in a header value becomes the server's port.
/// Unmatched requests get 404. Every request is appended to `requests.jsonl`.
public final class CannedHTTPServer: @unchecked Sendable {
    public struct Route: Sendable {
        public var method: String
        public var path: String
        public var status: Int
        public var headers: [String: String]
        public var body: String

        public init(_ method: String, _ path: String, status: Int = 200, headers: [String: String] = [:], body: String = "") {
            self.method = method
            self.path = path
            self.status = status
            self.headers = headers
            self.body = body
        }
    }

    public let port: Int
    public let directory: String
    public let process: BackgroundProcess
    public var host: String { "127.0.0.1:\(port)" }

    public init(_ routes: [Route]) throws {
        directory = try TestPaths.scratch("canned")
        let encoded = routes.map {
            ["method": $0.method, "path": $0.path, "status": $0.status, "headers": $0.headers, "body": $0.body] as [String: Any]
        }
        try JSONSerialization.data(withJSONObject: encoded).write(to: URL(fileURLWithPath: directory + "/routes.json"))
        try Self.script.write(toFile: directory + "/server.py", atomically: true, encoding: .utf8)
        process = try BackgroundProcess(["python3", directory + "/server.py", directory], directory: directory, logPath: directory + "/server.log")
        port = try Loopback.waitForPortFile(directory + "/port", process: process)
    }

    /// `METHOD path` of every request so far.
    public func requests() -> [String] {
        let text = (try? String(contentsOfFile: directory + "/requests.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    public func stop() { process.stop() }
    deinit { stop(); try? FileManager.default.removeItem(atPath: directory) }

    static let script = #"""
        import json, os, sys, urllib.parse
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        root = sys.argv[1]
        routes = json.load(open(os.path.join(root, "routes.json")))

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                path = urllib.parse.urlsplit(self.path).path
                with open(os.path.join(root, "requests.jsonl"), "a") as log:
                    log.write("%s %s\n" % (self.command, path))
                port = str(self.server.server_address[1])
                for route in routes:
                    if route["method"] == self.command and route["path"] == path:
                        body = route["body"].encode()
                        self.send_response(route["status"])
                        for key, value in route["headers"].items():
                            self.send_header(key, value.replace("{PORT}", port))
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        if self.command != "HEAD":
                            self.wfile.write(body)
                        return
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = handle_any

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        tmp = os.path.join(root, "port.tmp")
        with open(tmp, "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.replace(tmp, os.path.join(root, "port"))
        server.serve_forever()
        """#
}
