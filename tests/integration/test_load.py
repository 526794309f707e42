#!/usr/bin/python3
"""Load (docs/reliability.md "Load"), at a reduced size in the suite; `--full` (or
scripts/load.sh) runs the full size of issue 10: 10,000 tags, 1,000,000 done keys, 500 images.

1. Four workers drain a queue of IMAGES distinct small images for tenant t1 plus every fifth
   of them again for tenant t2 (same digests). The two deliveries of each shared digest
   really race: produced together at the head of two workers' lanes (a lane: a partition
   the worker's log says it holds), or of one worker's lane twice (its two jobs), after a
   warm-up, while every index lasts DELAY_MS longer (test hook). Every (tenant, digest) gets
   exactly one done entry and one report; from the always-on lines of worker/index.c
   (monotonic times): every digest is indexed exactly once, no two indexes of one digest
   overlap, and each shared digest has exactly one waiter, on its routed worker, that
   reports from the cached inventory. Fails with the lease acquisition broken.
2. An incremental coordinator pass over TAGS tags (each its own manifest digest, pushed with
   one manifest PUT per tag over a kept-alive connection) with DONE done keys in Redis
   publishes nothing, counts exactly, and its peak RSS (os.wait4's ru_maxrss) stays under
   RSS_BOUND_MB."""

import json
import os
import datetime
import re
import signal
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
DELAY_MS = 1000  # every index lasts that much longer (test hook): deliveries meet

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


