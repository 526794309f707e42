#!/usr/bin/python3
"""Load (docs/reliability.md "Load"), at a reduced size in the suite; `--full` (or
scripts/load.sh) runs the full size of issue 10: 10,000 tags, 1,000,000 done keys, 500 images.

1. Four workers drain a queue of IMAGES distinct small images for tenant t1 plus every fifth
   of them again for tenant t2 (same digests: deliveries of one digest race; the test routes
   t2's request to another partition than t1's, so they reach different workers). Every
   (tenant, digest) gets exactly one done entry and one report; every digest is indexed
   exactly once and two indexes of one digest never overlap (the worker's test hook
   REGSCAN_TEST_INDEX_TRACE logs each index's start and end on CLOCK_MONOTONIC).
2. An incremental coordinator pass over TAGS tags (each its own manifest digest, pushed with
   one manifest PUT per tag over a kept-alive connection) with DONE done keys in Redis
   publishes nothing, counts exactly, and its peak RSS (os.wait4's ru_maxrss) stays under
   RSS_BOUND_MB."""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import bulkpush  # noqa: E402
import harness as h  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

FULL = "--full" in sys.argv
TAGS = 10000 if FULL else 1000
DONE = 1000000 if FULL else 100000
IMAGES = 500 if FULL else 60
REPOS = 10  # the tags are spread over this many repositories
WORKERS = 4
RSS_BOUND_MB = 64
PARTS = 12  # partitions of the requests topic (deploy/local/topics.sh)

t = h.Checks("load")
r = h.Run("load")
started = time.time()
figures = {}


def resp(*args):
    """One command in the Redis protocol (bytes)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def redis_pipe(chunks):
    """Sends the commands of `chunks` (an iterable of bytes) through `redis-cli --pipe`;
    returns its summary line (it says how many replies were errors)."""
    p = subprocess.Popen(["redis-cli", "-u", r.redis_url, "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=False)
    for c in chunks:
        p.stdin.write(c)
    p.stdin.close()
    out = p.stdout.read().decode()
    p.wait()
    if p.returncode != 0 or "errors: 0," not in out:
        raise RuntimeError(f"redis-cli --pipe: {out}")
    return out


def run_measured(args, env, out_path):
    """Runs a program; returns (exit status, peak RSS in MB, seconds, stdout)."""
    t0 = time.time()
    with open(out_path + ".out", "w") as out, open(out_path + ".err", "w") as err:
        p = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    with open(out_path + ".out") as f:
        stdout = f.read()
    return p.returncode, usage.ru_maxrss / 1024.0, time.time() - t0, stdout


# ================= 1. four workers drain a queue of images =================
pusher = bulkpush.Pusher(r.open)
t0 = time.time()
digests = []
for i in range(IMAGES):
    layer, diff_id = bulkpush.dpkg_layer([("base-files", "12.4+deb12u5"), (f"load{i}", f"1.{i}-1")])
    d = pusher.image(f"{r.ns}/w{i % 4}", f"v{i}", layer, bulkpush.config_blob(diff_id))
    digests.append(d)
    if i % 5 == 0:  # the same digest for tenant t2
        pusher.image(f"{r.ns}/shared", f"s{i}", layer, bulkpush.config_blob(diff_id))
shared = [digests[i] for i in range(0, IMAGES, 5)]
figures["images pushed"] = f"{time.time() - t0:.1f} s"
t.eq(len(set(digests)), IMAGES, "distinct image digests")

staging = r.topic("load.staging")
r.create_topic(staging, PARTS)
wconf = r.tenants_file([
    {"name": "t1", "registries": [r.registry(r.open, repos=[f"{r.ns}/w*"])]},
    {"name": "t2", "registries": [r.registry(r.open, repos=[f"{r.ns}/shared"])]}],
    name="workers.json")
p, s = r.coordinator(wconf, env={"REGSCAN_TOPIC_REQUESTS": staging})
QUEUE = IMAGES + len(shared)
t.eq(s["published"], {"total": QUEUE, "scan": QUEUE, "rematch": 0}, "requests published")

# t2's request for a digest goes to another partition than t1's: other workers get them
reqs = r.consume(staging, want=QUEUE, timeout=60, idle=1.0)
t.eq(len(reqs), QUEUE, "requests read from the staging topic")
index_of = {d: i for i, d in enumerate(digests)}

t0 = time.time()
# every index lasts 200 ms more (test hook): the two deliveries of a shared digest meet
env = {"REGSCAN_TEST_INDEX_TRACE": "1", "REGSCAN_TEST_INDEX_DELAY_MS": "200"}
workers = [r.start_worker(wconf, "--concurrency", "2", "--exit-when-idle", "10", env=env,
                          log_name=f"worker-{k}.log") for k in range(WORKERS)]


def owned(path):
    """Partitions a worker holds now, from its log's assigned/revoked lines."""
    with open(path) as f:
        text = f.read()
    return (sum(int(n) for n in re.findall(r"assigned (\d+) partitions", text)) -
            sum(int(n) for n in re.findall(r"revoked (\d+) partitions", text)))


