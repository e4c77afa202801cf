#!/usr/bin/env python3
"""Run the real `airgap-bundle verify` (and `inspect`) on every case of a corpus made by
make_corpus.py, and record what each run did: exit status, output, peak memory, time.

    python3 run_corpus.py --binary BIN --corpus DIR --key good=GOOD.pub --key other=OTHER.pub --out RESULTS.json [--verify-arg=--threads=1]

Peak memory is the child's own ru_maxrss from wait4(2), so it measures exactly one run of the
tool. A run that takes longer than --timeout seconds is killed and recorded with exit -9 (a
FIFO waited on, a flood read to its end). The assertions live in BundleCorpusTests.swift.
"""

import argparse
import json
import os
import selectors
import time


def run_measured(arguments, timeout):
    """Spawns, waits with wait4 (the child's own peak RSS), enforces the timeout."""
    started = time.monotonic()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.close(out_r)
        os.close(err_r)
        os.execv(arguments[0], arguments)
    os.close(out_w)
    os.close(err_w)
    selector = selectors.DefaultSelector()
    chunks = {out_r: [], err_r: []}
    for fd in chunks:
        selector.register(fd, selectors.EVENT_READ)
    killed = False
    open_fds = set(chunks)
    while open_fds:
        left = timeout - (time.monotonic() - started)
        if left <= 0 and not killed:
            os.kill(pid, 9)
            killed = True
        for key, _ in selector.select(timeout=max(0.05, min(left, 1.0)) if not killed else 1.0):
            data = os.read(key.fd, 65536)
            if data:
                chunks[key.fd].append(data)
            else:
                selector.unregister(key.fd)
                os.close(key.fd)
                open_fds.discard(key.fd)
    _, status, usage = os.wait4(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {
        "exit": -9 if killed else code,
        "stdout": b"".join(chunks[out_r]).decode("utf-8", "replace"),
        "stderr": b"".join(chunks[err_r]).decode("utf-8", "replace"),
        "maxrss_kb": usage.ru_maxrss,
        "seconds": round(time.monotonic() - started, 3),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--key", action="append", default=[], help="NAME=PATH")
    parser.add_argument("--out", required=True)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--verify-arg", action="append", default=[], help="an extra argument for verify (repeatable)")
    args = parser.parse_args()
    keys = dict(item.split("=", 1) for item in args.key)
    with open(os.path.join(args.corpus, "cases.json")) as handle:
        cases = json.load(handle)
    results = []
    for case in cases:
        path = os.path.join(args.corpus, case["file"])
        key = os.path.join(args.corpus, case["key_file"]) if case.get("key_file") else keys[case["verify_key"]]
        verify = [args.binary, "verify", path, "--key", key] + args.verify_arg
        if case.get("require_archive_signature"):
            verify.append("--require-archive-signature")
        result = {"file": case["file"], "verify": run_measured(verify, args.timeout)}
        result["inspect"] = run_measured([args.binary, "inspect", path], args.timeout)
        results.append(result)
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
