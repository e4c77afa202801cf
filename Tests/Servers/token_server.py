#!/usr/bin/env python3
"""Harbor-like token service and project API, for tests only.

Issues ES256 JWTs that distribution/registry 2.8 accepts (auth.token with
rootcertbundle = the signer certificate), and a tiny in-memory subset of the
Harbor v2.0 project API.  Binds to 127.0.0.1 only, on an OS-chosen port that
is written to --port-file.

  python3 token_server.py --make-signer DIR
  python3 token_server.py --port-file F --key signer.key --cert signer.crt \
      --users user:pass[,u2:p2] [--projects p1,p2] [--private-projects p3] \
      [--service harbor-registry] [--issuer harbor-token-issuer] \
      [--request-log FILE] [--creators user1,user2]

Without --creators every user may create projects; with it only those named may (others get
403 FORBIDDEN, as a Harbor account without the project-creation right does).
"""
import argparse, base64, datetime, hashlib, json, os, secrets, sys, threading, time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

TOKEN_TTL = 300
KNOWN_ACTIONS = ("pull", "push", "delete", "*")


def make_signer(directory):
    """Create DIR/signer.key (EC P-256, PEM) and a self-signed DIR/signer.crt."""
    os.makedirs(directory, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harbor-token-issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    with open(os.path.join(directory, "signer.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    with open(os.path.join(directory, "signer.crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_key_id(public_key):
    """docker/libtrust key id: base32(sha256(DER SPKI)[:30]) in 12 groups of 4."""
    der = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


def sign_jwt(key, kid, claims):
    """Compact JWS, ES256, signature as raw R||S (not DER)."""
    header = {"typ": "JWT", "alg": "ES256", "kid": kid}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def parse_scopes(values):
    """Each value may hold several space-separated scopes; returns (type, name, actions)."""
    out = []
    for value in values:
        for scope in value.split():
            if scope.count(":") < 2:
                continue
            typ, rest = scope.split(":", 1)
            name, actions = rest.rsplit(":", 1)
            out.append((typ, name, [a for a in actions.split(",") if a]))
    return out


class State:
    """Users, projects and signing material shared by all handler threads."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.users = dict(u.split(":", 1) for u in args.users.split(",") if u)
        public = [p for p in (args.projects or "").split(",") if p]
        private = [p for p in (args.private_projects or "").split(",") if p]
        # Without --projects/--private-projects every project name exists (public).
        self.all_exist = not public and not private
        self.projects = {}  # name -> {"project_id": n, "public": bool}
        for p in public:
            self._add(p, True)
        for p in private:
            self._add(p, False)
        with open(args.key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(args.cert, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.kid = libtrust_key_id(cert.public_key())
        self.log_lock = threading.Lock()

    def _add(self, name, public):
        self.projects[name] = {"project_id": len(self.projects) + 1, "public": public}

    def project(self, name):
        """Returns (exists, public)."""
        with self.lock:
            if name in self.projects:
                return True, self.projects[name]["public"]
        return self.all_exist, True

    def create_project(self, name, public):
        with self.lock:
            if name in self.projects:
                return False
            self._add(name, public)
            return True

    def grant(self, user, typ, name, actions):
        if typ != "repository":
            return []  # e.g. registry:catalog:* -> nothing
        exists, public = self.project(name.split("/", 1)[0])
        if not exists:
            return []
        wanted = [a for a in actions if a in KNOWN_ACTIONS]
        if user is not None:
            return wanted
        return ["pull"] if public and "pull" in wanted else []

    def request_log(self, entry):
        if not self.args.request_log:
            return
        with self.log_lock, open(self.args.request_log, "a") as f:
            f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-harbor/1.0"
    state = None  # set in main()

    # ---- helpers ---------------------------------------------------------
    def send_json(self, status, obj, extra_headers=()):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error_json(self, status, code, message, extra_headers=()):
        self.send_json(status, {"errors": [{"code": code, "message": message}]}, extra_headers)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def basic_auth(self):
        """Returns (present, username-or-None). username is None if creds are wrong."""
        value = self.headers.get("Authorization", "")
        if not value.lower().startswith("basic "):
            return False, None
        try:
            user, _, password = base64.b64decode(value[6:].strip()).decode().partition(":")
        except Exception:
            return True, None
        return True, self.check(user, password)

    def check(self, user, password):
        return user if self.state.users.get(user) == password and user else None

    def log_message(self, fmt, *args):
        sys.stderr.write("token_server: %s %s\n" % (self.address_string(), fmt % args))
        sys.stderr.flush()

    # ---- routing ---------------------------------------------------------
    def do_GET(self):
        self.route()

    def do_HEAD(self):
        self.route()

    def do_POST(self):
        self.route()

    def route(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/service/token" and self.command in ("GET", "POST"):
            return self.token(url.path, query)
        if url.path == "/api/v2.0/health" and self.command == "GET":
            return self.send_json(200, {"status": "healthy", "components": []})
        if url.path == "/api/v2.0/projects":
            return self.projects(query)
        self.read_body()
        self.send_error_json(404, "NOT_FOUND", "no such endpoint")

    def token(self, path, query):
        params = query
        if self.command == "POST":
            params = urllib.parse.parse_qs(self.read_body().decode())
        first = lambda k, d=None: (params.get(k) or [d])[0]
        entry = {"method": self.command, "path": path, "scopes": params.get("scope", []),
                 "user": None, "granted": []}
        if self.command == "POST" and first("grant_type") != "password":
            entry["status"] = 400
            self.state.request_log(entry)
            return self.send_json(400, {"error": "unsupported_grant_type",
                                        "errors": [{"code": "UNSUPPORTED",
                                                    "message": "only grant_type=password"}]})
        if self.command == "POST" and first("username") is not None:
            present = True
            user = self.check(first("username"), first("password", ""))
        else:
            present, user = self.basic_auth()
        if present and user is None:
            entry["status"] = 401
            self.state.request_log(entry)
            return self.send_error_json(401, "UNAUTHORIZED", "invalid credentials")
        access = [{"type": typ, "name": name, "actions": self.state.grant(user, typ, name, acts)}
                  for typ, name, acts in parse_scopes(params.get("scope", []))]
        now = int(time.time())
        claims = {
            "iss": self.state.args.issuer,
            "sub": user or "",
            "aud": first("service") or self.state.args.service,  # a string: 2.8 rejects a list
            "exp": now + TOKEN_TTL, "nbf": now - 10, "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        token = sign_jwt(self.state.key, self.state.kid, claims)
        entry.update(user=user, granted=access, status=200)
        self.state.request_log(entry)
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        self.send_json(200, {"token": token, "access_token": token, "expires_in": TOKEN_TTL,
                             "issued_at": issued.strftime("%Y-%m-%dT%H:%M:%SZ")})

    def projects(self, query):
        body = self.read_body()
        if self.command == "HEAD":
            name = (query.get("project_name") or [""])[0]
            exists, _ = self.state.project(name) if name else (False, True)
            return self.send_json(200 if exists else 404, None)
        present, user = self.basic_auth()
        if user is None:
            return self.send_error_json(401, "UNAUTHORIZED", "basic auth required",
                                        [("WWW-Authenticate", 'Basic realm="harbor"')])
        if self.command == "GET":
            with self.state.lock:
                listing = [{"project_id": p["project_id"], "name": n,
                            "metadata": {"public": "true" if p["public"] else "false"}}
                           for n, p in self.state.projects.items()]
            return self.send_json(200, listing)
        try:  # POST: create
            req = json.loads(body or b"{}")
            name = req["project_name"]
            public = str((req.get("metadata") or {}).get("public", "false")).lower() == "true"
        except (ValueError, KeyError, TypeError, AttributeError):
            return self.send_error_json(400, "BAD_REQUEST", "need project_name")
        creators = [u for u in (self.state.args.creators or "").split(",") if u]
        if creators and user not in creators:
            return self.send_error_json(403, "FORBIDDEN", "user %s may not create projects" % user)
        if not self.state.create_project(name, public):
            return self.send_error_json(409, "CONFLICT", "project %s already exists" % name)
        self.send_json(201, None, [("Location", "/api/v2.0/projects/%s" % name)])


def write_port_file(path, port):
    tmp = path + ".tmp.%d" % os.getpid()
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--make-signer", metavar="DIR")
    ap.add_argument("--port-file")
    ap.add_argument("--key")
    ap.add_argument("--cert")
    ap.add_argument("--users", default="")
    ap.add_argument("--projects")
    ap.add_argument("--creators")
    ap.add_argument("--private-projects")
    ap.add_argument("--service", default="harbor-registry")
    ap.add_argument("--issuer", default="harbor-token-issuer")
    ap.add_argument("--request-log")
    args = ap.parse_args()
    if args.make_signer:
        make_signer(args.make_signer)
        return
    if not (args.port_file and args.key and args.cert):
        ap.error("--port-file, --key and --cert are required")
    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    write_port_file(args.port_file, server.server_address[1])
    sys.stderr.write("token_server: listening on 127.0.0.1:%d kid=%s\n"
                     % (server.server_address[1], Handler.state.kid))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    main()
