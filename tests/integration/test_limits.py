#!/usr/bin/python3
"""Memory bounded by configuration, not by the image (docs/reliability.md, "Limits" and
"What was skipped"). Each hostile layer (tests/helpers/hostile_layers.py) sits on a base
layer of three dpkg packages and is scanned by `regscan-worker scan oci-layout:DIR --format
json`; the test measures the child's peak RSS (wait4's ru_maxrss) and asserts it stays under
256 MB, the report's status is `partial`, its `errors` are exactly the expected entries
(path, code, limit, analyzer, layer) and the base layer's packages are still found. One image
also goes through the coordinator and a real worker, whose Kafka report says the same.
"""

import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

# The layouts are built by a child process: a forked child's ru_maxrss counts the pages it
# shared with its parent before exec, so this process must stay small while it measures.
HELPER = os.path.join(os.path.dirname(__file__), "..", "helpers", "hostile_layers.py")

RSS_BOUND_KB = 256 * 1024
WORKER = os.path.join(h.BIN, "regscan-worker")
BASE = {("base-files", "12.4+deb12u5"), ("libc6", "2.36-9+deb12u4"), ("tzdata", "2024a-0+deb12u1")}
STATUS = "/var/lib/dpkg/status"

t = h.Checks("limits")
r = h.Run("limits")


