#!/usr/bin/python3
"""A report or inventory larger than the producer's message limit is split into parts,
each a complete JSON document under the limit, with every package exactly once."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("split")
r = h.Run("split")
N = 3000
LIMIT = 200000
pkgs = [(f"lib-generated-package-{i:05d}", f"1:{i}.{i % 7}.{i % 13}-{i % 5}+deb12u1") for i in range(N)]
spec = h.dpkg_image_spec(os.path.join(r.tmp, "big.json"), "big", pkgs)
layout = h.build_spec(r, spec, "big")
digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
r.push(f"{layout}:latest", f"{r.open}/{r.ns}/big:1")
config = r.tenants_file([{"name": "acme", "registries": [r.registry(r.open)]}])
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 1, "one request")
w = r.start_worker(config, "--exit-when-idle", "5", "--kafka-prop", f"message.max.bytes={LIMIT}")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker exits 0")

c = h.Consumer({"bootstrap.servers": r.brokers, "group.id": f"{r.id}-raw",
                "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([r.topic("regscan.inventory")])
raw = []
import time  # noqa: E402
deadline = time.time() + 30
while time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        if raw:
            break
        continue
    if not m.error():
        raw.append(m.value())
c.close()
parts = [json.loads(v) for v in raw]
t.true(len(parts) > 1, f"the inventory is split ({len(parts)} parts)")
t.eq(sorted(p["part"] for p in parts), list(range(1, len(parts) + 1)), "parts numbered 1..n")
t.eq({p["parts"] for p in parts}, {len(parts)}, "every part knows the count")
t.eq(len({(p["scan_id"], p["report_id"], p["digest"], p["tenant"]) for p in parts}), 1,
     "every part carries the same header")
t.true(all(len(v) <= LIMIT for v in raw), "every part is under the producer's limit")
got = sorted((pk["name"], pk["version"]) for p in parts for pk in p["packages"])
t.eq(got, sorted(pkgs), "every package exactly once across the parts")
reports = r.consume(r.topic("regscan.findings"), want=1, timeout=20)
t.eq([(v["status"], v["summary"]["packages"]) for _, v in reports], [("ok", N)], "the report counts every package")
# ---- the same image delivered twice (--rescan, a smaller limit: other part boundaries):
# consumers reassemble by scan_id, never by (report_id, part) ----
p, s = r.coordinator(config, "--rescan")
t.eq(s["published"]["total"], 1, "--rescan: one forced request")
LIMIT2 = 150000
w = r.start_worker(config, "--exit-when-idle", "5", "--kafka-prop", f"message.max.bytes={LIMIT2}")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker exits 0 after the second delivery")
inv_msgs = r.consume(r.topic("regscan.inventory"), want=len(parts) + 2, timeout=30)
asm = h.reassemble(inv_msgs, h.INVENTORY_ARRAYS)
t.eq(len(asm), 2, "two deliveries: two distinct scan_ids")
t.eq([(a["complete"], a["seen"] == list(range(1, a["parts"] + 1)), a["duplicates"]) for a in asm.values()],
     [(True, True, 0)] * 2, "each scan_id complete: parts 1..n, each once")
n_parts = sorted(a["parts"] for a in asm.values())
t.true(n_parts[0] < n_parts[1], f"the smaller limit gives more parts ({n_parts})")
t.eq(len(inv_msgs), sum(n_parts), "every inventory message belongs to one of the two")
for sid, a in sorted(asm.items()):
    t.eq(sorted((pk["name"], pk["version"]) for pk in a["doc"]["packages"]), sorted(pkgs),
         f"scan_id {sid}: the reassembled packages are exactly the image's")
t.eq(len({a["doc"]["report_id"] for a in asm.values()}), 1, "both attempts share one report_id")
# what deduplicating by (report_id, part) alone would build: the first attempt's parts
# 1..n1 and the second's n1+1..n2, whose packages overlap the first's
first = {}
for _, v in inv_msgs:
    first.setdefault((v["report_id"], v["part"]), v)
mixed = sorted((pk["name"], pk["version"]) for v in first.values() for pk in v["packages"])
t.true(len(mixed) > N and mixed != sorted(pkgs),
       f"(report_id, part) mixes the attempts: {len(mixed)} packages for {N}")
newest = h.newest_complete(asm)
t.eq([d["scan_id"] for d in newest.values()], [inv_msgs[-1][1]["scan_id"]],
     "the newest complete scan_id is the second delivery")
rep_asm = h.reassemble(r.consume(r.topic("regscan.findings"), want=2, timeout=20), h.REPORT_ARRAYS)
t.eq(sorted((a["complete"], a["doc"]["summary"]["packages"]) for a in rep_asm.values()),
     [(True, N), (True, N)], "two complete reports, one per scan_id")
t.eq(set(rep_asm), set(asm), "reports and inventories share the scan_ids")

# ---- one package larger than a message part (the longest name and version dpkg allows,
# under a low limit): an error report says so, the worker goes on (no crash, no retry storm) ----
huge = ("p" + "a" * 255, "1:" + "9" * 254)
spec2 = h.dpkg_image_spec(os.path.join(r.tmp, "huge.json"), "huge", [huge, ("zlib1g", "1:1.2.13.dfsg-1")])
lay2 = h.build_spec(r, spec2, "huge")
d_huge = h.layout_images(lay2, "latest")["linux/amd64"]["digest"]
r.push(f"{lay2}:latest", f"{r.open}/{r.ns}/huge:1")
cfg2 = r.tenants_file([{"name": "tiny", "registries": [r.registry(r.open, repos=[f"{r.ns}/huge"])]}],
                      name="tiny.json")
p, s = r.coordinator(cfg2)
t.eq(s["published"]["total"], 1, "one request for tenant tiny")
w = r.start_worker(cfg2, "--exit-when-idle", "5", "--kafka-prop", "message.max.bytes=3000")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker exits 0")
tiny = [v for _, v in r.consume(r.topic("regscan.findings"), want=2, timeout=20) if v["tenant"] == "tiny"]
t.eq([(v["status"], (v.get("error") or {}).get("code"),
       (v.get("error") or {}).get("message", "").startswith("the report cannot be sent")) for v in tiny],
     [("error", "LIMIT_EXCEEDED", True)], "an error report says the report cannot be sent")
done = r.hgetall(f"done:tiny:{d_huge}")
t.eq((done.get("status"), done.get("error_code")), ("error", "LIMIT_EXCEEDED"), "done says error")

r.stop_all()
t.finish()
