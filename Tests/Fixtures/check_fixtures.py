#!/usr/bin/env python3
"""Ground-truth check of the Helm fixture charts in charts/.

For every chart: render it with `helm template` (the stand-in from
Tests/Servers/helm-standin unless HELM is set), extract image references from
the rendered YAML in the simplest honest way, normalize them the way Docker
does, and compare with the chart's expected-images.json. Exit 0 when all pass.

Extraction rules (deliberately plain, independent of the Swift code):
  * `image:` strings of every item in containers / initContainers /
    ephemeralContainers lists, at any depth (Pod, Deployment, CronJob, CRs);
  * in those containers: `args`/`command` items `--flag=REF` (REF with a path,
    or any REF when the flag's name ends in "image"), and the pair
    `--flag-image`, `REF`; env values whose name contains IMAGE;
  * ConfigMap `data` and UTF-8 `binaryData`: a key ending in "image" (any
    case) with a REF; under any key, a registry-qualified REF; a value that
    parses as YAML/JSON (at most 1 MiB, 64 levels, 1,000,000 nodes): its
    fields read as in custom resources, plus registry-qualified REFs anywhere;
  * custom resources (apiVersion group with a dot, not *.k8s.io), below the
    top level, outside metadata/status: repository/image/version (or tag)
    triples, repository+tag/version/digest (+registry) pairs, image+tag pairs,
    fields whose name ends in "image" holding a REF; a map with
    `enabled: false` is skipped with everything under it;
  * Chart.yaml annotations artifacthub.io/images and helm.sh/images;
  * Secrets are never read.
A REF has a tag or digest, and is not a URL, a host:port endpoint, a file
path, a taint (`key:NoSchedule`) or a *.kubernetes.io label.
An image is testOnly when every place it was found is a helm test hook.
"""
import base64
import json
import os
import re
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CHARTS = os.path.join(HERE, "charts")
HELM = os.environ.get("HELM") or os.path.join(HERE, "..", "Servers", "helm-standin", "helm")
CONTAINER_KEYS = ("containers", "initContainers", "ephemeralContainers")
ANNOTATIONS = ("artifacthub.io/images", "helm.sh/images")
# name[:port]/path:tag or @digest, with a tag or digest required.
IMAGE_LIKE = re.compile(r"^[a-z0-9][\w.\-]*(:\d+)?(/[\w.\-]+)+(:[\w.\-]+|@sha256:[0-9a-f]{64})$")


def normalize(ref):
    """Docker's familiar-name normalization: nginx -> docker.io/library/nginx:latest."""
    name, _, digest = ref.strip().partition("@")
    tag = ""
    if name.rfind(":") > name.rfind("/"):
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "docker.io", name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = "docker.io"
    if registry == "docker.io" and "/" not in path:
        path = "library/" + path
    if not tag and not digest:
        tag = "latest"
    return registry + "/" + path + (":" + tag if tag else "") + ("@" + digest if digest else "")


TAINT_EFFECTS = {"NoSchedule", "PreferNoSchedule", "NoExecute"}
FILE_EXTENSIONS = {"yaml", "yml", "json", "conf", "cfg", "ini", "toml", "xml", "txt", "log", "sh", "py",
                   "js", "html", "pem", "crt", "key", "tar", "gz", "tgz", "zip", "properties"}
PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
TAG = re.compile(r"^[\w][\w.\-]{0,127}$")
HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d+)?$")
EMBEDDED_BYTES, EMBEDDED_DEPTH, EMBEDDED_NODES = 1 << 20, 64, 1_000_000


def split_ref(text):
    """(host or None, path, tag, digest) of a reference, or None when it is not one."""
    name, at, digest = text.partition("@")
    if at and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        return None
    tag = ""
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
        if not TAG.match(tag):
            return None
    first, slash, rest = name.partition("/")
    host = first if slash and ("." in first or ":" in first or first == "localhost") else None
    path = rest if host else name
    if host and not HOST.match(host):
        return None
    if not all(PATH_COMPONENT.match(c) for c in path.split("/")):
        return None
    return host, path, tag, digest


