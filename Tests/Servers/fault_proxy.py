#!/usr/bin/env python3
"""Fault-injecting reverse proxy in front of a real registry, for tests only.

  python3 fault_proxy.py --upstream http://127.0.0.1:PORT --port-file F \
      --alt-port-file F2 [--require-basic user:pass]

Listens on 127.0.0.1 on two OS-chosen ports, MAIN and ALT (a second origin).
Both forward to the upstream and stream bodies in 64 KiB chunks.  Rules
(MAIN only) inject faults — actions: status (with retry_after), reset, redirect, delay
(seconds), reset_after / truncate / corrupt (the response body), reset_request_after (the
request body is cut after `bytes`); the control API lives on MAIN:
  POST /__rules {"rules":[...]}   replace the rule list
  GET  /__log                     every proxied request so far (both ports)
  POST /__reset                   clear rules and log
Control requests themselves are not logged.
"""
import argparse, base64, fcntl, http.client, json, os, re, socket, struct, sys
import termios, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 64 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host", "expect"}


class ClientBodyError(Exception):
    """The client's request body ended early (not an upstream error)."""


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.rules, self.log = [], []
        up = urllib.parse.urlsplit(args.upstream)
        self.up_host, self.up_port = up.hostname, up.port or 80
        self.up_origin = "http://%s:%d" % (self.up_host, self.up_port)
        self.basic = ("Basic " + base64.b64encode(args.require_basic.encode()).decode()
                      if args.require_basic else None)
        self.alt_port = None

    def take_rule(self, method, path):
        """First matching rule with `times` left; its count is decremented."""
        with self.lock:
            for rule in self.rules:
                if rule.get("times", 1) <= 0:
                    continue
                if "method" in rule and rule["method"].upper() != method:
                    continue
                if "path_contains" in rule and rule["path_contains"] not in path:
                    continue
                if "path_regex" in rule and not re.search(rule["path_regex"], path):
                    continue
                if "times" in rule:
                    rule["times"] -= 1
                return dict(rule)
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-proxy/1.0"
    state = None  # set in main()

    def log_message(self, fmt, *args):
        sys.stderr.write("fault_proxy[%s]: %s\n" % (self.server.name, fmt % args))
        sys.stderr.flush()

    def __getattr__(self, name):  # do_GET, do_PUT, do_PATCH, ... all go to handle_any
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    # ---- small responses -------------------------------------------------
    def reply(self, status, body=b"", headers=()):
        if self.has_body():  # unread request body: do not try to reuse the connection
            self.close_connection = True
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reply_json(self, status, obj, headers=()):
        self.reply(status, json.dumps(obj).encode(),
                   [("Content-Type", "application/json")] + list(headers))

    def has_body(self):
        return (int(self.headers.get("Content-Length") or 0) > 0 or
                "chunked" in self.headers.get("Transfer-Encoding", "").lower())

    def reset(self):
        """Abort the TCP connection with RST (SO_LINGER on, timeout 0)."""
        sock = self.connection
        deadline = time.time() + 2  # let already-written bytes leave our send queue
        while time.time() < deadline:
            unsent = struct.unpack("i", fcntl.ioctl(sock, termios.TIOCOUTQ, b"\0" * 4))[0]
            if unsent == 0:
                break
            time.sleep(0.01)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop makefile()'s reference so close() is real
        sock.close()
        self.close_connection = True

    # ---- main entry ------------------------------------------------------
    def handle_any(self):
        st, main = self.state, self.server.name == "main"
        path = urllib.parse.urlsplit(self.path).path
        if main and path.startswith("/__"):
            return self.control(path)
        entry = {"port": self.server.name, "method": self.command, "path": self.path,
                 "authorization": "Authorization" in self.headers,
                 "range": self.headers.get("Range"), "action": "forward"}
        with st.lock:
            st.log.append(entry)
        if main and st.basic and path.startswith("/v2/") and \
                self.headers.get("Authorization") != st.basic:
            entry["action"] = "auth_required"
            return self.reply_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                                     "message": "authentication required"}]},
                                   [("WWW-Authenticate", 'Basic realm="fault-proxy"')])
        rule = st.take_rule(self.command, path) if main else None
        action = rule.get("action") if rule else None
        if action:
            entry["action"] = action
        if action == "status":
            status = entry["status"] = int(rule.get("status", 503))
            headers = [("Retry-After", str(rule["retry_after"]))] if "retry_after" in rule else []
            return self.reply_json(status, {"errors": [{"code": "UNAVAILABLE",
                                                        "message": "injected"}]}, headers)
        if action == "reset":
            return self.reset()
        if action == "redirect":
            location = "http://127.0.0.1:%d%s" % (st.alt_port, self.path)
            return self.reply(int(rule.get("status", 307)), b"", [("Location", location)])
        if action == "delay":
            time.sleep(float(rule.get("seconds", 1)))
        self.forward(rule if action in ("reset_after", "truncate", "corrupt", "reset_request_after") else None, entry)

    def control(self, path):
        st = self.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path == "/__rules" and self.command == "POST":
            try:
                rules = json.loads(body)["rules"]
                for r in rules:
                    re.compile(r.get("path_regex", ""))
            except (ValueError, KeyError, TypeError, AttributeError, re.error) as e:
                return self.reply_json(400, {"error": "want {\"rules\": [...]}: %s" % e})
            with st.lock:
                st.rules = [dict(r) for r in rules]
            return self.reply_json(200, {"rules": len(rules)})
        if path == "/__log" and self.command == "GET":
            with st.lock:
                entries = [dict(e) for e in st.log]  # snapshot; handlers still update theirs
            return self.reply_json(200, entries)
        if path == "/__reset" and self.command == "POST":
            with st.lock:
                st.rules, st.log = [], []
            return self.reply_json(200, {})
        self.reply_json(404, {"error": "unknown control endpoint"})

    # ---- proxying --------------------------------------------------------
    def request_body(self):
        """Yields the client's request body in chunks (Content-Length or chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # skip trailers
                    return
                left = size
                while left:
                    data = self.rfile.read(min(left, CHUNK))
                    if not data:
                        raise ClientBodyError("client body ended early")
                    left -= len(data)
                    yield data
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length") or 0)
            while left > 0:
                data = self.rfile.read(min(left, CHUNK))
                if not data:
                    raise ClientBodyError("client body ended early")
                left -= len(data)
                yield data

    def forward(self, rule, entry):
        st = self.state
        conn = http.client.HTTPConnection(st.up_host, st.up_port, timeout=300)
        try:
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            conn.putrequest(self.command, self.path, skip_accept_encoding=True)
            drop = HOP_BY_HOP | {h.strip().lower() for h in
                                 self.headers.get("Connection", "").split(",")}
            for k, v in self.headers.items():
                if k.lower() not in drop:
                    conn.putheader(k, v)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            # reset_request_after: pass the first `bytes` of the request body upstream, then
            # break both connections (an upload cut off mid-blob; the registry keeps what came).
            cut = int(rule.get("bytes", 0)) if rule and rule.get("action") == "reset_request_after" else None
            sent = 0
            try:
                for data in self.request_body():
                    if cut is not None and sent + len(data) >= cut:
                        data = data[:max(0, cut - sent)]
                        if data and not chunked:
                            conn.send(data)
                        conn.close()
                        entry["action"] += " (cut after %d request bytes)" % cut
                        return self.reset()
                    sent += len(data)
                    conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                if chunked:
                    conn.send(b"0\r\n\r\n")
            except OSError:
                # The upstream answered early and closed (Go does so when a handler
                # ignores a large body): relay its answer; the client's rest is unread.
                self.close_connection = True
            resp = conn.getresponse()
        except (OSError, http.client.HTTPException, ValueError, ClientBodyError) as e:
            conn.close()
            entry["action"] += " (upstream error: %s)" % e
            self.close_connection = True
            return self.reply_json(502, {"errors": [{"code": "UNAVAILABLE",
                                                     "message": "upstream: %s" % e}]})
        try:
            self.relay(resp, rule, entry)
        finally:
            conn.close()

    def relay(self, resp, rule, entry):
        entry["status"] = resp.status
        action = rule["action"] if rule else None
        no_body = self.command == "HEAD" or resp.status in (204, 304) or resp.status < 200
        length = resp.getheader("Content-Length")
        length = int(length) if length is not None else None
        send_length = length
        if action == "truncate" and not no_body:
            limit = int(rule.get("bytes", 0))
            if length is None:  # unknown length: buffer at most `limit` bytes
                head = resp.read(limit)
                send_length = len(head)
            else:
                send_length = min(limit, length)
        self.log_request(resp.status)
        self.send_response_only(resp.status)  # upstream's own Server and Date are relayed
        drop = HOP_BY_HOP | {"content-length"}
        drop |= {h.strip().lower() for h in (resp.getheader("Connection") or "").split(",")}
        for k, v in resp.msg.items():
            if k.lower() not in drop:
                if k.lower() == "location" and v.startswith(self.state.up_origin):
                    host = self.headers.get("Host") or "127.0.0.1:%d" % self.server.server_address[1]
                    v = "http://" + host + v[len(self.state.up_origin):]
                self.send_header(k, v)
        rechunk = send_length is None and not no_body
        if send_length is not None:
            self.send_header("Content-Length", str(send_length))
        elif rechunk:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if no_body:
            if action == "reset_after":
                self.reset()
            return
        if action == "truncate" and length is None:
            self.wfile.write(head)
            return
        out = self.rechunked if rechunk else self.wfile.write
        budget = send_length if action == "truncate" else None
        if action == "reset_after":
            budget = int(rule.get("bytes", 0))
        flip_at = 100 if action == "corrupt" else None
        if flip_at is not None and length is not None:
            flip_at = max(0, min(100, length - 1))
        offset, pending = 0, None  # `pending`: one chunk held back (corrupt, unknown length)
        while budget is None or offset < budget:
            data = resp.read(CHUNK if budget is None else min(CHUNK, budget - offset))
            if not data:
                break
            if flip_at is not None and offset <= flip_at < offset + len(data):
                data = bytearray(data)
                data[flip_at - offset] ^= 0xFF
                data, flip_at = bytes(data), None
            offset += len(data)
            if flip_at is not None and length is None:
                if pending:
                    out(pending)
                pending = data
                continue
            out(data)
        if pending:  # body shorter than 101 bytes with unknown length: flip the last byte
            out(pending[:-1] + bytes([pending[-1] ^ 0xFF]))
        if action == "reset_after":
            return self.reset()
        if rechunk:
            self.wfile.write(b"0\r\n\r\n")

    def rechunked(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


def write_port_file(path, port):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description="fault-injecting registry proxy")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--alt-port-file", required=True)
    ap.add_argument("--require-basic", metavar="USER:PASS")
    args = ap.parse_args()
    Handler.state = State(args)
    servers = {}
    for name in ("main", "alt"):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        srv.name = name
        servers[name] = srv
    Handler.state.alt_port = servers["alt"].server_address[1]
    for srv in servers.values():
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    write_port_file(args.alt_port_file, servers["alt"].server_address[1])
    write_port_file(args.port_file, servers["main"].server_address[1])
    sys.stderr.write("fault_proxy: main=%d alt=%d upstream=%s\n" % (
        servers["main"].server_address[1], servers["alt"].server_address[1], args.upstream))
    sys.stderr.flush()
    threading.Event().wait()  # until SIGTERM


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    main()
