#!/usr/bin/python3
"""The worker's delivery guarantees under what a review of the pipeline found (issue 6):
- properties at-least-once depends on cannot be overridden; a missing dead-letter topic
  stops the worker at start with exit 2;
- a partition paused at its in-flight window and revoked comes back and is drained;
- a request too large to dead-letter after base64 is dead-lettered cut, and says so;
- the `inv:` cache is keyed by the analyzer version: an upgraded analyzer never reuses an
  older one's inventory;
- a scan whose lease is taken by someone else publishes nothing, then waits for the lease;
- scans handed back at shutdown (drain timeout) are no failed attempts: never dead-lettered;
- a registry outage during a rematch leaves the previous result standing.
Every worker here must still be running (or exit 0) unless the case says otherwise."""

import base64
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("delivery")


def image(r, name, packages):
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name, packages)
    layout = h.build_spec(r, spec, name)
    digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")
    return digest


def request(registry, repository, digest, mode="scan", force=False, batch=None):
    req = {"schema": "regscan.scan-request/v1", "mode": mode, "force": force, "tenant": "acme",
           "registry": registry, "repository": repository, "digest": digest,
           "refs": [{"registry": registry, "repository": repository, "tags": ["1"]}]}
    if batch:
        req["batch_id"] = batch
    return json.dumps(req).encode()


def config_for(r, addr):
    return r.tenants_file([{"name": "acme", "registries": [
        {"url": f"http://{addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}])



def log_of(p):
    return open(p.log_path).read()


# ================= 1. configuration the guarantee depends on =================
r = h.Run("delivery-conf")
config = config_for(r, r.open)
p = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "--config", config,
                    "--kafka-prop", "enable.auto.offset.store=true"], env=r.env,
                   capture_output=True, text=True, timeout=60)
t.eq(p.returncode, 2, "enable.auto.offset.store=true: exit 2")
t.true("kafka property 'enable.auto.offset.store' cannot be changed" in p.stderr,
       "the error names the property")
env = dict(r.env)
env["REGSCAN_TOPIC_DEAD_LETTER"] = r.topic("no-such-dead-letter")
p = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "--config", config], env=env,
                   capture_output=True, text=True, timeout=60)
t.eq(p.returncode, 2, "a missing dead-letter topic: exit 2 at start")
t.true(f"kafka topic '{r.topic('no-such-dead-letter')}' does not exist" in p.stderr,
       "the error names the dead-letter topic")

# ================= 2. a paused partition revoked and given back is drained =================
r = h.Run("delivery-pause")
proxy = h.RegistryProxy(r.open, blob_delay=0.4)
requests_topic = r.topic("requests-2")
r.create_topic(requests_topic, 2)
r.env["REGSCAN_TOPIC_REQUESTS"] = requests_topic
r.env["REGSCAN_TOPIC_BATCH"] = requests_topic  # no batch topic: two partitions in all
config = config_for(r, proxy.addr)
digests = []
for i in range(16):
    d = image(r, f"p{i}", [("base-files", "12.4+deb12u5"), (f"pkg{i}", f"1.{i}-1")])
    digests.append(d)
    # eight requests on each partition, more than the in-flight window (4) of one worker
    r.produce_to(requests_topic, i % 2, d, request(proxy.addr, f"{r.ns}/p{i}", d))
a = r.start_worker(config, "--concurrency", "1", log_name="pause-a.log")
t.true(h.wait_for(lambda: log_of(a).count("reported '") >= 1, 90), "A started on the backlog")
b = r.start_worker(config, "--concurrency", "1", log_name="pause-b.log")
t.true(h.wait_for(lambda: log_of(b).count("reported '") >= 1, 90),
       "B took a partition and reported")
b.send_signal(signal.SIGTERM)  # B leaves: its partition (paused in A before) goes back to A
b.wait(timeout=120)
t.eq(b.returncode, 0, "B leaves with exit 0")
done = lambda: all(r.hgetall(f"done:acme:{d}").get("status") == "ok" for d in digests)  # noqa: E731
t.true(h.wait_for(done, 180), "A drained both partitions: every request is done")
t.eq(a.poll(), None, "A is still running")
t.true(h.wait_for(lambda: r.all_committed(requests_topic), 30), "every offset is committed")
reports = r.consume(r.topic("regscan.findings"), want=16, timeout=30)
t.eq(sorted({v["digest"] for _, v in reports}), sorted(digests), "a report for every request")
a.send_signal(signal.SIGTERM)
a.wait(timeout=60)
t.eq(a.returncode, 0, "A: exit 0 on SIGTERM")
proxy.close()

# ================= 3. a request too large to dead-letter whole =================
r = h.Run("delivery-large")
config = config_for(r, r.open)
big = b"\xff" + os.urandom(900 * 1024)
r.produce_to(r.topic("regscan.scan-requests"), 0, "garbage", big)
w = r.start_worker(config, "--exit-when-idle", "6", log_name="large.log")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "the worker goes on and exits 0 when idle")
dl = r.consume(r.topic("regscan.dead-letter"), want=1, timeout=30)
t.eq(len(dl), 1, "one dead letter")
if dl:
    v = dl[0][1]
    cut = base64.b64decode(v["original_base64"])
    t.eq((v["original_size"], v["original_truncated"]), (len(big), True),
         "the dead letter says how large the original was and that it is cut")
    t.true(0 < len(cut) < len(big) and big.startswith(cut), "the copied bytes are the original's prefix")
    t.eq(v["reason"][:32], "invalid scan request: not JSON (", "the reason says why")
