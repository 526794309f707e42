#!/usr/bin/python3
"""The worker pool: two workers share a group; one killed with SIGKILL in the middle of
scans loses no digest; the same digest asked for by two tenants is pulled once and reported
to each. Blob GETs go through tests/helpers/registry_proxy.py, which counts them and slows
them down so that the kill lands while scans are in flight."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("workers")
r = h.Run("workers")
proxy = h.RegistryProxy(r.open, blob_delay=1.0)
N = 12

# ---- N distinct images ----
digests = {}
for i in range(N):
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"img{i}.json"), f"img{i}",
                             [("base-files", "12.4+deb12u5"), (f"pkg{i}", f"1.{i}-1")])
    layout = h.build_spec(r, spec, f"img{i}")
    info = h.layout_images(layout, "latest")["linux/amd64"]
    digests[info["digest"]] = (i, info["layers"][0])
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/app{i}:v1")

config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/app*"]}]}])
p, s = r.coordinator(config)
t.eq(s["published"]["total"], N, "one request per image")

# ---- A works alone first (so it surely holds scans), B joins, A is killed mid-scan ----
a = r.start_worker(config, "--concurrency", "2", log_name="worker-a.log")
deadline = time.time() + 90
while time.time() < deadline and open(a.log_path).read().count("reported '") < 1:
    time.sleep(0.1)
b = r.start_worker(config, "--concurrency", "2", "--exit-when-idle", "20", log_name="worker-b.log")
while time.time() < deadline and not r.keys("lease:*"):
    time.sleep(0.1)
lease_keys = r.keys("lease:*")
a.send_signal(signal.SIGKILL)  # whatever happened above: A never outlives this phase
a.wait()
killed_in_flight = open(a.log_path).read().count("reported '") >= 1 and len(lease_keys) > 0
t.true(a.returncode == -signal.SIGKILL, "worker A was killed with SIGKILL")
t.true(killed_in_flight, "scans were in flight (leases held) when A was killed")
h.wait_all([b], 240)
t.eq(b.returncode, 0, "worker B finishes and exits when idle")

reports = r.consume(r.topic("regscan.findings"), want=N, timeout=30)
published = {}
for key, v in reports:
    published.setdefault(v["digest"], set()).add(v["report_id"])
t.eq(sorted(published), sorted(digests), "every digest has a published report")
for d in sorted(digests):
    done = r.hgetall(f"done:acme:{d}")
    t.eq(done.get("status"), "ok", f"done entry of image {digests[d][0]}")
    t.true(done.get("report_id") in published.get(d, set()), f"done report_id of image {digests[d][0]} was published")
invs = r.consume(r.topic("regscan.inventory"), want=N, timeout=20)
for key, v in invs:
    i = digests[v["digest"]][0]
    names = sorted((p["name"], p["version"]) for p in v["packages"])
    t.eq(names, [("base-files", "12.4+deb12u5"), (f"pkg{i}", f"1.{i}-1")], f"inventory of image {i}")
t.true("revoked" in open(b.log_path).read() or "assigned" in open(b.log_path).read(),
       "B took over partitions")
t.eq(r.keys("lease:*"), [], "no lease left after the takeover")

# ---- the same digest in two tenants: pulled once, reported to each ----
shared = h.dpkg_image_spec(os.path.join(r.tmp, "shared.json"), "shared", [("zlib1g", "1:1.2.13.dfsg-1")])
layout = h.build_spec(r, shared, "shared")
info = h.layout_images(layout, "latest")["linux/amd64"]
r.push(f"{layout}:latest", f"{r.open}/{r.ns}/shared:v1")
cfg2 = r.tenants_file([
    {"name": "tenant-one", "registries": [{"url": f"http://{proxy.addr}", "auth": {"type": "none"},
                                           "repositories": [f"{r.ns}/shared"]}]},
    {"name": "tenant-two", "registries": [{"url": f"http://{proxy.addr}", "auth": {"type": "none"},
                                           "repositories": [f"{r.ns}/shared"]}]}], name="two.json")
before = proxy.count("GET", f"/blobs/{info['layers'][0]}")
p, s = r.coordinator(cfg2)
t.eq(s["published"]["total"], 2, "one request per tenant for the shared digest")
w1 = r.start_worker(cfg2, "--exit-when-idle", "6", log_name="worker-c.log")
w2 = r.start_worker(cfg2, "--exit-when-idle", "6", log_name="worker-d.log")
h.wait_all([w1, w2], 120)
reports = r.consume(r.topic("regscan.findings"), want=N + 2, timeout=30)
got = sorted(k for k, v in reports if v["digest"] == info["digest"])
t.eq(got, [f"tenant-one/{info['digest']}", f"tenant-two/{info['digest']}"], "reported to each tenant")
t.eq(proxy.count("GET", f"/blobs/{info['layers'][0]}") - before, 1, "the layer was pulled once")
for tn in ("tenant-one", "tenant-two"):
    t.eq(r.hgetall(f"done:{tn}:{info['digest']}").get("status"), "ok", f"done for {tn}")

# ---- a worker joining takes partitions from a busy one (cooperative revoke), and a
# worker stopped with SIGTERM finishes what it holds: no digest lost, no error ----
M = 8
later = {}
for i in range(M):
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"late{i}.json"), f"late{i}",
                             [("base-files", "12.4+deb12u5"), (f"late{i}", f"2.{i}-1")])
    layout = h.build_spec(r, spec, f"late{i}")
    later[h.layout_images(layout, "latest")["linux/amd64"]["digest"]] = i
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/late{i}:v1")
cfg3 = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/late*"]}]}],
    name="late.json")
p, s = r.coordinator(cfg3)
t.eq(s["published"]["total"], M, "eight more images")
e = r.start_worker(cfg3, "--concurrency", "2", log_name="worker-e.log")
deadline = time.time() + 60
while time.time() < deadline and "reported '" not in open(e.log_path).read():
    time.sleep(0.1)
f = r.start_worker(cfg3, "--concurrency", "2", "--exit-when-idle", "15", log_name="worker-f.log")
deadline = time.time() + 60
while time.time() < deadline and "revoked" not in open(e.log_path).read():
    time.sleep(0.1)
elog = open(e.log_path).read()
t.true("revoked" in elog and "finishing their in-flight requests" in elog,
       "the busy worker handed partitions over when the second joined")
e.send_signal(signal.SIGTERM)
try:
    e.wait(timeout=90)
except Exception:
    e.kill()
t.eq(e.returncode, 0, "SIGTERM: the worker finishes its in-flight requests and exits 0")
h.wait_all([f], 240)
t.eq(f.returncode, 0, "the other worker finishes the rest")
reports = r.consume(r.topic("regscan.findings"), want=N + 2 + M, timeout=30)
late_reports = {}
for key, v in reports:
    if v["digest"] in later:
        late_reports.setdefault(v["digest"], set()).add(v["report_id"])
t.eq(sorted(late_reports), sorted(later), "every later digest was reported")
for d, i in sorted(later.items()):
    done = r.hgetall(f"done:acme:{d}")
    t.true(done.get("status") == "ok" and done.get("report_id") in late_reports.get(d, set()),
           f"done of later image {i} after its report")
t.eq(r.keys("lease:*"), [], "no lease left")
t.eq([l for l in open(e.log_path).read().splitlines() if "Z error " in l], [],
     "the stopped worker logged no error")

proxy.close()
r.stop_all()
t.finish()
