#!/usr/bin/python3
"""The sandbox (issue 10, item 4; DESIGN.md §7): every layer is analysed by the child
regscan-analyze. Test builds (REGSCAN_TEST_HOOKS) make the child misbehave when a layer holds
/regscan-test/crash. One worker scans a plain image and four whose layer crashes the child
(segv), calls socket() (seccomp: SIGSYS), spins (RLIMIT_CPU 2 s: SIGXCPU) and allocates past
RLIMIT_AS (256 MiB; not under AddressSanitizer, which needs its virtual space): each gets an
ANALYZER_CRASHED report naming the layer and the signal or limit, the plain one an ok report,
and the worker keeps running. The crashing image's request is then delivered again three
times: the second and third deliveries crash the child again (attempts 2, 3); the fourth
starts no child: its report says the digest was started 3 times, it is dead-lettered with that
reason, and the attempts key stays at 4."""

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
from confluent_kafka import Consumer  # noqa: E402

nm = subprocess.run(["nm", os.path.join(h.BIN, "regscan-analyze")], capture_output=True, text=True)
if "rs_analyze_test_trigger" not in nm.stdout:
    print("skipped: regscan-analyze built without REGSCAN_TEST_HOOKS")
    sys.exit(77)
asan = "libasan" in subprocess.run(["ldd", os.path.join(h.BIN, "regscan-worker")],
                                   capture_output=True, text=True).stdout

t = h.Checks("sandbox")
r = h.Run("sandbox")
t0 = time.time()
triggers = {"segv": "analyzer crashed: killed by signal SIGSEGV",
            "socket": "analyzer crashed: killed by signal SIGSYS (a system call the sandbox forbids)",
            "spin": "analyzer crashed: killed by signal SIGXCPU (its CPU time limit of 2 s)",
            "alloc": "analyzer failed (address space limit 256 MiB): out of memory"}
if asan:
    del triggers["alloc"]
images = {}  # name -> (manifest digest, layer digest)
for name in ["plain"] + sorted(triggers):
    extra = [] if name == "plain" else [{"type": "file", "path": "regscan-test/crash", "text": name}]
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name,
                             [("base-files", "12.4+deb12u5")], extra_files=extra)
    layout = h.build_spec(r, spec, name)
    img = h.layout_images(layout, "latest")["linux/amd64"]
    images[name] = (img["digest"], img["layers"][0])
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")

config = r.tenants_file([{"name": "acme", "registries": [r.registry(r.open)]}])
p, s = r.coordinator(config)
t.eq(s["published"]["total"], len(images), "one request per image")
env = {"REGSCAN_SANDBOX_CPU": "2", "REGSCAN_SANDBOX_MEMORY": "256"}
w = r.start_worker(config, "--concurrency", "1", env=env)



def done(name):
    return r.hgetall(f"done:acme:{images[name][0]}")


def attempts(name):
    keys = r.keys(f"attempts:*:{images[name][0]}")
    return [r.redis("HGET", k, "count").strip() for k in keys]


t.true(h.wait_for(lambda: all(done(n).get("status") for n in images), 60), "every image is done")
reports = {v["digest"]: v for _, v in r.consume(r.topic("regscan.findings"), want=len(images),
                                                  timeout=30)}
t.eq((reports[images["plain"][0]]["status"], done("plain").get("status")), ("ok", "ok"),
     "plain: an ok report")
for name, why in sorted(triggers.items()):
    d, layer = images[name]
    t.eq((reports[d]["status"], reports[d].get("error")),
         ("error", {"code": "ANALYZER_CRASHED", "message": f"layer 0 '{layer}': {why}"}),
         f"{name}: an ANALYZER_CRASHED report naming the layer and what happened")
    t.eq((done(name).get("status"), done(name).get("error_code")), ("error", "ANALYZER_CRASHED"),
         f"{name}: done with status error")
    t.eq(attempts(name), ["1"], f"{name}: the crashed start stays counted")
t.eq(w.poll(), None, "the worker survived every crash")

# the crashing image's request, delivered again (as the next pass would): three more times
req = [(k, json.dumps(v).encode()) for k, v in
       r.consume(r.topic("regscan.scan-requests"), want=len(images), timeout=30)
       if v["digest"] == images["segv"][0]]
t.eq(len(req), 1, "the crashing image was requested once")
segv, segv_layer = images["segv"]
findings = Consumer({"bootstrap.servers": r.brokers, "group.id": f"{r.id}-findings",
                     "auto.offset.reset": "earliest", "enable.auto.commit": False})
findings.subscribe([r.topic("regscan.findings")])
msgs = []


def segv_reports(n):
    """Reads the findings topic until it holds n reports of the crashing image."""
    m = findings.poll(0.2)
    if m is not None and not m.error():
        v = json.loads(m.value())
        if v.get("digest") == segv:
            msgs.append(v)
    return len(msgs) >= n


t.true(h.wait_for(lambda: segv_reports(1), 30), "delivery 1: its report read back")
for n in (2, 3, 4):
    r.produce(r.topic("regscan.scan-requests"), req[0][0], req[0][1])
    t.true(h.wait_for(lambda: segv_reports(n), 30), f"delivery {n}: a new report")
    t.eq(attempts("segv"), [str(n)], f"delivery {n}: attempts {n}")
findings.close()
t.eq([v.get("error", {}).get("message") for v in msgs],
     [f"layer 0 '{segv_layer}': {triggers['segv']}"] * 3 +
     [f"'{segv}' was started 3 times and never finished: not tried again"],
     "three crashes, then no fourth start: the give-up report")
dl = r.consume(r.topic("regscan.dead-letter"), want=1, timeout=30)
t.eq([(k, v["reason"]) for k, v in dl],
     [(segv, f"'{segv}' was started 3 times and never finished: not tried again")],
     "the digest is dead-lettered once, after the third crash")
t.eq(attempts("segv"), ["4"], "attempts: 4 (three starts, one refusal)")
t.eq(w.poll(), None, "the worker is still running")
w.send_signal(signal.SIGTERM)
w.wait(timeout=60)
t.eq(w.returncode, 0, "the worker exits 0 on SIGTERM")
# a worker whose child cannot be run stops at start, naming it (not an error report per image)
missing = "/nonexistent/regscan-analyze"
for args in (["--config", config, "--exit-when-idle", "1"], ["scan", f"{r.open}/{r.ns}/plain:1"]):
    q = subprocess.run([os.path.join(h.BIN, "regscan-worker")] + args, capture_output=True,
                       text=True, timeout=60,
                       env=dict(os.environ, REGSCAN_ANALYZE_BIN=missing, REGSCAN_LOG="text"))
    t.eq((q.returncode, q.stderr.strip().splitlines()[-1:]),
         (2, [f"regscan-worker: cannot run the layer sandbox '{missing}': No such file or "
              "directory (install regscan-analyze beside the program, or set "
              "REGSCAN_ANALYZE_BIN)"]),
         f"{args[0]}: no child to run: exit 2 naming it")
print(f"test_sandbox: {time.time() - t0:.1f} s")
t.finish()
