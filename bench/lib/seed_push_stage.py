#!/usr/bin/env python3
"""Writes the staged directory that bench/push packs: an OCI image layout of single-platform
images plus one small file.

    seed_push_stage.py STAGE TARGET_MIB IMAGES

STAGE/images      OCI image layout; each index entry is annotated with
                  org.opencontainers.image.ref.name = docker.io/vendor/appNN:1.0 (a full
                  reference: pack's image catalog reads it as the image's reference)
STAGE/files/README.txt

The images and their layers are described in seed_layers.py.
"""
import os
import sys

from seed_layers import write_layout


def main():
    stage, target_mib, image_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    write_layout(os.path.join(stage, "images"), target_mib, image_count,
                 ref_name=lambda name: f"docker.io/vendor/{name}:1.0")
    os.makedirs(os.path.join(stage, "files"), exist_ok=True)
    with open(os.path.join(stage, "files", "README.txt"), "w") as f:
        f.write("bench/push: synthetic images of random layers; nothing to install.\n")


if __name__ == "__main__":
    main()
