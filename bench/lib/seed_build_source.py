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

Layers are gzip (level 1) tars of one file of random bytes, so nothing can be gained by
compression. About 37 % of TARGET_MIB goes to three shared base layers:
  base-os         in every image
  base-runtime-a  in the first half of the images
  base-runtime-b  in the second half
and the rest to one own layer per image, sized 0.6x-1.4x of the average so they differ.
(The same shape as bench/pull's and bench/push's data.)
"""
import gzip
import hashlib
import json
import os
import sys
import tarfile

MIB = 1024 * 1024


class HashingWriter:
    """A file-like sink that hashes and counts what goes through it, then passes it on."""

    def __init__(self, target):
        self.target, self.hash, self.size = target, hashlib.sha256(), 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        self.target.write(data)
        return len(data)

    def flush(self):
        self.target.flush()


class RandomReader:
    def __init__(self, size):
        self.left = size

    def read(self, n=-1):
        if n is None or n < 0 or n > self.left:
            n = self.left
        self.left -= n
        return os.urandom(n)


def write_layout(layout, target_mib, image_count):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)

    def put_blob(data, media_type):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return {"mediaType": media_type, "digest": "sha256:" + digest, "size": len(data)}

    def random_layer(name, size):
        """A tar+gzip layer of one file of `size` random bytes; returns (descriptor, diff_id)."""
        temporary = os.path.join(layout, "layer.tmp")
        with open(temporary, "wb") as raw:
            compressed = HashingWriter(raw)
            with gzip.GzipFile(fileobj=compressed, mode="wb", compresslevel=1, mtime=0) as gz:
                uncompressed = HashingWriter(gz)
                with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                    info = tarfile.TarInfo(f"opt/{name}.bin")
                    info.size, info.mode, info.mtime = size, 0o644, 0
                    tar.addfile(info, RandomReader(size))
        digest = compressed.hash.hexdigest()
        os.rename(temporary, os.path.join(layout, "blobs", "sha256", digest))
        print(f"  layer {name}: {size / MIB:.0f} MiB of random data -> {compressed.size} bytes gzip", flush=True)
        return ({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                 "digest": "sha256:" + digest, "size": compressed.size},
                "sha256:" + uncompressed.hash.hexdigest())

    base_mib = max(1, round(target_mib * 0.122))
    bases = {name: random_layer(name, base_mib * MIB) for name in ("base-os", "base-runtime-a", "base-runtime-b")}
    own_total = max(image_count, target_mib - 3 * base_mib)
    average = own_total / image_count
    # Spread 0.6x..1.4x of the average in a shuffled order; the last layer takes what is left.
    factors = [0.6 + 0.8 * ((i * 7) % image_count) / max(1, image_count - 1) for i in range(image_count)]
    own = [max(1, round(average * f)) for f in factors[:-1]]
    own.append(max(1, own_total - sum(own)))

    names = []
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}
    for number, own_mib in enumerate(own, start=1):
        name = f"app{number:02d}"
        names.append(name)
        runtime = "base-runtime-a" if number <= (image_count + 1) // 2 else "base-runtime-b"
        layers = [bases["base-os"], bases[runtime], random_layer(f"{name}-own", own_mib * MIB)]
        config = {"architecture": "amd64", "os": "linux",
                  "config": {"Labels": {"bench.image": name}},
                  "rootfs": {"type": "layers", "diff_ids": [diff_id for _, diff_id in layers]}}
        config_descriptor = put_blob(json.dumps(config, sort_keys=True).encode(),
                                     "application/vnd.oci.image.config.v1+json")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": config_descriptor, "layers": [descriptor for descriptor, _ in layers]}
        manifest_descriptor = put_blob(json.dumps(manifest, sort_keys=True).encode(), manifest["mediaType"])
        manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": name}
        index["manifests"].append(manifest_descriptor)

    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return names


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