# the requests go in once the four workers share the partitions: no rebalance (which
# cancels in-flight scans, to be redone by the new owner) during the drain
deadline = time.time() + 60
held = []
while time.time() < deadline:
    held = [owned(w.log_path) for w in workers]
    if held[0] > 0 and held.count(held[0]) == WORKERS:
        break
    time.sleep(0.2)
t.true(held and held[0] > 0 and held.count(held[0]) == WORKERS,
       f"the four workers share the partitions ({held})")
prod = Producer({"bootstrap.servers": r.brokers})
# the shared digests' two requests first: both at the head of their partitions, so the
# two workers that get them start them together
reqs.sort(key=lambda kv: (kv[1]["digest"] not in shared, index_of[kv[1]["digest"]]))
for key, v in reqs:
    part = index_of[v["digest"]] % PARTS
    if v["tenant"] == "t2":
        part = (part + PARTS // 2) % PARTS
    prod.produce(r.topic("regscan.scan-requests"), key=key, value=json.dumps(v), partition=part)
prod.flush(30)
h.wait_all(workers, 600)
figures["queue drained"] = f"{time.time() - t0:.1f} s"
t.eq([w.returncode for w in workers], [0] * WORKERS, "the four workers exit 0 when idle")

logs = ""
for w in workers:
    with open(w.log_path) as f:
        logs += f.read()
m = re.search(r"analyzer version (\S+) \(", logs)
analyzer_version = m.group(1) if m else None
t.true(analyzer_version, "the worker logs its analyzer version")

reports = r.consume(r.topic("regscan.findings"), want=QUEUE, timeout=60, idle=2.0)
count = {}
for key, v in reports:
    count[(v["tenant"], v["digest"], v["status"])] = count.get(
        (v["tenant"], v["digest"], v["status"]), 0) + 1
want = {("t1", d, "ok"): 1 for d in digests}
want.update({("t2", d, "ok"): 1 for d in shared})
t.eq(count, want, "exactly one ok report per tenant and digest")
dones = r.keys("done:*")
t.eq(sorted(dones), sorted([f"{r.prefix}done:t1:{d}" for d in digests] +
                           [f"{r.prefix}done:t2:{d}" for d in shared]),
     "exactly one done entry per tenant and digest")
t.eq(r.keys("lease:*"), [], "no lease left")

intervals = {}
for kind, d, ns in re.findall(r"test hook: index (start|end) '([^']+)' (\d+)", logs):
    intervals.setdefault(d, []).append((int(ns), kind))
t.true(intervals, "the workers trace their indexes (a build with -DREGSCAN_TEST_HOOKS=ON)")
indexed = {d: sum(1 for _, k in ev if k == "start") for d, ev in intervals.items()}
t.eq(indexed, {d: 1 for d in digests}, "every digest indexed exactly once")
overlaps = []
for d, ev in intervals.items():
    depth = 0
    for _, kind in sorted(ev, key=lambda e: (e[0], e[1] == "start")):
        depth += 1 if kind == "start" else -1
        if depth > 1:
            overlaps.append(d)
t.eq(overlaps, [], "no digest indexed twice in parallel")
waited = logs.count("is being indexed by another worker")
figures["deliveries that waited for another's index"] = waited
# not asserted: the two deliveries of a shared digest do not reliably meet yet (see
# docs/reliability.md "Load"); the no-overlap check above holds whenever they do
figures["t2 reports from the shared inventory"] = len(shared)

# ================= 2. an incremental pass over TAGS tags and DONE done keys =================
if not analyzer_version:
    t.finish()
t0, before = time.time(), pusher.requests
layer, diff_id = bulkpush.dpkg_layer([("base-files", "12.4+deb12u5")])
config = bulkpush.config_blob(diff_id)
tag_digests = []
for i in range(TAGS):
    repo = f"{r.ns}/load{i % REPOS}"
    tag_digests.append(pusher.image(repo, f"t{i}", layer, config,
                                    annotations={"regscan.test.n": str(i)}))
figures["tags pushed"] = f"{TAGS} in {time.time() - t0:.1f} s ({pusher.requests - before} requests)"
pusher.close()
t.eq(len(set(tag_digests)), TAGS, "one digest per tag")

fields = ["analyzer_version", analyzer_version, "vulndb_version", "0", "policy_version", "",
          "report_id", "load-report", "status", "ok", "error_code", "",
          "scanned_at", "2025-01-01T00:00:00Z", "last_seen_pass", "0", "findings", "",
          "platform", "linux/amd64"]


def done_cmds():
    buf = []
    for d in tag_digests:
        buf.append(resp("HSET", f"{r.prefix}done:load:{d}", *fields))
    for i in range(DONE - TAGS):  # other digests of the tenant, done long ago
        buf.append(resp("HSET", f"{r.prefix}done:load:sha256:{i:064x}", *fields))
        if len(buf) >= 10000:
            yield b"".join(buf)
            buf = []
    yield b"".join(buf)


t0 = time.time()
redis_pipe(done_cmds())
figures["done keys loaded"] = f"{DONE} in {time.time() - t0:.1f} s"

lconf = r.tenants_file([{"name": "load", "registries": [
    r.registry(r.open, repos=[f"{r.ns}/load*"])]}], name="load.json")
coord = [os.path.join(h.BIN, "regscan-coordinator"), "--config", lconf, "--json"]
for name in ("first", "incremental"):
    rc, rss, secs, out = run_measured(coord, r.env, os.path.join(r.tmp, f"pass-{name}"))
    s = json.loads(out.strip().splitlines()[-1]) if out.strip() else {}
    figures[f"{name} pass"] = f"{secs:.1f} s, peak RSS {rss:.1f} MB"
    t.eq(rc, 0, f"{name} pass exits 0")
    t.eq((s.get("registries"), s.get("repositories"), s.get("tags"), s.get("digests"),
          s.get("errors")), (1, REPOS, TAGS, TAGS, 0), f"{name} pass: summary counts")
    t.eq(s.get("published"), {"total": 0, "scan": 0, "rematch": 0},
         f"{name} pass publishes nothing")
    t.eq(s.get("skipped_by_reason", {}).get("done"), TAGS, f"{name} pass: every digest done")
    t.eq((s.get("tags_moved"), s.get("tags_removed")), (0, 0), f"{name} pass: no tag moved or gone")
    t.true(rss < RSS_BOUND_MB, f"{name} pass: peak RSS {rss:.1f} MB < {RSS_BOUND_MB} MB")
t.eq(r.keys("queued:*"), [], "nothing queued")
t.eq(len(r.smembers(f"refs:load:{tag_digests[0]}")), 1, "the first tag's ref is recorded")


def del_cmds():
    buf = [resp("UNLINK", *[f"{r.prefix}done:load:{d}" for d in tag_digests])]
    for i in range(0, DONE - TAGS, 1000):
        keys = [f"{r.prefix}done:load:sha256:{k:064x}"
                for k in range(i, min(i + 1000, DONE - TAGS))]
        buf.append(resp("UNLINK", *keys))
    yield b"".join(buf)


redis_pipe(del_cmds())  # the shared Redis gets its memory back
r.stop_all()
figures["total"] = f"{time.time() - started:.1f} s"
print(f"sizes: {TAGS} tags in {REPOS} repositories, {DONE} done keys, {IMAGES} images "
      f"({QUEUE} requests), {WORKERS} workers")
for k, v in figures.items():
    print(f"{k}: {v}")
t.finish()
