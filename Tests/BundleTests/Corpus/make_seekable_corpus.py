#!/usr/bin/env python3
"""Hostile variants of a valid format-2 bundle (zstd's seekable format: one or more independent
zstd frames per tar entry, then a seek table in a skippable frame), one file per case, and a
cases.json in the schema of make_corpus.py (see README.md), for the same runner and test.

    python3 make_seekable_corpus.py --bundle GOOD2.tar.zst --format1-bundle GOOD1.tar.zst --out DIR

GOOD2 is a valid format-2 bundle, GOOD1 the same staged directory packed with --format 1, both
signed by the key the test verifies with ("good"). Every case changes the container only (the
signed bundle.json is untouched), so the signature check passes and the container checks must
refuse it: lying sizes, overlapping frames, a table pointing past the end, huge frame counts,
a frame spanning two entries, second tables, empty and skippable frames, frames that
decompress to far more than declared, and the format named by bundle.json not matching the
container. Python 3 standard library and the `zstd` command only; the output depends only on
the inputs.
"""

import argparse
import json
import os
import struct
import subprocess
import sys

SKIPPABLE = 0x184D2A5E
FOOTER = 0x8F92EAB1
FRAME_SIZE = 4 << 20


def zstd_compress(data):
    return subprocess.run(["zstd", "-q", "-3", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout


def zstd_decompress(data):
    return subprocess.run(["zstd", "-q", "-dc"], input=data, stdout=subprocess.PIPE, check=True).stdout


def zstd_zeros(size):
    """One zstd frame of `size` zero bytes, streamed (never held in memory)."""
    process = subprocess.Popen(["zstd", "-q", "-3", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    chunk = b"\0" * (1 << 20)

    def feed():
        for _ in range(size // len(chunk)):
            process.stdin.write(chunk)
        process.stdin.close()

    import threading
    writer = threading.Thread(target=feed)
    writer.start()
    out = process.stdout.read()
    writer.join()
    if process.wait() != 0:
        sys.exit("zstd failed")
    return out


def table(frames, descriptor=0, count=None, magic=SKIPPABLE, size_field=None):
    body = b"".join(struct.pack("<II", c, d) for c, d in frames)
    body += struct.pack("<IBI", len(frames) if count is None else count, descriptor, FOOTER)
    return struct.pack("<II", magic, len(body) if size_field is None else size_field) + body


def parse(data):
    """(frame byte strings, [(compressed, decompressed)], table bytes) of a valid format-2 file."""
    count, descriptor, magic = struct.unpack("<IBI", data[-9:])
    if magic != FOOTER or descriptor != 0:
        sys.exit("GOOD2 does not end with a seek table: pack it with format 2")
    size = 8 + 8 * count + 9
    raw_table = data[-size:]
    sizes = [struct.unpack("<II", raw_table[8 + 8 * i:16 + 8 * i]) for i in range(count)]
    frames, at = [], 0
    for c, _ in sizes:
        frames.append(data[at:at + c])
        at += c
    if at != len(data) - size:
        sys.exit("GOOD2's seek table does not cover its frames")
    return frames, sizes, raw_table


class Corpus:
    def __init__(self, out):
        self.out = out
        self.cases = []

    def add(self, stem, data, description, expect=None, expect_any=None, exit=1):
        file = "seek-" + stem + ".tar.zst"
        for wanted in ([expect] if expect else []) + (expect_any or []):
            if wanted.lower() in file.lower():
                raise ValueError(f"{file} holds its own expected text {wanted!r}")
        with open(os.path.join(self.out, file), "wb") as handle:
            handle.write(data)
        case = {"file": file, "kind": "seek-table" if exit else "control", "description": description, "exit": exit,
                "verify_key": "good", "wrong_key": False}
        if expect is not None:
            case["expect"] = expect
        if expect_any is not None:
            case["expect_any"] = expect_any
        self.cases.append(case)


def assemble(frames, sizes, **table_changes):
    return b"".join(frames) + table(sizes, **table_changes)


def make(good2_path, good1_path, out):
    with open(good2_path, "rb") as handle:
        good = handle.read()
    with open(good1_path, "rb") as handle:
        good1 = handle.read()
    frames, sizes, raw_table = parse(good)
    if assemble(frames, sizes) != good:
        sys.exit("this script's seek table writer does not give back GOOD2's table")
    contents = [zstd_decompress(frame) for frame in frames]
    if [len(c) for c in contents] != [d for _, d in sizes]:
        sys.exit("GOOD2's frames do not decompress to the sizes its table declares")
    # Units made of one frame each (entries up to 4 MiB): after bundle.json, its signature and checksums.
    singles = [i for i in range(3, len(frames) - 2) if sizes[i][1] < FRAME_SIZE and sizes[i + 1][1] < FRAME_SIZE]
    if not singles:
        sys.exit("GOOD2 needs two small entries in a row after checksums.sha256")
    k = singles[0]
    c = Corpus(out)
    lie = "the seek table says"

    c.add("control", good, "GOOD2 unchanged", exit=0)
    rebuilt = [zstd_compress(content) for content in contents]
    c.add("control-rebuilt", assemble(rebuilt, [(len(f), len(d)) for f, d in zip(rebuilt, contents)]),
          "every frame recompressed by the zstd command, table rebuilt", exit=0)

    # The table's own fields.
    for name, bits in (("checksum-flag", 0x80), ("reserved-bit", 0x04), ("unused-bit", 0x01)):
        c.add("descriptor-" + name, assemble(frames, sizes, descriptor=bits), f"descriptor byte 0x{bits:02x}",
              expect="descriptor byte")
    c.add("count-max", assemble(frames, sizes, count=0xFFFFFFFF), "Number_Of_Frames 0xFFFFFFFF", expect="more than the")
    c.add("count-at-limit", assemble(frames, sizes, count=1 << 20), "Number_Of_Frames 2^20 (a table larger than the file)",
          expect_any=["bytes of table", "no skippable frame"])
    c.add("count-plus-one", assemble(frames, sizes, count=len(sizes) + 1), "one frame more than the table lists",
          expect="no skippable frame")
    c.add("count-minus-one", assemble(frames, sizes, count=len(sizes) - 1), "one frame fewer than the table lists",
          expect="no skippable frame")
    c.add("count-zero", assemble(frames, sizes, count=0), "Number_Of_Frames 0", expect="declares no frames")
    c.add("size-field", assemble(frames, sizes, size_field=8 * len(sizes)), "the skippable frame's size field 9 bytes short",
          expect="size field")
    c.add("magic", assemble(frames, sizes, magic=0x184D2A50), "another skippable magic (0x184D2A50) on the table",
          expect="no skippable frame")

    # Lying sizes.
    def changed(index, dc=0, dd=0):
        copy = list(sizes)
        copy[index] = (copy[index][0] + dc, copy[index][1] + dd)
        return copy

    c.add("decompressed-plus-one", assemble(frames, changed(k, dd=1)), "frame k declared one byte longer decompressed",
          expect_any=[lie, "does not start its own"])
    c.add("decompressed-minus-one", assemble(frames, changed(k, dd=-1)), "frame k declared one byte shorter decompressed",
          expect_any=[lie, "does not start its own"])
    j = next(i for i in range(2, len(sizes) - 1) if sizes[i][1] != sizes[i + 1][1])
    c.add("decompressed-swapped", assemble(frames, [(s[0], sizes[j + 1 if i == j else j if i == j + 1 else i][1])
                                                    for i, s in enumerate(sizes)]),
          "two frames' decompressed sizes swapped", expect_any=[lie, "does not start its own"])
    overlap = changed(k, dc=16)
    overlap[k + 1] = (overlap[k + 1][0] - 16, overlap[k + 1][1])
    c.add("overlapping-frames", assemble(frames, overlap), "frame k declared 16 bytes into frame k+1 (sum unchanged)", expect=lie)
    short = changed(k, dc=-16)
    short[k + 1] = (short[k + 1][0] + 16, short[k + 1][1])
    c.add("frame-ends-early", assemble(frames, short), "frame k declared 16 bytes short, frame k+1 16 longer", expect=lie)
    c.add("past-the-end", assemble(frames, changed(len(sizes) - 1, dc=1000)), "the last frame declared past the table",
          expect="reach past")
    c.add("uncovered-bytes", assemble(frames, changed(0, dc=-1)), "the frames cover one byte fewer than precede the table",
          expect="precede the table")
    c.add("frame-over-limit", assemble(frames, changed(k, dd=FRAME_SIZE + 1)), "frame k declared 4 MiB + 1 decompressed",
          expect="more than the")
    c.add("entries-reordered", assemble(frames, sizes[:k] + [sizes[k + 1], sizes[k]] + sizes[k + 2:]),
          "two table entries swapped, frames unchanged",
          expect_any=[lie, "does not start its own"])

    # Frames that do not follow the entries.
    merged = zstd_compress(contents[k] + contents[k + 1])
    c.add("frame-spans-two-entries", assemble(frames[:k] + [merged] + frames[k + 2:],
                                              sizes[:k] + [(len(merged), len(contents[k]) + len(contents[k + 1]))] + sizes[k + 2:]),
          "two entries in one frame, table consistent", expect="does not start its own")
    half = len(contents[0]) // 2
    first, second = zstd_compress(contents[0][:half]), zstd_compress(contents[0][half:])
    c.add("entry-cut-in-two", assemble([first, second] + frames[1:],
                                       [(len(first), half), (len(second), len(contents[0]) - half)] + sizes[1:]),
          "bundle.json's entry cut into two frames in the middle, table consistent", expect="does not start its own")
    c.add("frames-swapped", assemble(frames[:k] + [frames[k + 1], frames[k]] + frames[k + 2:],
                                     sizes[:k] + [sizes[k + 1], sizes[k]] + sizes[k + 2:]),
          "two entries' frames swapped with their table entries",
          expect_any=["out of order", "does not start its own", "was changed", "smaller than", "larger than", "changed tar header"])
    empty = zstd_compress(b"")
    c.add("empty-frame", assemble(frames[:k] + [empty] + frames[k:], sizes[:k] + [(len(empty), 0)] + sizes[k:]),
          "an empty zstd frame between two entries, listed", expect="declared empty")
    skippable = struct.pack("<II", 0x184D2A50, 8) + b"hidden!!"
    c.add("skippable-listed", assemble(frames[:k] + [skippable] + frames[k:], sizes[:k] + [(len(skippable), 0)] + sizes[k:]),
          "a skippable frame between two entries, listed", expect="declared empty")
    c.add("skippable-unlisted", b"".join(frames[:k]) + skippable + b"".join(frames[k:]) + raw_table,
          "a skippable frame between two entries, not listed", expect="precede the table")
    c.add("junk-between", b"".join(frames[:k]) + b"JUNKJUNK" + b"".join(frames[k:]) + raw_table,
          "8 bytes between two frames, not listed", expect="precede the table")
    c.add("junk-in-frame", assemble(frames[:k] + [frames[k] + b"JUNKJUNK"] + frames[k + 1:], changed(k, dc=8)),
          "8 bytes after frame k, counted in its compressed size", expect=lie)
    c.add("second-table-after", good + raw_table, "a second copy of the table after the first", expect="precede the table")
    c.add("second-table-before", b"".join(frames) + raw_table + raw_table,
          "a second copy of the table before the real one", expect="precede the table")
    zeros = zstd_zeros(1 << 30)
    c.add("frame-of-a-gibibyte", assemble(frames[:k] + [zeros] + frames[k + 1:],
                                          sizes[:k] + [(len(zeros), sizes[k][1])] + sizes[k + 1:]),
          "frame k replaced by 1 GiB of zeros in 40 kB, declared at its old decompressed size",
          expect_any=["decompresses to more", "cannot be decompressed to the"])

    wide = subprocess.run(["zstd", "-q", "-3", "--long=27", "-c"], input=contents[k], stdout=subprocess.PIPE, check=True).stdout
    c.add("wide-window", assemble(frames[:k] + [wide] + frames[k + 1:], sizes[:k] + [(len(wide), sizes[k][1])] + sizes[k + 1:]),
          "frame k recompressed with a 128 MiB window (zstd --long=27), same content", expect="requires too much memory")

    # The container and bundle.json disagree.
    c.add("one-frame-format-2", zstd_compress(b"".join(contents)), "GOOD2's tar as one zstd frame (bundle.json says 2)",
          expect="says format 2")
    raw1 = zstd_decompress(good1)
    c.add("format-1-with-table", good1 + table([(len(good1), len(raw1))]),
          "GOOD1 (format 1) with a seek table listing its one frame appended",
          expect_any=["says format 1", "more than the"])
    c.add("frames-without-table", b"".join(frames), "GOOD2's frames with the seek table cut off",
          expect_any=["garbage after the end", "says format 2"])

    # Cut short and damaged anywhere.
    for name, at in (("in-table", len(good) - len(raw_table) // 2), ("last-byte", len(good) - 1),
                     ("in-frame", sum(s[0] for s in sizes[:k]) + sizes[k][0] // 2)):
        c.add("cut-" + name, good[:at], f"cut at byte {at}",
              expect_any=["truncated", "damaged", "cut short", "garbage after the end", "says format 2"])
    offset = 0
    for index, (size, _) in enumerate(sizes):
        at = offset + size // 2
        offset += size
        flipped = bytearray(good)
        flipped[at] ^= 0x01
        c.add(f"flip-frame-{index}", bytes(flipped), f"one bit flipped in the middle of frame {index}",
              expect_any=["damaged", "was changed", "does not verify", lie, "malformed", "tar header", "truncated", "bundle.json.sig", "trusted keys",
                          "does not start its own"])

    with open(os.path.join(out, "cases.json"), "w") as handle:
        json.dump(c.cases, handle, indent=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--format1-bundle", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    make(args.bundle, args.format1_bundle, args.out)


if __name__ == "__main__":
    main()
