#!/usr/bin/python3
"""One request budget per registry host across the pool (docs/azure.md, "Throttling"): a
coordinator and three workers scan images of several layers through
tests/helpers/registry_proxy.py, which records when each request arrives. With
`rate_limit: {requests_per_second: N}` on the registry the proxy never sees more than N
requests in a calendar second nor N + 1 within any 1-s window, one blob GET answered 429 with
Retry-After pauses the whole pool (no request arrives meanwhile) and is retried after it, and
every image still gets an ok report. The same run without the limit exceeds N in some second,
so the test can fail. Redis lost while a worker waits for permits (a Redis of its own): no
request is sent without a permit meanwhile, and the worker rides the outage out within its
budget and finishes the image. `regscan-coordinator serve` takes permits for a push too."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

N = 5            # requests per second allowed at the registry
IMAGES = 8
LAYERS = 4       # per image: a dpkg layer and three of files
RETRY_AFTER = 2  # seconds of the proxy's one 429
THROTTLED_BLOB = 4  # that many blob GETs after the workers start

t = h.Checks("ratelimit")
limited = h.Run("ratelimit")
free = h.Run("ratelimit-free")  # the control: own prefix, topics and group


def image_spec(i):
    path = h.dpkg_image_spec(os.path.join(limited.tmp, f"img{i}.json"), f"img{i}",
                             [("base-files", "12.4+deb12u5"), (f"pkg{i}", f"1.{i}-1")])
    with open(path) as f:
        spec = json.load(f)
    for k in range(1, LAYERS):
        spec["image"]["layers"].append({"entries": [
            {"type": "file", "path": f"opt/app{i}/part{k}.txt", "text": f"image {i} layer {k}\n"}]})
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


digests = {}
for i in range(IMAGES):
    layout = h.build_spec(limited, image_spec(i), f"img{i}")
    info = h.layout_images(layout, "latest")["linux/amd64"]
    t.eq(len(info["layers"]), LAYERS, f"image {i} has {LAYERS} layers")
    digests[info["digest"]] = i
    limited.push(f"{layout}:latest", f"{limited.open}/{limited.ns}/app{i}:v1")


def scenario(run, rate, throttle=False):
    """Coordinator, then three workers, through a fresh proxy; returns (arrivals, the time the
    workers started)."""
    proxy = h.RegistryProxy(run.open)
    reg = {"url": f"http://{proxy.addr}", "auth": {"type": "none"},
           "repositories": [f"{limited.ns}/app*"]}
    if rate:
        reg["rate_limit"] = {"requests_per_second": rate}
    config = run.tenants_file([{"name": "acme", "registries": [reg]}])
    try:
        p, s = run.coordinator(config)
        t.eq(s["published"]["total"], IMAGES, f"{run.id}: one request per image")
        if throttle:
            proxy.arm_429(THROTTLED_BLOB, RETRY_AFTER)
        started = time.time()
        workers = [run.start_worker(config, "--concurrency", "4", "--exit-when-idle", "10",
                                    log_name=f"worker-{k}.log") for k in range(3)]
        reports = run.consume(run.topic("regscan.findings"), want=IMAGES, timeout=240)
        h.wait_all(workers, 120)
        for k, w in enumerate(workers):
            t.eq(w.returncode, 0, f"{run.id}: worker {k} exits when idle")
        by = {}
        for _, v in reports:
            by[v["digest"]] = v.get("status")
        t.eq(sorted(by), sorted(digests), f"{run.id}: every image reported")
        t.eq(sorted(set(by.values())), ["ok"], f"{run.id}: every report is ok")
        for d, i in sorted(digests.items()):
            t.eq(run.hgetall(f"done:acme:{d}").get("status"), "ok", f"{run.id}: done of image {i}")
        return proxy.arrivals(), started
    finally:
        run.stop_all()
        proxy.close()


def per_second(arrivals):
    return Counter(int(a[0]) for a in arrivals)


def tightest(arrivals, n):
    """The shortest time spanned by n + 1 consecutive arrivals."""
    times = [a[0] for a in arrivals]
    return min((times[i + n] - times[i] for i in range(len(times) - n)), default=99.0)


# ---- with the limit, and one 429 ----
arr, started = scenario(limited, N, throttle=True)
secs = per_second(arr)
print(f"limited: {len(arr)} requests in {len(secs)} seconds, at most {max(secs.values())} in one;"
      f" the tightest {N} + 1 span {tightest(arr, N):.3f} s", flush=True)
t.true(len(arr) >= 3 * N * 3, f"enough requests to matter ({len(arr)})")
coord = [a for a in arr if a[0] < started]
t.true(len(coord) > 2 * N, f"the coordinator's requests went through the proxy too ({len(coord)})")
t.true(max(secs.values()) <= N,
       f"at most {N} requests in any calendar second: {sorted(secs.items())}")
t.true(tightest(arr, N) > 1.0, f"no {N} + 1 requests within one second (tightest span"
       f" {tightest(arr, N):.3f} s)")
blobs = [a for a in arr if a[1] == "GET" and "/blobs/sha256:" in a[2] and a[0] >= started]
t.true(len(blobs) > THROTTLED_BLOB, "the throttled blob GET happened")
if len(blobs) > THROTTLED_BLOB:
    t429, _, path429 = blobs[THROTTLED_BLOB - 1]
    print("around the 429:", [(round(a[0] - t429, 3), a[1], a[2][-30:]) for a in arr
                              if t429 - 1.5 < a[0] < t429 + RETRY_AFTER + 1.5], flush=True)
    again = [a[0] for a in arr if a[2] == path429 and a[1] == "GET" and a[0] > t429]
    t.true(again and again[0] >= t429 + RETRY_AFTER - 0.05,
           f"the 429'd blob GET was retried after Retry-After ({[x - t429 for x in again]})")
    during = [round(a[0] - t429, 3) for a in arr if t429 + 0.25 < a[0] < t429 + RETRY_AFTER - 0.25]
    t.eq(during, [], "no request of the pool arrives while the 429's pause lasts")
t.eq(limited.keys("ratelimit:*"), [], "ratelimit: expires by itself after the run")

# ---- the control: the same pool without a limit exceeds N ----
arr, started = scenario(free, 0)
secs = per_second(arr)
coord = per_second([a for a in arr if a[0] < started])
t.true(max(coord.values()) > N, f"without the limit the coordinator alone sends more than {N} in a"
       f" second ({sorted(coord.items())})")
print(f"unlimited: {len(arr)} requests in {len(secs)} seconds, at most {max(secs.values())} in one",
      flush=True)
t.true(max(secs.values()) > N, f"without the limit some second sees more than {N} requests")


# ---- Redis lost while permits are asked for: the budget never fails open ----
lost = h.Run("ratelimit-lost")
port = h.free_port()
rdir = os.path.join(lost.tmp, "redis")
os.makedirs(rdir)


def start_redis():
    return h.start_redis(port, rdir)


redis = start_redis()
lost.env["REGSCAN_REDIS_URL"] = lost.redis_url = f"redis://127.0.0.1:{port}/0"
proxy = h.RegistryProxy(lost.open)
first = sorted(digests, key=digests.get)[0]
config = lost.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"},
     "repositories": [f"{limited.ns}/app0"], "rate_limit": {"requests_per_second": 1}}]}])
try:
    p, s = lost.coordinator(config)
    t.eq(s["published"]["total"], 1, "one request")
    started = time.time()
    w = lost.start_worker(config, "--outage-budget", "60", log_name="worker-lost.log")
    deadline = time.time() + 60
    while time.time() < deadline and not [a for a in proxy.arrivals() if a[0] >= started]:
        time.sleep(0.05)
    redis.send_signal(signal.SIGKILL)
    redis.wait()
    down = time.time()
    time.sleep(4)
    back = time.time()
    redis = start_redis()
    reports = lost.consume(lost.topic("regscan.findings"), want=1, timeout=120)
    t.eq([(k, v["status"]) for k, v in reports], [(f"acme/{first}", "ok")],
         "the image is finished once Redis is back")
    t.eq(w.poll(), None, "the worker rode the outage out")
    arr = proxy.arrivals()
    during = [round(a[0] - down, 3) for a in arr if down + 0.25 < a[0] < back]
    t.eq(during, [], "no request is sent without a permit while Redis is away")
    worker_arr = [a for a in arr if a[0] >= started]
    t.true(len(worker_arr) >= LAYERS + 1, f"the worker's requests ({len(worker_arr)})")
    t.true(max(per_second(worker_arr).values()) <= 1, "at most 1 request per second")
    w.send_signal(signal.SIGTERM)
    w.wait(timeout=60)
    t.eq(w.returncode, 0, "SIGTERM: exit 0")
    t.true("not finished" not in open(w.log_path).read(), "no request was left unfinished")
finally:
    lost.stop_all()
    proxy.close()
    redis.terminate()
    redis.wait()

# ---- serve: the requests a push makes take permits too ----
sv = h.Run("ratelimit-serve")
proxy = h.RegistryProxy(sv.open)
config = sv.tenants_file([{"name": "acme", "webhook_secret_env": "RS_IT_RL_SECRET", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"},
     "repositories": [f"{limited.ns}/app*"], "rate_limit": {"requests_per_second": 1}}]}])
env = dict(sv.env, RS_IT_RL_SECRET="rl-secret-123")
log_path = os.path.join(sv.tmp, "serve.log")
srv = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "serve", "--config", config,
                        "--listen", "127.0.0.1:0"], env=env, stdout=open(log_path, "w"),
                       stderr=subprocess.STDOUT)
try:
    port, deadline = None, time.time() + 30
    while port is None and time.time() < deadline and srv.poll() is None:
        m = re.search(r"\(port (\d+)\)", open(log_path).read())
        port = int(m.group(1)) if m else None
        time.sleep(0.1)
    t.true(port is not None, "serve starts")
    answers = []
    for i in (0, 1):
        push = {"id": f"p{i}", "timestamp": "2026-12-07T05:00:00Z", "action": "push",
                "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1,
                           "digest": "", "length": 1, "repository": f"{limited.ns}/app{i}",
                           "tag": "v1"},
                "request": {"id": "r1", "host": proxy.addr, "method": "PUT", "useragent": "t"}}
        del push["target"]["digest"]
        req = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/acr/acme",
                                     data=json.dumps(push).encode(), method="POST",
                                     headers={"Authorization": "Bearer rl-secret-123",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            answers.append((resp.status, json.loads(resp.read()).get("published")))
    t.eq(answers, [(200, 1), (200, 1)], "each push published its request")
    arr = proxy.arrivals()
    t.true(len(arr) >= 2, f"the pushes made requests ({len(arr)})")
    t.true(tightest(arr, 1) > 1.0, f"no 2 of them within one second at 1 per second"
           f" ({[round(a[0] - arr[0][0], 3) for a in arr]})")
finally:
    srv.send_signal(signal.SIGTERM)
    srv.wait(timeout=60)
    proxy.close()
t.eq(srv.returncode, 0, "serve exits 0 on SIGTERM")

t.finish()
