#!/usr/bin/env python3
"""A Kubernetes API double for kubectl, over loopback HTTP, for exactly what the installer reads
and writes: discovery (/api, /apis, /api/v1, /apis/storage.k8s.io/v1, /apis/apps/v1), /version,
the OpenAPI v3 documents kubectl reads to learn that server-side apply takes fieldValidation,
nodes, namespaces (list/get/create/server-side apply), secrets (get/server-side apply), storage
classes (list/get) and Deployments/StatefulSets/DaemonSets (list, labelSelector `k=v,...`).
No authentication, no TLS.

  kube_api_double.py STATE.json PORTFILE [LOG]

STATE.json: {"version": "v1.29.4", "nodes": [{"name": "n1", "labels": {}, "capacity": {}}],
             "namespaces": ["default", "kube-system"], "storageClasses": ["standard"],
             "workloads": [{"kind": "Deployment", "namespace": "ns", "name": "web", "labels": {},
                            "annotations": {}, "desired": 2, "ready": 1}]}
The chosen port is written to PORTFILE once listening; every request is appended to LOG as
"METHOD PATH" (writes add " CONTENT-TYPE"). Anything else is a 404 Status, as the real server answers.
"""
import json
import sys
from urllib.parse import parse_qs, urlparse
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
    resource("namespaces", "Namespace", False, ["create", "get", "list", "patch"], ["ns"]),
    resource("secrets", "Secret", True, ["create", "get", "list", "patch"]),
]}
APPS = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "apps/v1", "resources": [
    resource("deployments", "Deployment", True, ["get", "list"], ["deploy"]),
    resource("statefulsets", "StatefulSet", True, ["get", "list"], ["sts"]),
    resource("daemonsets", "DaemonSet", True, ["get", "list"], ["ds"]),
]}
WORKLOADS = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet"}
STORAGE = {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "storage.k8s.io/v1", "resources": [
    resource("storageclasses", "StorageClass", False, ["create", "get", "list"], ["sc"]),
]}
GROUPS = {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
    {"name": group, "versions": [{"groupVersion": group + "/v1", "version": "v1"}],
     "preferredVersion": {"groupVersion": group + "/v1", "version": "v1"}} for group in ("storage.k8s.io", "apps")]}
# kubectl (1.27 and later) sends fieldValidation=Strict on server-side apply only when the
# OpenAPI v3 document of the group version shows that PATCH takes it; without one it downloads
# the v2 document as protobuf to validate on the client.
OPENAPI_ROOT = {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=double"}}}
OPENAPI_CORE = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "double"}, "paths": {
    f"/api/v1/{path}": {"patch": {
        "x-kubernetes-group-version-kind": {"group": "", "version": "v1", "kind": kind},
        "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}]}}
    for path, kind in (("namespaces/{name}", "Namespace"), ("namespaces/{namespace}/secrets/{name}", "Secret"))}}


def node(item):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": item["name"], "labels": item.get("labels", {})},
            "status": {"capacity": item.get("capacity", {}), "allocatable": item.get("capacity", {}),
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}, "status": {"phase": "Active"}}


def storage_class(name):
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": name},
            "provisioner": "example.com/none"}


def workload(item):
    kind = item["kind"]
    desired, ready = item.get("desired", 1), item.get("ready", 0)
    if kind == "DaemonSet":
        spec, status = {}, {"desiredNumberScheduled": desired, "numberReady": ready}
    else:
        spec, status = {"replicas": desired}, {"replicas": desired, "readyReplicas": ready} if ready else {"replicas": desired}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {
        "name": item["name"], "namespace": item["namespace"], "labels": item.get("labels", {}),
        "annotations": item.get("annotations", {})}, "spec": spec, "status": status}


