#!/usr/bin/env python3
"""A Kubernetes API double for kubectl, over loopback HTTP, for exactly what the installer reads
and writes: discovery (/api, /apis, /api/v1, /apis/storage.k8s.io/v1), /version, nodes,
namespaces (list/get/create) and storage classes (list/get). No authentication, no TLS.

  kube_api_double.py STATE.json PORTFILE [LOG]

STATE.json: {"version": "v1.29.4", "nodes": [{"name": "n1", "labels": {}, "capacity": {}}],
             "namespaces": ["default", "kube-system"], "storageClasses": ["standard"]}
The chosen port is written to PORTFILE once listening; every request is appended to LOG as
"METHOD PATH". Anything else is a 404 Status, as the real server answers.
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE_FILE, PORT_FILE = sys.argv[1], sys.argv[2]
LOG = sys.argv[3] if len(sys.argv) > 3 else None
with open(STATE_FILE, encoding="utf-8") as fh:
    STATE = json.load(fh)


def resource(name, kind, namespaced, verbs, short=None):
    item = {"name": name, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": verbs}
    if short:
        item["shortNames"] = short
    return item


CORE = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
    resource("nodes", "Node", False, ["get", "list"], ["no"]),
    resource("namespaces", "Namespace", False, ["create", "get", "list"], ["ns"]),
]}
STORAGE = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "storage.k8s.io/v1", "resources": [
    resource("storageclasses", "StorageClass", False, ["create", "get", "list"], ["sc"]),
]}
GROUPS = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
    "name": "storage.k8s.io", "versions": [{"groupVersion": "storage.k8s.io/v1", "version": "v1"}],
    "preferredVersion": {"groupVersion": "storage.k8s.io/v1", "version": "v1"}}]}


def node(item):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": item["name"], "labels": item.get("labels", {})},
            "status": {"capacity": item.get("capacity", {}), "allocatable": item.get("capacity", {}),
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}}


def storage_class(name):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "example.com/none"}


def listing(kind, api, items):
    return {"apiVersion": api, "kind": kind + "List", "metadata": {"resourceVersion": "1"}, "items": items}


def not_found(kind, name):
    return 404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                 "message": f'{kind} "{name}" not found', "details": {"name": name, "kind": kind}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self):
        if LOG:
            with open(LOG, "a", encoding="utf-8") as fh:
                fh.write(f"{self.command} {self.path}\n")

    def do_GET(self):
        self.record()
        path = self.path.split("?")[0].rstrip("/")
        version = STATE.get("version", "v1.29.4")
        major, minor = version.lstrip("v").split(".")[:2]
        routes = {
            "/version": lambda: (200, {"major": major, "minor": minor, "gitVersion": version, "platform": "linux/amd64"}),
            "/api": lambda: (200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.headers.get("Host", "")}]}),
            "/apis": lambda: (200, GROUPS),
            "/api/v1": lambda: (200, CORE),
            "/apis/storage.k8s.io/v1": lambda: (200, STORAGE),
            "/api/v1/nodes": lambda: (200, listing("Node", "v1", [node(n) for n in STATE.get("nodes", [])])),
            "/api/v1/namespaces": lambda: (200, listing("Namespace", "v1", [namespace(n) for n in STATE.get("namespaces", [])])),
            "/apis/storage.k8s.io/v1/storageclasses": lambda: (
                200, listing("StorageClass", "storage.k8s.io/v1", [storage_class(n) for n in STATE.get("storageClasses", [])])),
        }
        if path in routes:
            return self.send(*routes[path]())
        for prefix, key, make, kind in (("/api/v1/namespaces/", "namespaces", namespace, "namespaces"),
                                         ("/apis/storage.k8s.io/v1/storageclasses/", "storageClasses", storage_class,
                                          "storageclasses.storage.k8s.io"),
                                         ("/api/v1/nodes/", "nodes", None, "nodes")):
            if path.startswith(prefix) and "/" not in path[len(prefix):]:
                name = path[len(prefix):]
                if key == "nodes":
                    found = [n for n in STATE.get("nodes", []) if n["name"] == name]
                    return self.send(200, node(found[0])) if found else self.send(*not_found(kind, name))
                return self.send(200, make(name)) if name in STATE.get(key, []) else self.send(*not_found(kind, name))
        self.send(*not_found("path", path))

    def do_POST(self):
        self.record()
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        kind = self.headers.get("Content-Type", "")
        if not kind.startswith("application/json"):
            return self.send(415, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "UnsupportedMediaType",
                                   "code": 415, "message": f"the double reads JSON bodies only, not {kind}"})
        body = json.loads(raw or b"{}")
        path = self.path.split("?")[0].rstrip("/")
        if path == "/api/v1/namespaces":
            name = body.get("metadata", {}).get("name", "")
            if name in STATE.setdefault("namespaces", []):
                return self.send(409, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "AlreadyExists",
                                       "code": 409, "message": f'namespaces "{name}" already exists'})
            STATE["namespaces"].append(name)
            return self.send(201, namespace(name))
        self.send(*not_found("path", path))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as fh:
    fh.write(str(server.server_address[1]))
import os
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