t.true(r.all_committed(r.topic("regscan.scan-requests")), "its offset is committed")

# ================= 4. the inventory cache knows the analyzer version =================
r = h.Run("delivery-cache")
config = config_for(r, r.open)
d_old = image(r, "old", [("base-files", "12.4+deb12u5")])
d_cur = image(r, "cur", [("base-files", "12.4+deb12u6")])
fake = {"os": {"id": "debian", "version_id": "12", "version_codename": "bookworm",
               "pretty_name": "Debian GNU/Linux 12 (bookworm)"},
        "layers": ["sha256:" + "1" * 64],
        "packages": [{"type": "dpkg", "name": "cached-only", "version": "9.9", "path": "/var/lib/dpkg/status",
                      "layer": "sha256:" + "1" * 64}]}
# what an older analyzer (and the unversioned key of the previous release) cached for d_old
r.redis("SET", r.prefix + f"inv:{d_old}", json.dumps(fake))
r.redis("SET", r.prefix + f"inv:regscan-index/0:{d_old}", json.dumps(fake))
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 2, "two requests")
w = r.start_worker(config, "--exit-when-idle", "6", log_name="cache.log")
h.wait_all([w], 120)
invs = {v["digest"]: sorted(x["name"] for x in v["packages"])
        for _, v in r.consume(r.topic("regscan.inventory"), want=2, timeout=30)}
t.eq(invs.get(d_old), ["base-files"], "an older analyzer's cached inventory is not used: indexed again")
analyzer = r.hgetall(f"done:acme:{d_old}").get("analyzer_version")
t.true(bool(analyzer) and analyzer != "regscan-index/0", "done carries the current analyzer version")
t.eq(sorted(k[len(r.prefix):] for k in r.keys(f"inv:{analyzer}:*")),
     sorted([f"inv:{analyzer}:{d_old}", f"inv:{analyzer}:{d_cur}"]),
     "inventories are cached under the current analyzer version")
# the current version's entry is what a later request uses (no pull)
r.redis("SET", r.prefix + f"inv:{analyzer}:{d_cur}", json.dumps(fake))
r.redis("DEL", r.prefix + f"done:acme:{d_cur}")
p, s = r.coordinator(config)
w = r.start_worker(config, "--exit-when-idle", "6", log_name="cache2.log")
h.wait_all([w], 120)
invs = [v for _, v in r.consume(r.topic("regscan.inventory"), want=3, timeout=30) if v["digest"] == d_cur]
t.eq(sorted(x["name"] for x in invs[-1]["packages"]) if invs else None, ["cached-only"],
     "the entry of the current analyzer version is used")

