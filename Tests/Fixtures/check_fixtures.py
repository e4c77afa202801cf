#!/usr/bin/env python3
"""Ground-truth check of the Helm fixture charts in charts/.

For every chart: render it with `helm template` (the stand-in from
Tests/Servers/helm-standin unless HELM is set), extract image references from
the rendered YAML in the simplest honest way, normalize them the way Docker
does, and compare with the chart's expected-images.json. Exit 0 when all pass.

Extraction rules (deliberately plain, independent of the Swift code):
  * `image:` strings of every item in containers / initContainers /
    ephemeralContainers lists, at any depth (Pod, Deployment, CronJob, ...);
  * in those containers: `--flag=REF` args and `command` items where REF looks like an
    image with a tag or digest, and env values whose name ends in _IMAGE or
    starts with RELATED_IMAGE_;
  * operator triples: any map with string `repository`, `image` and `version`
    -> repository/image:version, skipped when the map says `enabled: false`;
  * a custom resource's `spec.image` string;
  * Chart.yaml annotations artifacthub.io/images and helm.sh/images.
An image is testOnly when every place it was found is a helm test hook.
"""
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


def from_container(container):
    found = []
    if isinstance(container.get("image"), str):
        found.append(container["image"])
    for arg in (container.get("args") or []) + (container.get("command") or []):
        match = re.match(r"^--?[\w.\-]+=(.+)$", str(arg))
        if match and IMAGE_LIKE.match(match.group(1)):
            found.append(match.group(1))
    for env in container.get("env") or []:
        name, value = str(env.get("name", "")), env.get("value")
        if isinstance(value, str) and value and (name.endswith("_IMAGE") or name.startswith("RELATED_IMAGE_")):
            found.append(value)
    return found


def walk(node, found):
    if isinstance(node, dict):
        for key in CONTAINER_KEYS:
            for container in node.get(key) or [] if isinstance(node.get(key), list) else []:
                if isinstance(container, dict):
                    found += from_container(container)
        parts = [node.get(k) for k in ("repository", "image", "version")]
        if all(isinstance(p, (str, int, float)) and str(p) for p in parts) and node.get("enabled") is not False:
            found.append("%s/%s:%s" % tuple(parts))
        for value in node.values():
            walk(value, found)
    elif isinstance(node, list):
        for value in node:
            walk(value, found)


def images_of_doc(doc):
    found = []
    walk(doc, found)
    spec = doc.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("image"), str):
        found.append(spec["image"])
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
