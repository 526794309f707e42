#!/usr/bin/python3
"""The Kafka broker killed (-9) and restarted in the middle of a run (issue 10, "Services
failing under the pool"). A private single KRaft broker (harness.start_kafka, its own ports
and data dir: the shared one is never touched) carries the run: a coordinator with
--interval 2 and two workers (--outage-budget 120) scan four images through a slow registry
proxy; the broker is killed while scans are in flight, four more images are pushed while it
is away, and it is restarted on the same ports and data. Then: the coordinator and both
workers are still running; the request topic holds a request for each of the eight digests
(the passes that failed while the broker was away lost none); every digest has one `done`,
ok, naming the report_id of a report on the findings topic; every offset is committed; no
request was left unfinished; SIGTERM: all exit 0. A one-shot coordinator (no --interval)
while the broker is away exits 3 (unreachable) in bounded time."""

import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("kafka-loss")
t0 = time.time()
r = h.Run("kafkaloss")
kport, cport = h.free_port(), h.free_port()
kdir = os.path.join(r.tmp, "kafka")
started = {}  # the broker's first start runs while the images are built
starting = threading.Thread(target=lambda: started.update(p=h.start_kafka(kport, cport, kdir)))
starting.start()
own = f"127.0.0.1:{kport}"
r.brokers = own
r.env["REGSCAN_KAFKA_BROKERS"] = own
proxy = h.RegistryProxy(r.open, blob_delay=1.0)
config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}])


def build(i):
    name = f"k{i}"
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name,
                             [("base-files", "12.4+deb12u5"), (f"pkg{i}", f"1.{i}-1")])
    layout = h.build_spec(r, spec, name)
    return name, layout, h.layout_images(layout, "latest")["linux/amd64"]["digest"]


def push(image):
    name, layout, _ = image
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")



def done(d):
    return r.hgetall(f"done:acme:{d}")


images = [build(i) for i in range(8)]
digests = [d for _, _, d in images]
starting.join()
broker = started["p"]
subprocess.run([os.path.join(h.ROOT, "deploy", "local", "topics.sh"), "--prefix", r.topic_prefix,
                "--bootstrap", own], check=True, stdout=subprocess.DEVNULL)
print(f"{time.time() - t0:5.1f} s: broker started, images built", flush=True)
for im in images[:4]:
    push(im)
clog = open(os.path.join(r.tmp, "coordinator.log"), "w")
coord = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "--config", config,
                          "--interval", "2", "--json"], env=r.env, stdout=clog,
                         stderr=subprocess.STDOUT)
workers = [r.start_worker(config, "--outage-budget", "120", "--concurrency", "2",
                          log_name=f"worker-{i}.log") for i in range(2)]
t.true(h.wait_for(lambda: r.keys("lease:*"), 60), "scans are in flight")
broker.send_signal(signal.SIGKILL)
broker.wait()
killed = time.time()
one = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "--config", config, "--json"],
                       env=r.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for im in images[4:]:
    push(im)  # while the broker is away: only a pass after its return can request these
one.wait(timeout=120)
t.eq(one.returncode, 3, "a one-shot pass while the broker is away exits 3")
print(f"{time.time() - t0:5.1f} s: one-shot pass took {time.time() - killed:.1f} s", flush=True)
broker = h.start_kafka(kport, cport, kdir)
print(f"{time.time() - t0:5.1f} s: broker back after {time.time() - killed:.1f} s", flush=True)

t.true(h.wait_for(lambda: all(done(d).get("status") == "ok" for d in digests), 120),
       "every digest is done")
print(f"{time.time() - t0:5.1f} s: all done", flush=True)
t.eq((coord.poll(), [w.poll() for w in workers]), (None, [None, None]),
     "the coordinator and both workers are still running")
requested = {k for k, _ in r.consume(r.topic("regscan.scan-requests"), want=8, timeout=30, idle=1)}
t.eq(sorted(requested), sorted(digests), "a request for each of the eight digests arrived")
ids = {}
for _, v in r.consume(r.topic("regscan.findings"), want=8, timeout=30, idle=1):
    ids.setdefault(v["digest"], set()).add((v["status"], v["report_id"]))
t.eq({d: ids.get(d) for d in digests}, {d: {("ok", done(d).get("report_id"))} for d in digests},
     "every done names the report_id of the reports of its digest on the findings topic")
t.true(h.wait_for(lambda: r.all_committed(r.topic("regscan.scan-requests")), 30),
       "every offset is committed")
coord.send_signal(signal.SIGTERM)
for w in workers:
    w.send_signal(signal.SIGTERM)
coord.wait(timeout=60)
for w in workers:
    w.wait(timeout=60)
t.eq((coord.returncode, [w.returncode for w in workers]), (0, [0, 0]), "SIGTERM: all exit 0")
logs = "".join(open(w.log_path).read() for w in workers)
t.true("not finished" not in logs and "worker stopped" not in logs,
       "no request was left unfinished")
proxy.close()
broker.send_signal(signal.SIGKILL)
broker.wait()
print(f"took {time.time() - t0:.1f} s", flush=True)
t.finish()
