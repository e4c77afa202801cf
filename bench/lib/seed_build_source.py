#!/usr/bin/env python3
"""Writes what bench/build builds from: an OCI image layout of single-platform images (pushed to a
loopback registry afterwards with `skopeo copy`) and a bundle manifest with a local chart that
runs every image.

    seed_build_source.py LAYOUT MANIFEST_DIR TARGET_MIB IMAGES

LAYOUT        OCI image layout; index entries are annotated with
              org.opencontainers.image.ref.name = appNN (skopeo copy oci:LAYOUT:appNN ...)
MANIFEST_DIR  demo.yaml (apiVersion airgap.astrago.io/v1, kind Bundle, name bench, 1.0.0,
              platforms [linux/amd64], one component "apps" with the local chart charts/apps)
              charts/apps: one Deployment whose containers are rendered by a `range` over
              .Values.images = [docker.io/bench/app01:1.0, ...]

The images and their layers are described in seed_layers.py.
"""
import os
import sys

from seed_layers import write_layout


def write_manifest(directory, names):
    chart = os.path.join(directory, "charts", "apps")
    os.makedirs(os.path.join(chart, "templates"), exist_ok=True)
    with open(os.path.join(chart, "Chart.yaml"), "w") as f:
        f.write("apiVersion: v2\nname: apps\nversion: 1.0.0\ndescription: bench/build - one Deployment running every bench image\n")
    with open(os.path.join(chart, "values.yaml"), "w") as f:
        f.write("images:\n" + "".join(f"  - docker.io/bench/{name}:1.0\n" for name in names))
    with open(os.path.join(chart, "templates", "deployment.yaml"), "w") as f:
        f.write(
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata: {name: apps}\n"
            "spec:\n"
            "  selector: {matchLabels: {app: apps}}\n"
            "  template:\n"
            "    metadata: {labels: {app: apps}}\n"
            "    spec:\n"
            "      containers:\n"
            "{{- range $i, $image := .Values.images }}\n"
            "        - name: c{{ $i }}\n"
            "          image: {{ $image }}\n"
            "{{- end }}\n")
    with open(os.path.join(directory, "demo.yaml"), "w") as f:
        f.write(
            "# bench/build: every image of the loopback registry, as docker.io/bench/appNN:1.0\n"
            "# (built with --mirror docker.io=127.0.0.1:PORT).\n"
            "apiVersion: airgap.astrago.io/v1\n"
            "kind: Bundle\n"
            "metadata: {name: bench, version: 1.0.0}\n"
            "platforms: [linux/amd64]\n"
            "components:\n"
            "  - name: apps\n"
            "    namespace: apps\n"
            "    chart: {path: charts/apps}\n")
    with open(os.path.join(directory, "images.txt"), "w") as f:
        f.write("".join(f"{name}\n" for name in names))


def main():
    layout, manifest_dir, target_mib, image_count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    names = write_layout(layout, target_mib, image_count)
    write_manifest(manifest_dir, names)


if __name__ == "__main__":
    main()