# ================= 5. a lost lease publishes nothing =================
r = h.Run("delivery-lease")
proxy = h.RegistryProxy(r.open, blob_delay=3.0)
config = config_for(r, proxy.addr)
d = image(r, "leased", [("base-files", "12.4+deb12u5")])
p, s = r.coordinator(config)
w = r.start_worker(config, "--lease-ttl", "3", log_name="lease.log")
t.true(h.wait_for(lambda: r.keys("lease:*"), 60), "the scan started (lease held)")
# another owner takes the lease for 8 s, as a worker that believes it holds the digest would
r.redis("SET", r.prefix + f"lease:{d}", "intruder", "PX", "8000")
taken_at = time.time()
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=90)
t.eq([(k, v["status"]) for k, v in reports], [(f"acme/{d}", "ok")], "one report, once")
t.true("lost the lease" in log_of(w), "the worker saw that it lost the lease")
t.true(time.time() - taken_at >= 8, "the report came after the other owner's lease ended")
t.eq(w.poll(), None, "the worker is still running")
w.send_signal(signal.SIGTERM)
w.wait(timeout=60)
t.eq(w.returncode, 0, "exit 0")
t.eq(r.keys("lease:*"), [], "no lease left")
proxy.close()

# ================= 6. scans handed back at shutdown are no failed attempts =================
r = h.Run("delivery-cancel")
proxy = h.RegistryProxy(r.open, blob_delay=3.0)
config = config_for(r, proxy.addr)
d = image(r, "handed", [("base-files", "12.4+deb12u5")])
p, s = r.coordinator(config)
for i in range(4):  # more than max attempts (3)
    w = r.start_worker(config, "--drain-timeout", "1", log_name=f"cancel-{i}.log")
    t.true(h.wait_for(lambda: r.keys("lease:*"), 60), f"round {i}: the scan started")
    w.send_signal(signal.SIGTERM)
    w.wait(timeout=60)
    t.eq(w.returncode, 0, f"round {i}: handed back and exit 0")
    t.true("handing 1 requests back" in log_of(w), f"round {i}: the scan was handed back")
t.eq(r.consume(r.topic("regscan.findings"), want=None, timeout=6, idle=2), [], "nothing reported yet")
w = r.start_worker(config, "--exit-when-idle", "8", log_name="cancel-last.log")
h.wait_all([w], 120)
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=30)
t.eq([(v["status"], v.get("error")) for _, v in reports], [("ok", None)],
     "the image is reported ok, not as a crashed analyzer")
t.eq(r.consume(r.topic("regscan.dead-letter"), want=None, timeout=5, idle=2), [], "no dead letter")
t.eq(r.keys("attempts:*"), [], "no attempts left")
proxy.close()

# ================= 7. a registry outage during a rematch: the old result stands =================
r = h.Run("delivery-rematch")
proxy = h.RegistryProxy(r.open)
config = config_for(r, proxy.addr)
d = image(r, "rematched", [("base-files", "12.4+deb12u5")])
store = os.path.join(r.tmp, "store")
src = os.path.join(r.tmp, "osv")
os.makedirs(store)
os.makedirs(src)


def record(n):
    json.dump({"id": f"TEST-{n}", "modified": "2024-01-01T00:00:00Z", "affected": [
        {"package": {"ecosystem": "Debian:12", "name": f"nothing-{n}"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]},
              open(os.path.join(src, f"TEST-{n}.json"), "w"))
    p = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "vulndb", "update", "--source",
                        src, "--store", store], env=r.env, capture_output=True, text=True, timeout=120)
    return p.returncode


t.eq(record(1), 0, "snapshot 1")
p, s = r.coordinator(config)
w = r.start_worker(config, "--exit-when-idle", "6", log_name="rematch-1.log")
h.wait_all([w], 120)
before = r.hgetall(f"done:acme:{d}")
t.eq((before.get("status"), before.get("vulndb_version")), ("ok", "1"), "scanned with snapshot 1")
t.eq(record(2), 0, "snapshot 2")
p, s = r.coordinator(config)
t.eq(s["published"].get("rematch"), 1, "the pass asks for a rematch")
proxy.close()  # the registry is unreachable while the worker rematches
w = r.start_worker(config, "--exit-when-idle", "8", log_name="rematch-2.log")
h.wait_all([w], 180)
t.eq(w.returncode, 0, "the worker goes on (exit 0 when idle)")
after = r.hgetall(f"done:acme:{d}")
t.eq((after.get("status"), after.get("vulndb_version"), after.get("report_id")),
     ("ok", "1", before.get("report_id")), "the previous done entry stands")
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=20, idle=3)
t.eq([v["status"] for _, v in reports], ["ok"], "no error report was published")
t.true("the previous result stands" in log_of(w), "the worker says so")
t.eq(r.keys(f"queued:acme:{d}"), [], "the queued mark is cleared: the next pass asks again")

t.finish()
