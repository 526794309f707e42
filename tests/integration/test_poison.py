#!/usr/bin/python3
"""One poisoned image must never stop the pool (issue 6). A registry holds images whose
package databases and os-release carry bytes that are not UTF-8 (tests/data/images/
badtext-*.json: 0xff in an apk name and version, invalid UTF-8 and a NUL in dpkg fields,
a 200-character multibyte PRETTY_NAME), next to a plain image; a second tenant's findings
topic does not exist. Two workers drain the queue: every image of the first tenant ends
`done` with a report, the flagged packages flagged; the other tenant's request is in the
dead-letter topic with its reason and is not done; both workers are still running, and
every offset of the request topic is committed."""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("poison")
r = h.Run("poison")
# one findings topic per tenant: acme's exists, ghost's does not
r.env["REGSCAN_TOPIC_FINDINGS"] = r.topic("regscan.findings.{tenant}")
r.create_topic(r.topic("regscan.findings.acme"), 3)
FFFD = "\ufffd"

images = {}
for spec, tag in (("badtext-apk", "3.19.1"), ("badtext-dpkg", "12"), ("badtext-osrelease", "12")):
    layout, _ = r.build(spec)
    images[spec] = h.layout_images(layout, tag)["linux/amd64"]["digest"]
    r.push(f"{layout}:{tag}", f"{r.open}/{r.ns}/acme/{spec}:{tag}")
plain = h.dpkg_image_spec(os.path.join(r.tmp, "plain.json"), "plain", [("base-files", "12.4+deb12u5")])
layout = h.build_spec(r, plain, "plain")
images["plain"] = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
r.push(f"{layout}:latest", f"{r.open}/{r.ns}/acme/plain:1")
ghost_spec = h.dpkg_image_spec(os.path.join(r.tmp, "ghost.json"), "ghost", [("tzdata", "2024a-0+deb12u1")])
layout = h.build_spec(r, ghost_spec, "ghost")
ghost = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
r.push(f"{layout}:latest", f"{r.open}/{r.ns}/ghost/app:1")

config = r.tenants_file([
    {"name": "acme", "registries": [r.registry(r.open, repos=[f"{r.ns}/acme/*"])]},
    {"name": "ghost", "registries": [r.registry(r.open, repos=[f"{r.ns}/ghost/*"])]}])
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 5, "five requests: four images of acme, one of ghost")

a = r.start_worker(config, "--concurrency", "2", log_name="worker-a.log")
b = r.start_worker(config, "--concurrency", "2", log_name="worker-b.log")


def all_done():
    return all(r.hgetall(f"done:acme:{d}").get("status") for d in images.values())


deadline = time.time() + 180
while time.time() < deadline and not all_done():
    time.sleep(0.5)
t.true(all_done(), "every image of acme has a done entry")
for name, d in sorted(images.items()):
    t.eq(r.hgetall(f"done:acme:{d}").get("status"), "ok", f"{name}: done ok")

reports = {v["digest"]: v for _, v in r.consume(r.topic("regscan.findings.acme"), want=4, timeout=60)}
t.eq(sorted(reports), sorted(images.values()), "one report per acme image")
for name, d in sorted(images.items()):
    t.eq((reports.get(d) or {}).get("status"), "ok", f"{name}: report ok")
invs = {v["digest"]: v for _, v in r.consume(r.topic("regscan.inventory"), want=4, timeout=60)}
flags = {name: sorted((p["name"], tuple(p.get("flags") or ())) for p in invs.get(d, {}).get("packages", []))
         for name, d in images.items()}
t.eq(flags["badtext-apk"], [("bar\u009b31m", ()), ("foo" + FFFD, ("invalid-utf8",)), ("musl", ())],
     "badtext-apk: 0xff replaced and flagged")
t.eq(flags["badtext-dpkg"], [("archbad", ("invalid-utf8",)), ("base-files", ()), ("nulbad", ("invalid-utf8",)),
                             ("srcbad", ("invalid-utf8",)), ("tzdata", ("invalid-utf8",)),
                             ("verbad", ("invalid-utf8",))],
     "badtext-dpkg: every package kept, the bad ones flagged")
osr = (reports.get(images["badtext-osrelease"]) or {}).get("os") or {}
t.eq((osr.get("pretty_name"), osr.get("flags")), ("\u00e9" * 63, ["invalid-utf8"]),
     "badtext-osrelease: PRETTY_NAME cut on a character boundary, the os flagged")

dl = r.consume(r.topic("regscan.dead-letter"), want=1, timeout=60)
t.eq([(k, v["reason"]) for k, v in dl],
     [(ghost, f"cannot report for tenant 'ghost': kafka topic '{r.topic('regscan.findings.ghost')}' "
              f"does not exist on '{r.brokers}'")],
     "ghost's request is dead-lettered with its reason")
t.eq(r.hgetall(f"done:ghost:{ghost}"), {}, "ghost's digest is not marked done")

t.eq((a.poll(), b.poll()), (None, None), "both workers are still running")
deadline = time.time() + 30
while time.time() < deadline and not r.all_committed(r.topic("regscan.scan-requests")):
    time.sleep(0.5)
t.true(r.all_committed(r.topic("regscan.scan-requests")), "every offset is committed")
for w in (a, b):
    w.send_signal(signal.SIGTERM)
for w in (a, b):
    w.wait(timeout=60)
t.eq((a.returncode, b.returncode), (0, 0), "both exit 0 on SIGTERM")
log = open(a.log_path).read() + open(b.log_path).read()
t.true("not finished" not in log and "worker stopped" not in log, "no request was left unfinished")
t.finish()
