#!/usr/bin/python3
"""Benchmark of the index stage against the decompression floor, on demand (not in CI).

Builds (cached) the real Debian 12 minbase root file system as a one-layer OCI image
(deploy/local/rootfs.sh), then alternates, RUNS times each on the same machine in the same
run:
  inflate    zlib inflate of the layer, in process, 1 MiB reads (the floor DESIGN.md §8 names)
  igzip      igzip -dc LAYER > /dev/null   (ISA-L's inflate: the floor the performance issue
             measures against; Debian's isal package, installed by deploy/local/install-deps.sh)
  reference  gzip -dc LAYER | tar -tf - > /dev/null      (inflate + walk the tar, two processes)
  regscan    regscan-worker scan oci-layout:DIR --format json > /dev/null
             (sha256 + inflate + tar walk + dpkg/os-release analysis + merge + report;
             the layer analysed in the sandboxed child regscan-analyze)
  in-process the same with REGSCAN_SANDBOX=off (the layer analysed in the worker)
and prints the medians and their ratio (regscan / reference), with the layer's sizes, and
what the sandbox costs (regscan / in-process).
Machines here are noisy: read the medians, not single runs.

usage: scripts/bench.py [RUNS]   (default 9)
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("RS_BIN_DIR", os.path.join(ROOT, "build", "bin"))


def timed(cmd, shell=False, **env):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=shell, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=dict(os.environ, REGSCAN_LOG="text", REGSCAN_LOG_LEVEL="error", **env))
    return time.perf_counter() - t0


def inflate_only(path):
    import zlib
    t0 = time.perf_counter()
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            d.decompress(chunk)
    d.flush()
    return time.perf_counter() - t0


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 9
    work = tempfile.mkdtemp(prefix="regscan-bench-")
    layout = os.path.join(work, "rootfs")
    subprocess.run([os.path.join(ROOT, "deploy", "local", "rootfs.sh"), layout], check=True,
                   stdout=subprocess.DEVNULL)
    idx = json.load(open(os.path.join(layout, "index.json")))
    mf = json.load(open(os.path.join(layout, "blobs", "sha256", idx["manifests"][0]["digest"][7:])))
    layer = os.path.join(layout, "blobs", "sha256", mf["layers"][0]["digest"][7:])
    compressed = os.path.getsize(layer)
    out = subprocess.run(f"gzip -dc '{layer}' | wc -c", shell=True, check=True, capture_output=True, text=True)
    inflated = int(out.stdout.strip())
    ref, ours, infl, isal, inproc = [], [], [], [], []
    for _ in range(runs):
        infl.append(inflate_only(layer))
        isal.append(timed(f"igzip -dc '{layer}' > /dev/null", shell=True))
        ref.append(timed(f"gzip -dc '{layer}' | tar -tf - > /dev/null", shell=True))
        scan = [os.path.join(BIN, "regscan-worker"), "scan", f"oci-layout:{layout}", "--format", "json"]
        ours.append(timed(scan))
        inproc.append(timed(scan, REGSCAN_SANDBOX="off"))
    mr, mo, mi = statistics.median(ref), statistics.median(ours), statistics.median(infl)
    mg = statistics.median(isal)
    print(f"layer: {compressed / 1e6:.1f} MB gzip, {inflated / 1e6:.1f} MB tar; {runs} runs each, medians")
    print("| zlib inflate only | igzip -dc | gzip -dc \\| tar -t | regscan scan (index stage) "
          "| regscan / inflate | regscan / igzip | regscan / gzip+tar |")
    print("|---|---|---|---|---|---|---|")
    rate = lambda t: f"{t * 1000:.0f} ms ({inflated / t / 1e6:.0f} MB/s)"  # noqa: E731
    print(f"| {rate(mi)} | {rate(mg)} | {rate(mr)} | {rate(mo)} | {mo / mi:.2f} | {mo / mg:.2f} "
          f"| {mo / mr:.2f} |")
    mp = statistics.median(inproc)
    print(f"sandbox: {mo * 1000:.0f} ms in the child, {mp * 1000:.0f} ms in process: "
          f"{(mo / mp - 1) * 100:+.1f}%")


if __name__ == "__main__":
    sys.exit(main())