def scan(layout, *flags, fmt="json"):
    """Runs the embedded scan; returns (exit code, stdout, peak RSS in KB)."""
    e = dict(r.env)
    e.update({"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1", "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0"})
    out = os.path.join(r.tmp, "scan.out")
    with open(out, "w") as f, open(os.path.join(r.tmp, "scan.err"), "w") as err:
        p = subprocess.Popen([WORKER, "scan", f"oci-layout:{layout}", "--format", fmt, *flags],
                             env=e, stdout=f, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
    with open(out) as f:
        return os.waitstatus_to_exitcode(status), f.read(), ru.ru_maxrss


def stop(path, limit, n):
    return {"path": path, "code": "LIMIT_EXCEEDED", "limit": limit, "analyzer": None,
            "detail": f"the layer's result would exceed {limit} ({n}); the rest of the layer "
                      "is not read"}


def entries(report, layer):
    """The errors of the report, without their layer (checked separately)."""
    errs = report.get("errors", [])
    t.eq({e["layer"] for e in errs}, {layer} if errs else set(), "errors name the hostile layer")
    return sorted(({k: e.get(k) for k in ("path", "code", "limit", "analyzer", "detail")}
                   for e in errs), key=lambda e: (e["path"], e["analyzer"] or ""))


def pkgs(report_inv):
    return {(p["name"], p["version"]) for p in report_inv}


LAYERS = {}
t0 = time.time()
for line in subprocess.run(["/usr/bin/python3", HELPER, r.tmp], check=True, capture_output=True,
                           text=True).stdout.splitlines():
    name, _, *layers = line.split()
    LAYERS[name] = layers
print(f"layouts built in {time.time() - t0:.1f} s", flush=True)


def case(name, want_errors, want_pkgs, *flags, layer_index=1):
    layout = os.path.join(r.tmp, name)
    layers = LAYERS[name]
    t0 = time.time()
    rc, out, rss = scan(layout, *flags)
    print(f"{name}: peak RSS {rss // 1024} MB, scan {time.time() - t0:.1f} s", flush=True)
    t.eq(rc, 0, f"{name}: exit code (a partial report is written: 0)")
    t.true(rss < RSS_BOUND_KB, f"{name}: peak RSS {rss} KB under {RSS_BOUND_KB} KB")
    rep = json.loads(out) if rc == 0 else {}
    t.eq(rep.get("status"), "partial", f"{name}: status")
    want = sorted(want_errors, key=lambda e: (e["path"], e["analyzer"] or ""))
    t.eq(entries(rep, layers[layer_index]), want, f"{name}: errors")
    t.eq(rep.get("summary", {}).get("packages"), len(want_pkgs), f"{name}: package count")
    rc, table, _ = scan(layout, *flags, fmt="table")
    t.eq(rc, 0, f"{name}: table exit code")
    t.true(f"status    partial: {len(want)} files or parts of layers were not read" in table,
           f"{name}: the table says the report is partial")
    return layout


too_big = {"path": STATUS, "code": "LIMIT_EXCEEDED", "limit": "max_file_size", "analyzer": "dpkg",
           "detail": f"{(64 << 20) + 4096} bytes; the dpkg analyzer reads at most {64 << 20}"}
secrets_big = {"path": STATUS, "code": "LIMIT_EXCEEDED", "limit": "analyzer",
               "analyzer": "secrets", "detail": "text file over 10485760 bytes"}

# 40 hard links to a 100,000-package status.d file: the file alone exceeds max_packages
hard = case("hardlinks", [stop("/var/lib/dpkg/status.d/big", "max_packages", 40000)], BASE)
# 40 hard links to a 39,990-package file: read once, reported once; the 17th link exceeds
# max_link_fanout (16)
case("hardlinks-fanout", [stop("/var/lib/dpkg/status.d/link16", "max_link_fanout", 16)],
     BASE | {(f"hl{i}", f"1.0-{i}") for i in range(39990)})
# three layers of a million whiteouts each: each ends at its 100,001st
layout = os.path.join(r.tmp, "whiteouts")
wl = LAYERS["whiteouts"]
rc, out, rss = scan(layout)
print(f"whiteouts: peak RSS {rss // 1024} MB", flush=True)
t.true(rss < RSS_BOUND_KB, f"whiteouts: peak RSS {rss} KB under {RSS_BOUND_KB} KB")
rep = json.loads(out)
t.eq(rep["status"], "partial", "whiteouts: status")
t.eq(sorted((e["layer"], e["path"], e["limit"]) for e in rep["errors"]),
     sorted((wl[i + 1], f"/w/.wh.{x}0100000", "max_whiteouts") for i, x in enumerate("abc")),
     "whiteouts: one max_whiteouts entry per layer, at its 100,001st whiteout")
t.eq(rep["summary"]["packages"], 3, "whiteouts: the base layer's packages")
case("opaque", [stop("/o/w0100000/.wh..wh..opq", "max_whiteouts", 100000)], BASE)
# a million empty files with 99-byte paths: recorded paths (the byte budget off) ...
case("emptyfiles", [stop("/data/" + "x" * 86 + "00200000", "max_paths", 200000)], BASE,
     "--limit-max-result-bytes", "0")
# ... and with every default: whatever limit trips first, one entry, RSS bounded
layout = os.path.join(r.tmp, "emptyfiles")
rc, out, rss = scan(layout)
print(f"emptyfiles (defaults): peak RSS {rss // 1024} MB", flush=True)
rep = json.loads(out)
t.true(rss < RSS_BOUND_KB, f"emptyfiles (defaults): peak RSS {rss} KB under {RSS_BOUND_KB} KB")
t.eq([(e["code"], e["analyzer"]) for e in rep["errors"]], [("LIMIT_EXCEEDED", None)],
     "emptyfiles (defaults): one limit entry")
# 200 dpkg .list files of 5,000 owned paths: the 40th file passes max_paths
case("owned", [stop("/var/lib/dpkg/info/own39.list", "max_paths", 200000)], BASE)
# the dpkg status replaced by a file over 64 MiB: said, and the base's packages are hidden
case("bigstatus", [too_big, secrets_big], set())
huge = "/var/lib/dpkg/status.d/huge"
case("bighardlinks", [dict(too_big, path=huge), dict(secrets_big, path=huge)], BASE)
fifo = "a FIFO, not a regular file"
case("fifo", [{"path": STATUS, "code": "INVALID", "limit": None, "analyzer": a, "detail": fifo}
      for a in ("dpkg", "secrets")], set())

# a limit lowered by the environment, and a bad setting
e = dict(os.environ, REGSCAN_LIMIT_MAX_WHITEOUTS="abc")
p = subprocess.run([WORKER, "scan", f"oci-layout:{hard}"], env=e, capture_output=True, text=True)
t.eq(p.returncode, 2, "REGSCAN_LIMIT_MAX_WHITEOUTS=abc: exit 2")
t.true("limit 'max_whiteouts' must be a count" in p.stderr, "the bad setting is named")
p = subprocess.run([WORKER, "scan", f"oci-layout:{hard}", "--limit-nope", "1"],
                   capture_output=True, text=True)
t.eq(p.returncode, 2, "--limit-nope: exit 2")

# a policy with fail_on.partial fails the partial image (exit 1), with one violation
pol = os.path.join(r.tmp, "policy.json")
with open(pol, "w") as f:
    json.dump({"name": "strict", "fail_on": {"partial": True}}, f)
rc, out, _ = scan(hard, "--policy", pol)
t.eq(rc, 1, "fail_on.partial: exit 1")
v = json.loads(out)["policy"]
t.eq((v["verdict"], [x["rule"] for x in v["violations"]]), ("fail", ["partial"]),
     "fail_on.partial: the verdict and its one violation")

# through the coordinator and a real worker: the Kafka report says the same
r.push(f"{hard}:latest", f"{r.open}/{r.ns}/acme/hardlinks:1")
digest = h.layout_images(hard, "latest")["linux/amd64"]["digest"]
config = r.tenants_file([{"name": "acme",
                          "registries": [r.registry(r.open, repos=[f"{r.ns}/acme/*"])]}])
r.coordinator(config)
r.start_worker(config, "--limit-max-packages", "40000", log_name="worker.log")
msgs = [v for _, v in r.consume(r.topic("regscan.findings"), want=1, timeout=60)]
t.eq(len(msgs), 1, "worker: one report")
if msgs:
    m = msgs[0]
    t.eq((m["digest"], m["status"]), (digest, "partial"), "worker: the report is partial")
    t.eq([(e["path"], e["code"], e["limit"]) for e in m["errors"]],
         [("/var/lib/dpkg/status.d/big", "LIMIT_EXCEEDED", "max_packages")], "worker: errors")
    t.eq(m["summary"]["packages"], 3, "worker: the base layer's packages")
deadline = time.time() + 30
while time.time() < deadline and not r.hgetall(f"done:acme:{digest}").get("status"):
    time.sleep(0.2)
t.eq(r.hgetall(f"done:acme:{digest}").get("status"), "ok",
     "worker: done says ok for a partial report (it was delivered)")
r.stop_all()
t.finish()