def selected(labels, selector):
    """Equality selectors only (`a=b,c=d`), what the installer sends."""
    for term in filter(None, (selector or "").split(",")):
        key, _, value = term.partition("=")
        if labels.get(key) != value.lstrip("="):
            return False
    return True


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
            kind = self.headers.get("Content-Type", "") if self.command in ("POST", "PATCH", "PUT") else ""
            with open(LOG, "a", encoding="utf-8") as fh:
                fh.write(f"{self.command} {self.path}{' ' + kind if kind else ''}\n")

    def do_GET(self):
        self.record()
        path = self.path.split("?")[0].rstrip("/")
        query = parse_qs(urlparse(self.path).query)
        parts = path.split("/")
        # /apis/apps/v1/namespaces/NS/KIND
        if len(parts) == 7 and parts[1:4] == ["apis", "apps", "v1"] and parts[4] == "namespaces" and parts[6] in WORKLOADS:
            kind = WORKLOADS[parts[6]]
            items = [workload(w) for w in STATE.get("workloads", [])
                     if w["kind"] == kind and w["namespace"] == parts[5]
                     and selected(w.get("labels", {}), query.get("labelSelector", [""])[0])]
            return self.send(200, listing(kind, "apps/v1", items))
        # /api/v1/namespaces/NS/secrets/NAME
        if len(parts) == 7 and parts[1:4] == ["api", "v1", "namespaces"] and parts[5] == "secrets":
            found = STATE.get("secrets", {}).get(parts[4], {}).get(parts[6])
            return self.send(200, found) if found else self.send(*not_found("secrets", parts[6]))
        version = STATE.get("version", "v1.29.4")
        major, minor = version.lstrip("v").split(".")[:2]
        routes = {
            "/version": lambda: (200, {"major": major, "minor": minor, "gitVersion": version, "platform": "linux/amd64"}),
            "/api": lambda: (200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.headers.get("Host", "")}]}),
            "/apis": lambda: (200, GROUPS),
            "/api/v1": lambda: (200, CORE),
            "/apis/storage.k8s.io/v1": lambda: (200, STORAGE),
            "/apis/apps/v1": lambda: (200, APPS),
            "/openapi/v3": lambda: (200, OPENAPI_ROOT),
            "/openapi/v3/api/v1": lambda: (200, OPENAPI_CORE),
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


    def do_PATCH(self):
        """Server-side apply (application/apply-patch+yaml; kubectl sends the object as JSON) of a
        namespace or a secret: created when missing, else replaced (one field manager: ours)."""
        self.record()
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        kind = self.headers.get("Content-Type", "")
        if kind != "application/apply-patch+yaml":
            return self.send(415, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "UnsupportedMediaType",
                                   "code": 415, "message": f"the double takes server-side apply only, not {kind}"})
        body = json.loads(raw)
        parts = self.path.split("?")[0].rstrip("/").split("/")
        name = body.get("metadata", {}).get("name", "")
        if len(parts) == 5 and parts[1:4] == ["api", "v1", "namespaces"] and body.get("kind") == "Namespace" and name == parts[4]:
            created = name not in STATE.setdefault("namespaces", [])
            if created:
                STATE["namespaces"].append(name)
            return self.send(201 if created else 200, namespace(name))
        if len(parts) == 7 and parts[1:4] == ["api", "v1", "namespaces"] and parts[5] == "secrets" and body.get("kind") == "Secret" \
                and name == parts[6]:
            if parts[4] not in STATE.get("namespaces", []):
                return self.send(*not_found("namespaces", parts[4]))
            stored = STATE.setdefault("secrets", {}).setdefault(parts[4], {})
            created = name not in stored
            body["metadata"]["namespace"] = parts[4]
            body["metadata"]["uid"] = f"uid-{parts[4]}-{name}"
            body["metadata"]["resourceVersion"] = str(len(stored) + 2)
            stored[name] = body
            return self.send(201 if created else 200, body)
        self.send(*not_found("path", "/".join(parts)))


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as fh:
    fh.write(str(server.server_address[1]))
import os
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