def ref_named(value):
    """A value under a name ending in "image": a reference with a tag or digest, or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 512 or "://" in text or any(c.isspace() for c in text):
        return None
    parts = split_ref(text)
    if not parts:
        return None
    host, path, tag, digest = parts
    if not tag and not digest:
        return None
    if "/" not in text and ("." in path or path == "localhost" or (tag.isdigit() and len(tag) >= 4 and not digest)):
        return None  # host:port
    if tag in TAINT_EFFECTS or (host or "").endswith("kubernetes.io"):
        return None
    last = path.split("/")[-1]
    if "." in last and last.rsplit(".", 1)[1] in FILE_EXTENSIONS:
        return None
    return text


def ref_qualified(value):
    """A registry-qualified reference (host with '.', ':port' or localhost) under any key."""
    text = ref_named(value)
    return text if text and "/" in text and split_ref(text)[0] else None


def names_image(name):
    return isinstance(name, str) and name.lower().endswith("image")


def from_arguments(items):
    found, items, i = [], [str(x) if isinstance(x, (str, int, float)) else None for x in items], 0
    while i < len(items):
        item = items[i] or ""
        if item.startswith("-") and "=" in item:
            flag, _, value = item.partition("=")
            ref = ref_named(value) if names_image(flag.lstrip("-")) else (ref_named(value) if "/" in value else None)
            if ref:
                found.append(ref)
        elif item.startswith("-") and names_image(item.lstrip("-")) and i + 1 < len(items):
            following = items[i + 1] or ""
            if not following.startswith("-") and ref_named(following):
                found.append(ref_named(following))
                i += 1
        i += 1
    return found


def from_container(container):
    found = []
    if isinstance(container.get("image"), str) and container["image"]:
        found.append(container["image"])
    found += from_arguments((container.get("args") or []) + (container.get("command") or []))
    for env in container.get("env") or []:
        name, value = str(env.get("name", "")), env.get("value")
        if "IMAGE" in name.upper() and ref_named(value):
            found.append(ref_named(value))
    return found


def disabled(node):
    flag = node.get("enabled")
    return flag is False or (isinstance(flag, str) and flag.lower() == "false")


def joined(node):
    """A reference joined from sibling fields, and the keys used."""
    def field(key):
        value = node.get(key)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None
        return str(value).strip() or None
    tag_key = "tag" if field("tag") else "version"
    repository, image, tag, registry, digest = field("repository"), field("image"), field(tag_key), field("registry"), field("digest")

    def join(name):
        base = registry + "/" + name if registry else name
        if digest:
            return base + "@" + digest
        return base + (("@" if tag.startswith("sha256:") else ":") + tag if tag else "")
    if repository and image and tag:
        candidate, keys = "%s/%s%s%s" % (repository, image, "@" if tag.startswith("sha256:") else ":", tag), {"repository", "image", tag_key}
    elif repository and (tag or digest):
        candidate, keys = join(repository), {"repository", "registry", "digest", tag_key}
    elif image and tag and not (":" in image.rsplit("/", 1)[-1] or "@" in image):
        candidate, keys = join(image), {"image", "registry", "digest", tag_key}
    else:
        return None, set()
    ref = ref_named(candidate)
    return (ref, keys) if ref else (None, set())


def map_fields(node, any_qualified):
    found = []
    ref, used = joined(node)
    if ref:
        found.append(ref)
    for key, value in node.items():
        if key in used or not isinstance(value, str):
            continue
        if names_image(key) and ref_named(value):
            found.append(ref_named(value))
        elif any_qualified and ref_qualified(value):
            found.append(ref_qualified(value))
    return found


def fields_walk(node, found, any_qualified):
    if isinstance(node, dict):
        if disabled(node):
            return
        found += map_fields(node, any_qualified)
        for value in node.values():
            if isinstance(value, (dict, list)):
                fields_walk(value, found, any_qualified)
    elif isinstance(node, list):
        for item in node:
            if any_qualified and ref_qualified(item):
                found.append(ref_qualified(item))
            elif isinstance(item, (dict, list)):
                fields_walk(item, found, any_qualified)


def within_limits(document):
    """At most EMBEDDED_DEPTH nested collections and EMBEDDED_NODES values (aliases count each time)."""
    budget, stack = EMBEDDED_NODES, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        budget -= 1
        if budget < 0:
            return False
        if isinstance(node, (dict, list)):
            if depth > EMBEDDED_DEPTH:
                return False
            stack += [(child, depth + 1) for child in (node.values() if isinstance(node, dict) else node)]
    return True


def embedded_documents(text):
    """The YAML/JSON documents in a ConfigMap value, or [] when it is none or over the limits."""
    if len(text.encode()) > EMBEDDED_BYTES:
        return []
    try:
        documents = list(yaml.safe_load_all(text))
    except (yaml.YAMLError, RecursionError):
        return []
    return documents if all(within_limits(d) for d in documents) else []


def configmap_images(doc):
    values = [(k, v) for k, v in (doc.get("data") or {}).items() if isinstance(v, str)]
    for key, encoded in (doc.get("binaryData") or {}).items():
        try:
            raw = base64.b64decode(encoded)
            text = raw.decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            continue
        if len(raw) <= EMBEDDED_BYTES and "\x00" not in text:
            values.append((key, text))
    found = []
    for key, text in values:
        if names_image(key) and ref_named(text):
            found.append(ref_named(text))
        elif ref_qualified(text):
            found.append(ref_qualified(text))
        else:
            for document in embedded_documents(text):
                fields_walk(document, found, any_qualified=True)
    return found


def is_custom_resource(doc):
    group = str(doc.get("apiVersion", "")).rpartition("/")[0]
    return "." in group and not group.endswith(".k8s.io")


def walk(node, found, custom, top=False):
    if isinstance(node, dict):
        if custom and not top and disabled(node):
            return
        for key in CONTAINER_KEYS:
            for container in node.get(key) or [] if isinstance(node.get(key), list) else []:
                if isinstance(container, dict):
                    found += from_container(container)
        if custom and not top:
            found += map_fields(node, any_qualified=False)
        for key, value in node.items():
            if key in CONTAINER_KEYS and isinstance(value, list):
                continue
            if top and (key in ("metadata", "status") or (not custom and key in ("data", "stringData", "binaryData"))):
                continue
            walk(value, found, custom)
    elif isinstance(node, list):
        for value in node:
            walk(value, found, custom)


def images_of_doc(doc):
    if doc.get("kind") == "Secret":
        return []
    if doc.get("kind") == "ConfigMap" and doc.get("apiVersion") == "v1":
        return configmap_images(doc)
    found = []
    walk(doc, found, is_custom_resource(doc), top=True)
    return found


def render(chart_dir, expected, extra=()):
    args = [HELM, "template", expected.get("release", "rel"), chart_dir,
            "-n", expected.get("namespace", "ns")]
    for values_file in expected.get("values", []):
        args += ["-f", os.path.join(chart_dir, values_file)]
    return subprocess.run(args + list(extra), capture_output=True, text=True)


def discover(chart_dir, stdout):
    """{normalized ref: testOnly} for one rendered chart plus its annotations."""
    test_only = {}
    for doc in yaml.safe_load_all(stdout):
        if not isinstance(doc, dict):
            continue
        hook = str(((doc.get("metadata") or {}).get("annotations") or {}).get("helm.sh/hook", ""))
        is_test = bool({"test", "test-success"} & {h.strip() for h in hook.split(",")})
        for ref in images_of_doc(doc):
            ref = normalize(ref)
            test_only[ref] = test_only.get(ref, True) and is_test
    with open(os.path.join(chart_dir, "Chart.yaml"), encoding="utf-8") as fh:
        annotations = (yaml.safe_load(fh) or {}).get("annotations") or {}
    for key in ANNOTATIONS:
        for entry in yaml.safe_load(annotations.get(key) or "[]") or []:
            ref = normalize(entry["image"])
            test_only[ref] = test_only.get(ref, True) and False
    return test_only


def check(name):
    chart_dir = os.path.join(CHARTS, name)
    with open(os.path.join(chart_dir, "expected-images.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    result = render(chart_dir, expected)
    if "error" in expected:
        assert result.returncode == 1, f"exit {result.returncode}, want 1"
        assert result.stderr.startswith("Error: "), result.stderr
        assert expected["error"] in result.stderr, result.stderr
        assert result.stdout == "", result.stdout
        return "error as expected"
    assert result.returncode == 0, result.stderr
    assert "# Source: " + name + "/" in result.stdout, "no Source comment"
    assert "NOTES.txt" not in result.stdout, "NOTES.txt was printed"
    got = discover(chart_dir, result.stdout)
    want = {i["reference"]: i["testOnly"] for i in expected["images"]}
    assert got == want, f"\n got  {json.dumps(got, indent=1, sort_keys=True)}\n want {json.dumps(want, indent=1, sort_keys=True)}"
    for ref in expected.get("absent", []):
        assert ref not in got, f"{ref} must be absent"
    # --skip-tests drops test hooks only; --include-crds adds crds/ first.
    skipped = discover(chart_dir, render(chart_dir, expected, ["--skip-tests"]).stdout)
    assert skipped == {r: t for r, t in want.items() if not t}, f"--skip-tests: {skipped}"
    with_crds = render(chart_dir, expected, ["--include-crds"])
    crd_sources = re.findall(r"^# Source: (\S+/crds/\S+)$", with_crds.stdout, re.M)
    assert not re.search(r"^# Source: \S+/crds/", result.stdout, re.M), "CRDs without --include-crds"
    if crd_sources:
        assert with_crds.stdout.startswith("---\n# Source: " + crd_sources[0]), "CRDs must come first"
    return f"{len(want)} images ({sum(want.values())} test-only), CRDs with --include-crds: {crd_sources}"


def main():
    failures = 0
    names = sys.argv[1:] or sorted(n for n in os.listdir(CHARTS)
                                   if os.path.isfile(os.path.join(CHARTS, n, "expected-images.json")))
    for name in names:
        try:
            print(f"ok   {name}: {check(name)}")
        except AssertionError as exc:
            failures += 1
            print(f"FAIL {name}: {exc}")
    print(f"{len(names) - failures}/{len(names)} fixtures pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
