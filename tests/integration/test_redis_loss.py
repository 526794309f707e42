#!/usr/bin/python3
"""Redis lost in the middle of a scan. Back within the worker's outage budget: the worker
rides it out and finishes the request. Away longer than the budget: the worker stops with
exit 3 without storing the request's offset and without publishing or marking anything
done; once Redis is back, another worker gets the request again and finishes it. Uses a
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

proxy.close()
redis.terminate()
redis.wait()
r.stop_all()
t.finish()
