#!/usr/bin/python3
"""Redis lost in the middle of a scan: the worker retries, then stops with exit 3 without
storing the request's offset and without publishing or marking anything done; once Redis is
back, another worker gets the request again and finishes it. Uses a Redis of its own
(Debian's redis-server on a free loopback port) so the shared one is never touched."""

import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("redis-loss")
r = h.Run("redisloss")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


port = free_port()
rdir = os.path.join(r.tmp, "redis")
os.makedirs(rdir)


def start_redis():
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", rdir], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


redis = start_redis()
own_url = f"redis://127.0.0.1:{port}/0"
r.env["REGSCAN_REDIS_URL"] = own_url
r.redis_url = own_url
proxy = h.RegistryProxy(r.open, blob_delay=3.0)

spec = h.dpkg_image_spec(os.path.join(r.tmp, "one.json"), "one", [("base-files", "12.4+deb12u5")])
layout = h.build_spec(r, spec, "one")
digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
r.push(f"{layout}:latest", f"{r.open}/{r.ns}/one:1")
config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/one"]}]}])
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 1, "one request")

a = r.start_worker(config, log_name="worker-a.log")
deadline = time.time() + 60
while time.time() < deadline and not r.keys("lease:*"):
    time.sleep(0.1)
t.eq(len(r.keys("lease:*")), 1, "the scan started (its lease is held)")
redis.send_signal(signal.SIGKILL)
redis.wait()
try:
    a.wait(timeout=90)
except subprocess.TimeoutExpired:
    a.kill()
    a.wait()
log = open(a.log_path).read()
t.eq(a.returncode, 3, "the worker stops with exit 3 when Redis stays away")
t.true("not finished" in log and "worker stopped" in log, "its log says the request was not finished")
t.eq(r.consume(r.topic("regscan.findings"), want=None, timeout=8, idle=2), [],
     "nothing was published for the unfinished request")

redis = start_redis()  # back, empty: the state of the lost one is gone
b = r.start_worker(config, "--exit-when-idle", "8", log_name="worker-b.log")
h.wait_all([b], 120)
t.eq(b.returncode, 0, "another worker exits 0")
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=30)
t.eq([(k, v["status"]) for k, v in reports], [(f"acme/{digest}", "ok")],
     "the request came back and was finished once")
t.eq(r.hgetall(f"done:acme:{digest}").get("status"), "ok", "done written after the report")

proxy.close()
redis.terminate()
redis.wait()
r.stop_all()
t.finish()
