#!/usr/bin/python3
"""Redis lost in the middle of a scan. Back within the worker's outage budget: the worker
rides it out and finishes the request. Away longer than the budget: the worker stops with
exit 3 without storing the request's offset and without publishing or marking anything
done; once Redis is back, another worker gets the request again and finishes it. Restarted
on its data in the middle of a run (a coordinator with --interval, two workers): nobody
exits, every digest is requested, reported and done once with the report's report_id, and
a one-shot pass while Redis is away exits 3. Uses a
Redis of its own (Debian's redis-server on a free loopback port) so the shared one is never
touched."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("redis-loss")
r = h.Run("redisloss")


port = h.free_port()
rdir = os.path.join(r.tmp, "redis")
os.makedirs(rdir)


def start_redis():
    return h.start_redis(port, rdir)


redis = start_redis()
own_url = f"redis://127.0.0.1:{port}/0"
r.env["REGSCAN_REDIS_URL"] = own_url
r.redis_url = own_url
proxy = h.RegistryProxy(r.open, blob_delay=3.0)

def image(name, version):
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name,
                             [("base-files", version)])
    layout = h.build_spec(r, spec, name)
    digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")
    return digest


def wait_lease():
    deadline = time.time() + 60
    while time.time() < deadline and not r.keys("lease:*"):
        time.sleep(0.1)
    return len(r.keys("lease:*"))



config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}])

# ---- 1. Redis restarts within the outage budget: ridden out ----
one = image("one", "12.4+deb12u5")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 1, "one request")
a = r.start_worker(config, "--outage-budget", "60", log_name="worker-a.log")
t.eq(wait_lease(), 1, "the scan started (its lease is held)")
redis.send_signal(signal.SIGKILL)
redis.wait()
time.sleep(4)
redis = start_redis()  # back, empty: the lease and attempts are gone with the old one
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=90)
t.eq([(k, v["status"]) for k, v in reports], [(f"acme/{one}", "ok")],
     "the request was finished once Redis came back")
t.eq(a.poll(), None, "the worker rode out the restart and is still running")
deadline = time.time() + 30
while time.time() < deadline and r.hgetall(f"done:acme:{one}").get("status") != "ok":
    time.sleep(0.2)
t.eq(r.hgetall(f"done:acme:{one}").get("status"), "ok", "done written in the Redis that came back")
a.send_signal(signal.SIGTERM)
a.wait(timeout=60)
t.eq(a.returncode, 0, "SIGTERM: exit 0")
log = open(a.log_path).read()
t.true("not finished" not in log, "no request was left unfinished")

# ---- 2. Redis stays away longer than the budget: the worker stops ----
two = image("two", "12.4+deb12u6")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 1, "one request for the second image")
b = r.start_worker(config, "--outage-budget", "4", log_name="worker-b.log")
t.eq(wait_lease(), 1, "the scan started (its lease is held)")
killed_at = time.time()
redis.send_signal(signal.SIGKILL)
redis.wait()
try:
    b.wait(timeout=90)
except subprocess.TimeoutExpired:
    b.kill()
    b.wait()
took = time.time() - killed_at
log = open(b.log_path).read()
t.eq(b.returncode, 3, "the worker stops with exit 3 when Redis stays away")
t.true(4 <= took < 60, f"after the budget of 4 s, not before ({took:.1f} s)")
t.true("not finished" in log and "worker stopped" in log, "its log says the request was not finished")
t.true("STORE_UNREACHABLE" in log, "its log names the state store")
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=10, idle=2)
t.eq([k for k, v in reports], [f"acme/{one}"], "nothing was published for the unfinished request")

redis = start_redis()  # back, empty: the state of the lost one is gone
c = r.start_worker(config, "--exit-when-idle", "8", log_name="worker-c.log")
h.wait_all([c], 120)
t.eq(c.returncode, 0, "another worker exits 0")
reports = r.consume(r.topic("regscan.findings"), want=2, timeout=30)
t.eq(sorted((k, v["status"]) for k, v in reports),
     sorted([(f"acme/{one}", "ok"), (f"acme/{two}", "ok")]),
     "the request came back and was finished once")
t.eq(r.hgetall(f"done:acme:{two}").get("status"), "ok", "done written after the report")
redis.terminate()
redis.wait()

# ---- 3. Redis killed and restarted on its data in the middle of a run ----
# A deployed Redis keeps its data (here: every write in the append-only file first). A
# coordinator with --interval 2 and two workers scan three images; Redis is killed while
# scans are in flight, three more images are pushed while it is away, and it is restarted on
# its data within the budget. A one-shot pass while it is away exits 3.
started = time.time()
pdir = os.path.join(r.tmp, "redis-aof")
os.makedirs(pdir)
redis = h.start_redis(port, pdir, persist=True)
fast = h.RegistryProxy(r.open, blob_delay=1.0)  # scans in flight, but shorter than above
config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{fast.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}],
    name="tenants-run.json")
ran = [image(f"run{i}", f"12.4+deb12u{10 + i}") for i in range(3)]
more = []
coord_log = open(os.path.join(r.tmp, "coordinator-run.log"), "w")
coord = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "--config", config,
                          "--interval", "2", "--json"], env=r.env, stdout=coord_log,
                         stderr=subprocess.STDOUT)
pool = [r.start_worker(config, "--outage-budget", "60", log_name=f"worker-run-{i}.log")
        for i in range(2)]
t.true(wait_lease() >= 1, "run: scans are in flight")
redis.send_signal(signal.SIGKILL)
redis.wait()
one_shot = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "--config", config,
                           "--json"], env=r.env, capture_output=True, text=True, timeout=60)
t.eq(one_shot.returncode, 3, "run: a one-shot pass while Redis is away exits 3")
more = [image(f"more{i}", f"12.4+deb12u{20 + i}") for i in range(3)]
redis = h.start_redis(port, pdir, persist=True)
print(f"Redis back {time.time() - started:.1f} s into the run", flush=True)
everything = ran + more
deadline = time.time() + 90
while time.time() < deadline and not all(
        r.hgetall(f"done:acme:{d}").get("status") == "ok" for d in everything):
    time.sleep(0.2)
t.eq([r.hgetall(f"done:acme:{d}").get("status") for d in everything], ["ok"] * 6,
     "run: every digest is done")
t.eq((coord.poll(), [w.poll() for w in pool]), (None, [None, None]),
     "run: the coordinator and both workers are still running")
requested = {k for k, _ in r.consume(r.topic("regscan.scan-requests"), want=8, timeout=30, idle=1)}
t.eq(sorted(requested & set(everything)), sorted(everything),
     "run: a request for each of the six digests arrived")
ids = {}
for _, v in r.consume(r.topic("regscan.findings"), want=8, timeout=30, idle=1):
    ids.setdefault(v["digest"], set()).add((v["status"], v["report_id"]))
t.eq({d: ids.get(d) for d in everything},
     {d: {("ok", r.hgetall(f"done:acme:{d}").get("report_id"))} for d in everything},
     "run: every done names the report_id of the reports of its digest on the findings topic")
deadline = time.time() + 30
while time.time() < deadline and not r.all_committed(r.topic("regscan.scan-requests")):
    time.sleep(0.2)
t.true(r.all_committed(r.topic("regscan.scan-requests")), "run: every offset is committed")
coord.send_signal(signal.SIGTERM)
for w in pool:
    w.send_signal(signal.SIGTERM)
coord.wait(timeout=60)
for w in pool:
    w.wait(timeout=60)
t.eq((coord.returncode, [w.returncode for w in pool]), (0, [0, 0]), "run: SIGTERM: all exit 0")
log = "".join(open(w.log_path).read() for w in pool)
t.true("not finished" not in log and "worker stopped" not in log,
       "run: no request was left unfinished")
print(f"section 3 took {time.time() - started:.1f} s", flush=True)

proxy.close()
fast.close()
redis.terminate()
redis.wait()
r.stop_all()
t.finish()