def wait_for(cond, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def when(s):
    """A log line's time (UTC, ms) in seconds."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


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
staged = {(v["tenant"], v["digest"]): (key, v)
          for key, v in r.consume(staging, want=QUEUE, timeout=60, idle=1.0)}
t.eq(len(staged), QUEUE, "requests read from the staging topic, one per tenant and digest")

REQ = r.topic("regscan.scan-requests")
t0 = time.time()
# every index lasts DELAY_MS more (test hook), so the second of two deliveries started
# together always arrives while the first holds the lease; the workers read only REQ
env = {"REGSCAN_TEST_INDEX_DELAY_MS": str(DELAY_MS), "REGSCAN_TOPIC_BATCH": REQ}
workers = [r.start_worker(wconf, "--concurrency", "2", env=env, log_name=f"worker-{k}.log")
           for k in range(WORKERS)]


def text_of(w):
    with open(w.log_path) as f:
        return f.read()


def holding(w):
    """The partitions of REQ a worker holds now, from its log's assigned/revoked/lost lines
    (they name the partitions: "assigned 3 partitions (T[0] T[5] T[9])")."""
    held = set()
    for what, names in re.findall(r"(assigned|revoked|lost) \d+ partitions \(([^)]*)\)",
                                  text_of(w)):
        ps = {int(n) for topic, n in re.findall(r"(\S+)\[(\d+)\]", names) if topic == REQ}
        held = held | ps if what == "assigned" else held - ps
    return held


# the requests go in once the four workers share the partitions (no rebalance after that,
# which would cancel in-flight scans); each worker's first partition is its lane
deadline = time.time() + 60
held = []
while time.time() < deadline:
    held = [holding(w) for w in workers]
    if all(len(x) == PARTS // WORKERS for x in held) and len(set().union(*held)) == PARTS:
        break
    time.sleep(0.2)
t.true(all(len(x) == PARTS // WORKERS for x in held) and len(set().union(*held)) == PARTS,
       f"the four workers hold {PARTS // WORKERS} partitions each ({held})")
lane = [min(x) if x else 0 for x in held]
prod = Producer({"bootstrap.servers": r.brokers})


def produce(tenant, digest, k):
    key, v = staged[(tenant, digest)]
    prod.produce(REQ, key=key, value=json.dumps(v), partition=lane[k])


def wait_done(n, what, timeout=60):
    ok = wait_for(lambda: len(r.keys("done:*")) >= n, timeout)
    t.true(ok, f"{what}: {n} done entries")
    return ok


# first the unshared digests, round robin over the lanes: every worker has served requests
# (clients made, snapshot read) before the races below, so both deliveries of a pair start
# within milliseconds of each other
route = {}  # (tenant, digest) -> the worker it was produced for
rest = [d for d in digests if d not in shared]
for i, d in enumerate(rest):
    route[("t1", d)] = i % WORKERS
    produce("t1", d, i % WORKERS)
prod.flush(30)
wait_done(len(rest), "the unshared digests", 60 + len(rest) // 2)
# the two deliveries of each shared digest are produced together, both at the head of
# their lanes, in waves of WORKERS (each worker takes 2: its two jobs): t1's on worker a,
# t2's on worker b; in the third pattern two of them on one worker, in its two jobs
PATTERNS = [[(0, 1), (1, 2), (2, 3), (3, 0)], [(0, 2), (1, 3), (2, 0), (3, 1)],
            [(0, 0), (1, 2), (2, 1), (3, 3)]]
for j, d in enumerate(shared):
    a, b = PATTERNS[(j // WORKERS) % len(PATTERNS)][j % WORKERS]
    route[("t1", d)], route[("t2", d)] = a, b
for start in range(0, len(shared), WORKERS):
    for d in shared[start:start + WORKERS]:
        produce("t1", d, route[("t1", d)])
        produce("t2", d, route[("t2", d)])
    prod.flush(30)
    if not wait_done(len(rest) + 2 * min(start + WORKERS, len(shared)),
                     f"wave {start // WORKERS + 1}"):
        break
t.true(wait_for(lambda: r.all_committed(REQ), 30), "every offset committed")
figures["queue drained"] = f"{time.time() - t0:.1f} s"
for w in workers:
    w.send_signal(signal.SIGTERM)
h.wait_all(workers, 60)
t.eq([w.returncode for w in workers], [0] * WORKERS, "the four workers exit 0 on SIGTERM")

logs = [text_of(w) for w in workers]
m = re.search(r"analyzer version (\S+) \(", "".join(logs))
analyzer_version = m.group(1) if m else None
t.true(analyzer_version, "the worker logs its analyzer version")

reports = r.consume(r.topic("regscan.findings"), want=QUEUE, timeout=60, idle=2.0)
count, report_of = {}, {}
for key, v in reports:
    count[(v["tenant"], v["digest"], v["status"])] = count.get(
        (v["tenant"], v["digest"], v["status"]), 0) + 1
    report_of[(v["tenant"], v["digest"])] = v
want = {("t1", d, "ok"): 1 for d in digests}
want.update({("t2", d, "ok"): 1 for d in shared})
t.eq(count, want, "exactly one ok report per tenant and digest")
dones = r.keys("done:*")
t.eq(sorted(dones), sorted([f"{r.prefix}done:t1:{d}" for d in digests] +
                           [f"{r.prefix}done:t2:{d}" for d in shared]),
     "exactly one done entry per tenant and digest")
t.eq(r.keys("lease:*"), [], "no lease left")

# the always-on lines of worker/index.c: an index under the lease starts and ends (with
# CLOCK_MONOTONIC: one clock for the machine), a delivery waits for another's lease, a
# delivery takes the cached inventory
STAMP = r"^(\S+Z) \S+\s+regscan-worker: "
starts, ends, waits, cached = {}, {}, {}, {}
for k, text in enumerate(logs):
    for m in re.finditer(STAMP + r"indexing '([^']+)' for tenant '([^']+)' \(lease owner "
                         r"'([^']+)', attempt \d+, monotonic (\d+) ns\)", text, re.M):
        starts.setdefault(m[2], []).append((int(m[5]), m[4], k, m[3], when(m[1])))
    for m in re.finditer(r"indexing '([^']+)' ended \(lease owner '([^']+)', monotonic (\d+) "
                         r"ns\): (\S+)", text):
        ends.setdefault((m[1], m[2]), []).append((int(m[3]), m[4]))
    for m in re.finditer(STAMP + r"'([^']+)' for tenant '([^']+)' is being indexed by another "
                         r"worker: waiting for it", text, re.M):
        waits.setdefault(m[2], []).append((m[3], k, when(m[1])))
    for m in re.finditer(r"'([^']+)' for tenant '([^']+)': the cached inventory, no pull", text):
        cached.setdefault(m[1], []).append((m[2], k))

intervals = {}
for d, ss in starts.items():
    for t_start, owner, k, tenant, _ in ss:
        e = ends.get((d, owner), [])
        e = e.pop(0) if e else (float("inf"), "no end")
        intervals.setdefault(d, []).append((t_start, e[0], e[1]))
t.eq({d: len(iv) for d, iv in intervals.items()}, {d: 1 for d in digests},
     "every digest indexed exactly once")
t.eq(sorted({e for iv in intervals.values() for _, _, e in iv}), ["ok"], "every index ends ok")
overlaps = []
for d, iv in intervals.items():
    iv.sort()
    overlaps += [d for x, y in zip(iv, iv[1:]) if y[0] < x[1]]
t.eq(overlaps, [], "no digest indexed twice in parallel")

# each shared digest: one delivery indexes on the worker it was routed to, the other waits
# for its lease on its own worker (another one, or the same one in its other job) and
# reports from the shared inventory; an unshared digest: indexed by t1, no wait, no cache
got, want, lags = {}, {}, []
for d in digests:
    first = starts.get(d, [(0, "", -1, "none", 0)])[0]
    x = first[3]
    y = "t2" if x == "t1" else "t1"
    got[d] = ((x, first[2]), waits.get(d, []) and [(n, k) for n, k, _ in waits[d]],
              cached.get(d, []))
    if d in shared:
        want[d] = ((x, route.get((x, d))), [(y, route[(y, d)])], [(y, route[(y, d)])])
        lags += [wt - first[4] for _, _, wt in waits.get(d, [])]
    else:
        want[d] = (("t1", route[("t1", d)]), [], [])
t.eq(got, want, "each shared digest: one index, one waiter on its own worker, "
     "its report from the cached inventory; an unshared one: one index, no wait")
same = sum(1 for d in shared if route[("t1", d)] == route[("t2", d)])
t.true(same >= 1, "some shared digests meet on one worker, in its two jobs")
fresh = {d: tuple((report_of.get((tn, d)) or {}).get("timings_ms", {}).get(x, -1)
                  for x in ("pull", "analyze"))
         for d in shared for tn in ("t1", "t2")
         if any(tn == n for n, _, _ in waits.get(d, []))}
t.eq(fresh, {d: (0, 0) for d in shared}, "every waiter's report: no pull, no analysis")
t.eq({d: report_of.get(("t1", d), {}).get("summary", {}).get("packages") for d in shared},
     {d: 2 for d in shared}, "the shared digests' t1 reports count 2 packages")
t.eq({d: report_of.get(("t2", d), {}).get("summary", {}).get("packages") for d in shared},
     {d: 2 for d in shared}, "the shared digests' t2 reports count 2 packages")
figures["shared digests (on one worker)"] = f"{len(shared)} ({same})"
figures["deliveries that waited for another's index"] = sum(len(v) for v in waits.values())
figures["waiter's lag behind the index start (max)"] = \
    f"{max(lags) * 1000:.0f} ms (index delay {DELAY_MS} ms)" if lags else "none"

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
