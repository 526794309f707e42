#!/usr/bin/python3
"""A worker killed at every step of a request (issue 10, "Crashes at every step"). A test
build's hook (RS_TEST_STEP, REGSCAN_TEST_STOP_AT) stops worker A with SIGSTOP at a named
step; the test looks at Redis and Kafka as they are at that instant, kills A with SIGKILL and
lets a worker of the same group finish:
- download (a layer past its first 64 KiB of ~300 KiB), analyse (a package database being
  parsed): nothing reported, lease held; the restarted member waits for A's lease (4 s) and
  indexes again;
- after_publish (report acknowledged, `done` not written): the redelivery reports again with
  the same report_id and another scan_id (from the cached inventory: no second index);
- after_done (offset not stored): the redelivery is acknowledged without work, no 2nd report;
- revoke (in the revoke callback while two scans are in flight on two partitions, one of
  them cancelled): another member finishes both.
For every digest: `done` is ok and names the report_id of every report of the digest on the
findings topic (exact counts); the index intervals of all workers (the "indexing" and
"ended" log lines' monotonic times; a killed worker's open interval ends when it was
killed) never overlap;
no lease or attempts key is left; every offset is committed."""

import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("crashes")
r = h.Run("crashes")
REQ = r.topic("requests-2")
r.create_topic(REQ, 2)
r.env["REGSCAN_TOPIC_REQUESTS"] = REQ
r.env["REGSCAN_TOPIC_BATCH"] = REQ  # no batch topic: two partitions in all
logs = []  # every worker's log, for the index intervals
killed = {}  # log path -> time.monotonic_ns() once the test saw that worker dead


