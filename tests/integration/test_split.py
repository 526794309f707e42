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
