"""The images the benchmarks seed: an OCI image layout of single-platform images whose layers are
gzip (level 1) tars of one file of random bytes, so nothing can be gained by compression. About
37 % of TARGET_MIB goes to three shared base layers:
  base-os         in every image
  base-runtime-a  in the first half of the images
  base-runtime-b  in the second half
and the rest to one own layer per image, sized 0.6x-1.4x of the average so they differ.

Used by seed_build_source.py (bench/build) and seed_push_stage.py (bench/push).
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


def write_layout(layout, target_mib, image_count, ref_name=lambda name: name):
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
        manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": ref_name(name)}
        index["manifests"].append(manifest_descriptor)

    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return names