def image(name, filler=0):
    """A one-layer Debian image; `filler` bytes of incompressible text make its layer large
    enough to be stopped in the middle of."""
    extra = [{"type": "file", "path": "opt/filler.txt", "text": os.urandom(filler // 2).hex()}]
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name,
                             [("base-files", "12.4+deb12u5"), (f"pkg-{name}", "1.0-1")],
                             extra_files=extra if filler else ())
    layout = h.build_spec(r, spec, name)
    digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")
    return digest


def request(addr, name, digest, partition):
    req = {"schema": "regscan.scan-request/v1", "mode": "scan", "force": False, "tenant": "acme",
           "registry": addr, "repository": f"{r.ns}/{name}", "digest": digest,
           "refs": [{"registry": addr, "repository": f"{r.ns}/{name}", "tags": ["1"]}]}
    r.produce_to(REQ, partition, digest, json.dumps(req).encode())


def config_for(addr):
    return r.tenants_file([{"name": "acme", "registries": [
        {"url": f"http://{addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}],
        name=f"tenants-{addr.replace(':', '-')}.json")



def log_of(p):
    return open(p.log_path).read()


def start(config, name, *args, env=None):
    p = r.start_worker(config, "--lease-ttl", "4", *args, env=env, log_name=f"{name}.log")
    logs.append(p.log_path)
    return p


def stopped(p, timeout=60):
    """Waits until the hook stopped worker p; True when it did."""
    hooked = h.wait_for(lambda: "test hook: process" in log_of(p) or p.poll() is not None,
                        timeout, step=0.1)
    return hooked and p.poll() is None


def kill(p):
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    killed[p.log_path] = time.monotonic_ns()


def finish(p, cond, what, timeout=60):
    print(f"{time.time() - t0:5.1f} s: {what}", flush=True)
    t.true(h.wait_for(cond, timeout, step=0.1), what)
    t.true(h.wait_for(lambda: r.all_committed(REQ), 30, step=0.1),
           f"{what}: every offset committed")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    t.eq(p.returncode, 0, f"{what}: the finishing worker exits 0 on SIGTERM")


def done(d):
    return r.hgetall(f"done:acme:{d}")


def findings(want):
    """The reports on the findings topic: `want` of them and whatever comes 1.5 s later."""
    return [v for _, v in r.consume(r.topic("regscan.findings"), want=want, timeout=20, idle=1.5)
            if isinstance(v, dict)]


t0 = time.time()
config = config_for(r.open)
STATIC = ("--instance-id", "crash-1")  # the restarted member takes A's place at once

# ---- 1, 2. stopped in the middle of a layer, and while a package database is parsed ----
for step in ("download", "analyse"):
    d = image(step, filler=600 * 1024 if step == "download" else 0)
    request(r.open, step, d, 0)
    a = start(config, f"{step}-a", *STATIC, env={"REGSCAN_TEST_STOP_AT": step})
    t.true(stopped(a), f"{step}: A stopped at the step")
    t.eq(len(r.keys(f"lease:{d}")), 1, f"{step}: A holds the digest's lease")
    t.eq(done(d), {}, f"{step}: at the stop nothing is done (nor reported: the count below)")
    kill(a)
    b = start(config, f"{step}-b", *STATIC)
    finish(b, lambda: done(d).get("status") == "ok", f"{step}: the restarted member finished")
    t.true(f"'{d}' for tenant 'acme' is being indexed by another worker: waiting for it"
           in log_of(b), f"{step}: the restarted member waited for A's lease")

# ---- 3. stopped after the report was acknowledged, before `done` ----
d = image("after-publish")
request(r.open, "after-publish", d, 1)
a = start(config, "after-publish-a", *STATIC, env={"REGSCAN_TEST_STOP_AT": "after_publish"})
t.true(stopped(a), "after_publish: A stopped at the step")
no_done = done(d)
at_stop = [v for v in findings(3) if v["digest"] == d]
t.eq(([v["status"] for v in at_stop], no_done), (["ok"], {}),
     "after_publish: at the stop the report is on the topic, no done")
kill(a)
b = start(config, "after-publish-b", *STATIC)
finish(b, lambda: done(d).get("status") == "ok", "after_publish: the restarted member finished")

# ---- 4. stopped after `done`, before the offset is stored ----
d = image("after-done")
request(r.open, "after-done", d, 0)
a = start(config, "after-done-a", *STATIC, env={"REGSCAN_TEST_STOP_AT": "after_done"})
t.true(stopped(a), "after_done: A stopped at the step")
t.eq(done(d).get("status"), "ok", "after_done: at the stop done is written")
t.true(not r.all_committed(REQ), "after_done: at the stop its offset is not committed")
kill(a)
b = start(config, "after-done-b", *STATIC)
finish(b, lambda: f"'{d}' for tenant 'acme' is already done" in log_of(b),
       "after_done: the redelivery is acknowledged without work")

# ---- 5. stopped in the revoke callback, two scans in flight ----
proxy = h.RegistryProxy(r.open, blob_delay=2.0)
slow = config_for(proxy.addr)
revoked = [image(f"revoke-{i}") for i in range(2)]
for i, d in enumerate(revoked):
    request(proxy.addr, f"revoke-{i}", d, i)
a = start(slow, "revoke-a", *STATIC, "--concurrency", "2", "--kafka-prop",
          "session.timeout.ms=3000", env={"REGSCAN_TEST_STOP_AT": "revoke"})
t.true(h.wait_for(lambda: len(r.keys("lease:*")) == 2, 60, step=0.1),
       "revoke: A scans both requests")
b = start(slow, "revoke-b", "--instance-id", "crash-2")
t.true(stopped(a), "revoke: A stopped in its revoke callback")
t.eq([done(d) for d in revoked], [{}, {}], "revoke: at the stop nothing is done")
kill(a)
finish(b, lambda: all(done(d).get("status") == "ok" for d in revoked),
       "revoke: the other member finished both", timeout=90)
proxy.close()

# ---- every digest: done names the report_id of its reports; exact counts ----
want = {"download": 1, "analyse": 1, "after-publish": 2, "after-done": 1, "revoke-0": 1,
        "revoke-1": 1}
reports = findings(sum(want.values()))
digests = {}
for v in reports:
    digests.setdefault(v["digest"], []).append(v)
names = {v["repository"].rsplit("/", 1)[1]: v["digest"] for v in reports}
t.eq(sorted(names), sorted(want), "a report for every image")
for name, n in sorted(want.items()):
    rs = digests.get(names.get(name), [])
    dn = done(names.get(name, ""))
    t.eq(len(rs), n, f"{name}: {n} report(s) on the findings topic")
    t.eq(sorted({(v["status"], v["report_id"]) for v in rs}), [("ok", dn.get("report_id"))],
         f"{name}: every report is ok with the report_id that done names")
    t.eq(len({v["scan_id"] for v in rs}), n, f"{name}: each report has its own scan_id")
t.eq((r.keys("lease:*"), r.keys("attempts:*")), ([], []), "no lease or attempts key left")

# ---- two deliveries of one digest never index at once ----
# the worker's "indexing" and "ended" lines carry CLOCK_MONOTONIC times, the clock of
# time.monotonic_ns(): an index of a killed worker (no "ended" line) ends at the latest
# when the test saw the worker dead
intervals = {}
for path in logs:
    text = open(path).read()
    for m in re.finditer(r"indexing '([^']+)' for tenant '[^']+' \(lease owner '([^']+)', "
                         r"attempt (\d+), monotonic (\d+) ns\)", text):
        end = re.search(re.escape(f"indexing '{m[1]}' ended (lease owner '{m[2]}', ") +
                        r"monotonic (\d+) ns\)", text)
        intervals.setdefault(m[1], []).append(
            (int(m[4]), int(end[1]) if end else killed.get(path, float("inf")), int(m[3])))
overlaps = 0
for d, iv in intervals.items():
    iv.sort()
    overlaps += sum(1 for x, y in zip(iv, iv[1:]) if y[0] < x[1])
t.eq(overlaps, 0, "no two index intervals of one digest overlap")
t.eq({n: len(intervals.get(names.get(n), [])) for n in want},
     {"download": 2, "analyse": 2, "after-publish": 1, "after-done": 1, "revoke-0": 2,
      "revoke-1": 2}, "index intervals: the killed one and the finishing one, none for cached")
# the attempt count (poison detection): a killed index stays counted, a cancelled one not
t.eq({n: [a for _, _, a in intervals.get(names.get(n), [])] for n in ("download", "analyse")},
     {"download": [1, 2], "analyse": [1, 2]}, "a killed index counts as an attempt")
t.eq(sorted([a for _, _, a in intervals.get(names.get(n), [])] for n in ("revoke-0", "revoke-1")),
     [[1, 1], [1, 2]], "revoke: the cancelled index took its attempt back, the frozen one not")
print(f"took {time.time() - t0:.1f} s", flush=True)
r.stop_all()
t.finish()
