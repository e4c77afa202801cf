#!/usr/bin/env python3
"""A hostile registry double: answers the way a registry that wants the site's password would.

Usage: hostile_registry.py ROOT MODE [BLOB_SIZE]

Starts three listeners, then writes ROOT/elsewhere-port (P2) and, last, ROOT/port (P1):
  registry   127.0.0.1:P1, the registry the client was given (asks for Basic credentials first);
  elsewhere  127.0.0.1:P2, "another host" (another loopback port is another origin);
  unix       ROOT/u.sock, a Unix socket playing docker.sock: it records any connection.
Every request (and every Unix connection) is appended to ROOT/requests.jsonl with its listener,
method, path, Authorization header and body, so a test can see where credentials went.

Modes (what the registry listener does once the client has authenticated):
  foreign-location   an upload session's Location points at the elsewhere listener
  unix-location      an upload session's Location is an http+unix:// URL to ROOT/u.sock
  redirect-token     a manifest GET redirects to elsewhere, whose 401 names its own token service
  unix-redirect      a manifest GET redirects to an http+unix:// URL to ROOT/u.sock
  unix-realm         the first challenge names a token service at an http+unix:// URL
  head-other-digest  a blob HEAD answers 200 for another digest (with the right BLOB_SIZE)
  head-other-size    a blob HEAD answers 200 for the digest asked with BLOB_SIZE + 1 bytes
  head-no-length     a blob HEAD answers 200 for the digest asked, without a Content-Length
  trickle            manifest and blob GETs send their body one byte every 50 ms
Stopped by its PID (SIGTERM).
"""
import json, os, socket, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root, mode = sys.argv[1], sys.argv[2]
blob_size = int(sys.argv[3]) if len(sys.argv) > 3 else 0
unix_path = os.path.join(root, "u.sock")
unix_url = "http+unix://" + urllib.parse.quote(unix_path, safe="")
log_lock = threading.Lock()
ports = {}
OTHER_DIGEST = "sha256:" + "0" * 64


def record(entry):
    with log_lock, open(os.path.join(root, "requests.jsonl"), "a") as log:
        log.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "?"

    def log_message(self, *args):
        pass

    def answer(self, status, headers=None, body=b""):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def trickle(self, content_type, length):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        try:
            for _ in range(length):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass
        self.close_connection = True

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        record({
            "listener": self.listener, "method": self.command, "path": self.path,
            "authorization": self.headers.get("Authorization"), "body": body.decode("latin-1")[:4096],
        })
        if self.listener == "elsewhere":
            return self.elsewhere(path)
        if self.headers.get("Authorization") is None:
            if mode == "unix-realm":
                return self.answer(401, {"WWW-Authenticate": 'Bearer realm="%s/token",service="hostile"' % unix_url})
            return self.answer(401, {"WWW-Authenticate": 'Basic realm="hostile"'})
        elsewhere = "http://127.0.0.1:%d" % ports["elsewhere"]
        if "/blobs/uploads/" in path and self.command == "POST":
            target = {"foreign-location": elsewhere + "/v2/stolen/blobs/uploads/s1",
                      "unix-location": unix_url + "/v2/stolen/blobs/uploads/s1"}.get(mode)
            if target:
                return self.answer(202, {"Location": target, "Docker-Upload-UUID": "s1"})
        if "/manifests/" in path and self.command == "GET":
            if mode == "redirect-token":
                return self.answer(307, {"Location": elsewhere + self.path})
            if mode == "unix-redirect":
                return self.answer(307, {"Location": unix_url + self.path})
            if mode == "trickle":
                return self.trickle("application/vnd.oci.image.manifest.v1+json", 2000)
        if "/blobs/sha256:" in path and self.command == "HEAD":
            asked = path.rsplit("/", 1)[1]
            claims = {"head-other-digest": (OTHER_DIGEST, blob_size), "head-other-size": (asked, blob_size + 1),
                      "head-no-length": (asked, None)}.get(mode)
            if claims:
                self.send_response(200)
                self.send_header("Docker-Content-Digest", claims[0])
                if claims[1] is not None:
                    self.send_header("Content-Length", str(claims[1]))
                self.end_headers()
                return
        if "/blobs/sha256:" in path and self.command == "GET" and mode == "trickle":
            return self.trickle("application/octet-stream", blob_size)
        self.answer(404)

    def elsewhere(self, path):
        here = "http://127.0.0.1:%d" % ports["elsewhere"]
        if path == "/token":
            return self.answer(200, {"Content-Type": "application/json"}, b'{"token": "stolen"}')
        self.answer(401, {"WWW-Authenticate": 'Bearer realm="%s/token",service="elsewhere"' % here})

    do_GET = do_PUT = do_POST = do_HEAD = do_PATCH = do_DELETE = handle_any


def serve(name):
    handler = type("Handler_" + name.replace("-", "_"), (Handler,), {"listener": name})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    ports[name] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()


def serve_unix():
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(unix_path)
    listener.listen(16)

    def accept():
        while True:
            connection, _ = listener.accept()
            connection.settimeout(2)
            try:
                data = connection.recv(4096)
            except OSError:
                data = b""
            record({"listener": "unix", "data": data.decode("latin-1")})
            connection.close()

    threading.Thread(target=accept, daemon=True).start()


serve("registry")
serve("elsewhere")
serve_unix()
for name, file in (("elsewhere", "elsewhere-port"), ("registry", "port")):
    tmp = os.path.join(root, file + ".tmp")
    with open(tmp, "w") as f:
        f.write("%d\n" % ports[name])
    os.replace(tmp, os.path.join(root, file))
threading.Event().wait()
