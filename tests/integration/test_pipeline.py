#!/usr/bin/python3
"""End to end on the real services: coordinator → Kafka → two workers → reports and
inventories, with exact content, refs, the done/refs/tag keys, and incremental passes."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("pipeline")
r = h.Run("pipeline")
reg = r.open
ns = r.ns

# ---- seed: the sample images of deploy/local/images, under this run's namespace ----
single, _ = r.build("debian-single")
layers, _ = r.build("debian-layers")
multi, _ = r.build("multiarch")
alpine, _ = r.build("alpine")
notimg, _ = r.build("not-images")
zstd, _ = r.build("tiny-zstd")

img_single = h.layout_images(single, "12")
img_layers = h.layout_images(layers, "3-layers")
img_multi = h.layout_images(multi, "12-multi")
img_alpine = h.layout_images(alpine, "3.19.1")
img_zstd = h.layout_images(zstd, "zstd")
d_single = img_single["linux/amd64"]["digest"]

r.push(f"{single}:12", f"{reg}/{ns}/debian:12")
r.push(f"{single}:12", f"{reg}/{ns}/debian:latest")
r.push(f"{single}:12", f"{reg}/{ns}/mirror/debian:bookworm")   # same digest, second repository
r.push(f"{layers}:3-layers", f"{reg}/{ns}/layers:3")
r.push(f"{multi}:12-multi", f"{reg}/{ns}/multi:12")
r.push(f"{alpine}:3.19.1", f"{reg}/{ns}/alpine:3.19")
r.push(f"{notimg}:sbom", f"{reg}/{ns}/artifacts:sbom")
r.push(f"{notimg}:chart-0.1.0", f"{reg}/{ns}/artifacts:chart-0.1.0")
sig_tag = "sha256-" + d_single.split(":")[1] + ".sig"
r.push(f"{notimg}:sbom", f"{reg}/{ns}/debian:{sig_tag}")             # a cosign-style tag

config = r.tenants_file([{"name": "acme", "registries": [r.registry(reg)]}])

expected = {}
expected.update(h.expected_packages("debian-single", img_single))
expected.update(h.expected_packages("debian-layers", img_layers))
expected.update(h.expected_packages("multiarch", img_multi))
expected.update(h.expected_packages("alpine", img_alpine))
scan_digests = set(expected)
t.eq(len(scan_digests), 5, "five images to scan (the multi-arch index gives two)")

# ---- first pass ----
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 5, "scan": 5, "rematch": 0}, "first pass publishes one request per digest")
t.eq(s["digests"], 7, "digests resolved (5 images, 2 artifacts)")
t.eq(s["repositories"], 6, "repositories")
t.eq(s["tags"], 8, "tags kept (the .sig tag is not one)")
t.eq(s["skipped_by_reason"]["signature"], 1, "cosign signature tag skipped")
t.eq(s["skipped_by_reason"]["helm"], 1, "helm chart skipped")
t.eq(s["skipped_by_reason"]["sbom"] + s["skipped_by_reason"]["artifact"], 1, "sbom artifact skipped")
t.eq(s["errors"], 0, "no errors")

reqs = r.consume(r.topic("regscan.scan-requests"), want=5, timeout=30)
t.eq(sorted(k for k, _ in reqs), sorted(scan_digests), "one request per digest, keyed by digest")
by_digest = {v["digest"]: v for _, v in reqs}
for plat, info in img_multi.items():
    q = by_digest.get(info["digest"], {})
    t.eq(q.get("index_digest"), info["index_digest"], f"index_digest of {plat}")
    want = dict(zip(("os", "architecture", "variant"), plat.split("/")))
    got = {k: v for k, v in q.get("platform", {}).items() if v}
    t.eq(got, want, f"platform of {plat} request")
q = by_digest.get(d_single, {})
t.eq((q.get("schema"), q.get("mode"), q.get("force"), q.get("tenant"), q.get("registry")),
     ("regscan.scan-request/v1", "scan", False, "acme", reg), "request header fields")

# ---- two workers share the work ----
w1 = r.start_worker(config, "--exit-when-idle", "8")
w2 = r.start_worker(config, "--exit-when-idle", "8")
h.wait_all([w1, w2], 180)
t.eq((w1.returncode, w2.returncode), (0, 0), "workers exit 0 when idle")

reports = r.consume(r.topic("regscan.findings"), want=5, timeout=30)
invs = r.consume(r.topic("regscan.inventory"), want=5, timeout=30)
t.eq(sorted(k for k, _ in reports), sorted(f"acme/{d}" for d in scan_digests),
     "one report per digest, keyed tenant/digest")
t.eq(sorted(k for k, _ in invs), sorted(f"acme/{d}" for d in scan_digests), "one inventory per digest")
rep = {v["digest"]: v for _, v in reports}
inv = {v["digest"]: v for _, v in invs}
for d in sorted(scan_digests):
    t.eq(rep.get(d, {}).get("status"), "ok", f"report status of {d}")
    t.eq(h.inventory_rows(inv.get(d, {})), expected[d], f"inventory packages of {d}")
    t.eq(rep.get(d, {}).get("summary", {}).get("packages"), len(expected[d]), f"package count of {d}")
t.eq(rep[d_single]["os"], {"id": "debian", "version_id": "12",
                           "pretty_name": "Debian GNU/Linux 12 (bookworm)", "eol": False, "eol_date": "2028-06-30",
                           "vulnerability_source": "Debian:12", "coverage": None},
     "os of debian-single")
t.eq(rep[img_alpine["linux/amd64"]["digest"]]["os"]["id"], "alpine", "os of alpine")
t.eq(sorted(p["ecosystem"] for p in inv[img_alpine["linux/amd64"]["digest"]]["packages"])[0],
     "Alpine:v3.19", "alpine ecosystem")
t.eq(rep[d_single]["refs"], [
    {"registry": reg, "repository": f"{ns}/debian", "tags": ["12", "latest"]},
    {"registry": reg, "repository": f"{ns}/mirror/debian", "tags": ["bookworm"]},
], "refs list every tag of the digest in every repository")

# the worker that did not get a request still shares the group: both logs show an assignment
for wp in (w1, w2):
    t.true("assigned" in open(wp.log_path).read(), f"{os.path.basename(wp.log_path)} joined and got partitions")
shares = [open(wp.log_path).read().count("reported '") for wp in (w1, w2)]
t.eq(sum(shares), 5, "five reports between the two workers")

# done keys: one per digest, written with the report id that was published
published_ids = {v["report_id"] for _, v in reports}
for d in sorted(scan_digests):
    done = r.hgetall(f"done:acme:{d}")
    t.eq((done.get("status"), done.get("analyzer_version") is not None), ("ok", True), f"done of {d}")
    t.true(done.get("report_id") in published_ids, f"done report_id of {d} was published")
t.eq(r.smembers(f"refs:acme:{d_single}"),
     sorted([f"{reg}/{ns}/debian:12", f"{reg}/{ns}/debian:latest", f"{reg}/{ns}/mirror/debian:bookworm"]),
     "refs key")
t.eq(r.redis("GET", f"{r.prefix}tag:acme:{reg}/{ns}/debian:latest").strip(), d_single, "tag key")
t.eq(r.keys("lease:*"), [], "no lease left behind")
t.eq(r.keys("attempts:*"), [], "no attempts counter left behind")
t.eq(len(r.keys("inv:*")), 5, "one cached inventory per digest")
t.eq(len(r.keys(f"index:{img_multi['linux/amd64']['index_digest']}")), 1, "the index is cached")

# ---- incremental passes ----
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 0, "second pass publishes nothing")
t.eq(s["skipped_by_reason"]["done"], 5, "second pass: 5 digests done")

r.push(f"{zstd}:zstd", f"{reg}/{ns}/zstd:1")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 1, "a new image gives exactly one request")
d_zstd = img_zstd["linux/amd64"]["digest"]
t.eq(r.redis("EXISTS", f"{r.prefix}queued:acme:{d_zstd}").strip(), "1", "the request is marked queued")
p, s = r.coordinator(config)
t.eq((s["published"]["total"], s["skipped_by_reason"]["queued"]), (0, 1),
     "a requested digest not finished yet is not requested again")
w3 = r.start_worker(config, "--exit-when-idle", "5")
h.wait_all([w3], 120)
t.eq(len(r.consume(r.topic("regscan.findings"), want=6, timeout=30)), 6, "the new image is reported")
t.eq(r.keys("queued:*"), [], "queued marks are cleared when requests are done")

r.push(f"{alpine}:3.19.1", f"{reg}/{ns}/alpine:extra")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 0, "a new tag on a done digest gives no request")
d_alpine = img_alpine["linux/amd64"]["digest"]
t.eq(r.smembers(f"refs:acme:{d_alpine}"), sorted([f"{reg}/{ns}/alpine:3.19", f"{reg}/{ns}/alpine:extra"]),
     "refs key lists the new tag")

p, s = r.coordinator(config, "--rescan")
t.eq(s["published"], {"total": 6, "scan": 6, "rematch": 0}, "--rescan republishes every digest")
reqs = r.consume(r.topic("regscan.scan-requests"), want=12, timeout=30)
forced = [v for _, v in reqs if v.get("force")]
t.eq(len(forced), 6, "--rescan requests carry force: true")
t.eq(len(reqs), 12, "requests in all: 5 + 1 + 6")

p, s = r.coordinator(config, "--dry-run")
t.eq(s["published"]["total"], 0, "dry run: every digest is done")
p, s = r.coordinator(config, "--dry-run", "--rescan")
t.eq(s["published"]["total"], 6, "dry run with --rescan: every digest would be published")
reqs2 = r.consume(r.topic("regscan.scan-requests"), want=12, timeout=10, idle=2)
t.eq(len(reqs2), 12, "dry run publishes nothing")
t.true(img_zstd["linux/amd64"]["digest"] in p.stdout, "dry run prints the requests")

# ---- a repository with more tags than one batch (64): every tag resolved and recorded ----
import urllib.request  # noqa: E402
mf_path = os.path.join(alpine, "blobs", "sha256", d_alpine.split(":")[1])
body = open(mf_path, "rb").read()
mt = json.loads(body)["mediaType"]
for i in range(70):
    req = urllib.request.Request(f"http://{reg}/v2/{ns}/alpine/manifests/bulk-{i:02d}", data=body,
                                 method="PUT", headers={"Content-Type": mt})
    urllib.request.urlopen(req, timeout=10).read()
p, s = r.coordinator(config)
t.eq((s["published"]["total"], s["errors"]), (0, 0), "72 tags of a done digest: nothing requested")
t.eq(len(r.smembers(f"refs:acme:{d_alpine}")), 72, "every tag of the 72 is in refs")

# ---- tags.newest: only the N most recently created tags are scanned ----
import json  # noqa: E402
recent = {}
for i, (tag, created) in enumerate([("old", "2024-01-01T00:00:00Z"), ("mid", "2025-06-01T12:00:00+02:00"),
                                     ("new", "2026-11-01T08:30:00.123456789Z")]):
    spec_path = h.dpkg_image_spec(os.path.join(r.tmp, f"recent-{tag}.json"), f"recent-{tag}",
                                  [(f"pkg-{tag}", f"{i}.0-1")], tag=tag)
    spec = json.load(open(spec_path))
    spec["image"]["created"] = created
    json.dump(spec, open(spec_path, "w"))
    lay = h.build_spec(r, spec_path, f"recent-{tag}")
    recent[tag] = h.layout_images(lay, tag)["linux/amd64"]["digest"]
    r.push(f"{lay}:{tag}", f"{reg}/{ns}/recent:{tag}")
cfg_recent = r.tenants_file([{"name": "recent", "registries": [
    r.registry(reg, repos=[f"{ns}/recent"], tags={"newest": 2})]}], name="recent.json")
p, s = r.coordinator(cfg_recent, "--dry-run")
t.eq(s["tags"], 2, "tags.newest 2 keeps two tags")
printed = {json.loads(l)["digest"] for l in p.stdout.splitlines() if l.startswith('{"schema"')}
t.eq(printed, {recent["new"], recent["mid"]}, "the two newest tags by image creation time")

# ---- tags that move or go: refs follow them (tenant "movers", its own refs and tag keys) ----
def small_image(name, tag, pkg):
    spec_path = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name, [(pkg, "1.0-1")], tag=tag)
    lay = h.build_spec(r, spec_path, name)
    return lay, h.layout_images(lay, tag)["linux/amd64"]["digest"]


mv = f"{ns}/moving"
lay_a, d_a = small_image("move-a", "t", "pkg-a")
lay_b, d_b = small_image("move-b", "t", "pkg-b")
lay_c, d_c = small_image("move-c", "gone", "pkg-c")
d_idx = img_multi["linux/amd64"]["index_digest"]
d_plats = sorted(info["digest"] for info in img_multi.values())
r.push(f"{lay_a}:t", f"{reg}/{mv}:t")
r.push(f"{lay_a}:t", f"{reg}/{mv}:a-pin")
r.push(f"{multi}:12-multi", f"{reg}/{mv}:m")
r.push(f"{lay_c}:gone", f"{reg}/{mv}:gone")
cfg_moves = r.tenants_file([
    {"name": "movers", "registries": [r.registry(reg, repos=[mv])]},
    {"name": "many", "registries": [r.registry(reg, repos=[f"{ns}/many"])]},
], name="moves.json")
p, s = r.coordinator(cfg_moves, "--tenant", "movers")
t.eq((s["tags"], s["published"]["total"], s["tags_moved"], s["tags_removed"], s["errors"]), (4, 4, 0, 0, 0),
     "movers pass 1: 4 tags, A + 2 platforms + C requested, nothing moved")
t.eq(r.smembers(f"refs:movers:{d_a}"), [f"{reg}/{mv}:a-pin", f"{reg}/{mv}:t"], "refs of A before the move")
t.eq([r.smembers(f"refs:movers:{d}") for d in d_plats], [[f"{reg}/{mv}:m"]] * 2,
     "refs of the index's platform manifests")
t.eq(r.smembers(f"tags:movers:{reg}/{mv}"), ["a-pin", "gone", "m", "t"], "tags key of the repository")

r.push(f"{lay_b}:t", f"{reg}/{mv}:t")            # t: A -> B
r.push(f"{lay_a}:t", f"{reg}/{mv}:m")            # m: index -> A
r.redis("DEL", f"{r.prefix}index:{d_idx}")       # the old index is read back from the registry
import urllib.request  # noqa: E402
urllib.request.urlopen(urllib.request.Request(f"http://{reg}/v2/{mv}/manifests/{d_c}", method="DELETE"),
                       timeout=10).read()        # C and its tag "gone" leave the registry
p, s = r.coordinator(cfg_moves, "--tenant", "movers")
t.eq((s["tags"], s["published"]["total"], s["tags_moved"], s["tags_removed"], s["errors"]), (3, 1, 2, 1, 0),
     "movers pass 2: B requested, t and m moved, gone removed")
t.eq(r.smembers(f"refs:movers:{d_a}"), [f"{reg}/{mv}:a-pin", f"{reg}/{mv}:m"], "A lost t and gained m")
t.eq(r.smembers(f"refs:movers:{d_b}"), [f"{reg}/{mv}:t"], "B has t")
t.eq([r.smembers(f"refs:movers:{d}") for d in d_plats], [[], []], "the old index's platforms lost m")
t.eq(r.smembers(f"refs:movers:{d_c}"), [], "the deleted image's refs are gone")
t.eq(r.redis("EXISTS", f"{r.prefix}tag:movers:{reg}/{mv}:gone").strip(), "0", "the gone tag's key is deleted")
t.eq(r.redis("GET", f"{r.prefix}tag:movers:{reg}/{mv}:t").strip(), d_b, "tag key of t names B")
t.eq(r.smembers(f"tags:movers:{reg}/{mv}"), ["a-pin", "m", "t"], "tags key without the gone tag")
p, s = r.coordinator(cfg_moves, "--tenant", "movers")
t.eq((s["tags_moved"], s["tags_removed"]), (0, 0), "movers pass 3: nothing moved or gone")
p, s = r.coordinator(cfg_moves, "--tenant", "movers", "--rescan")
t.eq(s["published"]["total"], 2, "--rescan requests A and B (the only tagged digests)")

# ---- a digest with more tags than a request carries (110 > 100) ----
lay_d, d_d = small_image("many-d", "many-000", "pkg-d")
r.push(f"{lay_d}:many-000", f"{reg}/{ns}/many:many-000")
body_d = open(os.path.join(lay_d, "blobs", "sha256", d_d.split(":")[1]), "rb").read()
for i in range(1, 110):
    urllib.request.urlopen(urllib.request.Request(
        f"http://{reg}/v2/{ns}/many/manifests/many-{i:03d}", data=body_d, method="PUT",
        headers={"Content-Type": json.loads(body_d)["mediaType"]}), timeout=10).read()
p, s = r.coordinator(cfg_moves, "--tenant", "many")
t.eq((s["tags"], s["published"]["total"]), (110, 1), "110 tags of one digest: one request")
# the first request went out after the first batch of 64 tags; a --rescan carries all 110
p, s = r.coordinator(cfg_moves, "--tenant", "many", "--rescan")
many_reqs = [v for _, v in r.consume(r.topic("regscan.scan-requests"), want=1, timeout=30)
             if v.get("tenant") == "many"]
t.eq([(len(q["refs"]), len(q["refs"][0]["tags"]), q.get("refs_omitted")) for q in many_reqs],
     [(1, 64, None), (1, 100, 10)], "requests carry the tags known then: 64, then 100 and refs_omitted 10")
t.eq(many_reqs[-1]["refs"][0]["tags"], [f"many-{i:03d}" for i in range(100)],
     "the 100 carried are the first in order")

w4 = r.start_worker(cfg_moves, "--exit-when-idle", "8")
h.wait_all([w4], 240)
t.eq(w4.returncode, 0, "worker for movers and many exits 0")
late = [v for _, v in r.consume(r.topic("regscan.findings"), want=1, timeout=30)
        if v.get("tenant") in ("movers", "many") and v.get("status") == "ok"]
refs_of = {}
for v in late:
    refs_of.setdefault(v["digest"], set()).add(json.dumps(v["refs"]))
t.eq(refs_of.get(d_a), {json.dumps([{"registry": reg, "repository": mv, "tags": ["a-pin", "m"]}])},
     "every report of A lists a-pin and m, not t")
t.eq(refs_of.get(d_b), {json.dumps([{"registry": reg, "repository": mv, "tags": ["t"]}])},
     "every report of B lists t")
rep_d = [v for v in late if v["digest"] == d_d]
t.eq([(len(v["refs"][0]["tags"]), v["refs"][0]["tags"][0], v.get("refs_omitted")) for v in rep_d],
     [(100, "many-000", 10)] * 2, "both reports of the 110-tag digest list 100 tags and refs_omitted 10")
# (the acme --rescan requests above are dead-lettered by this worker: not its tenant)
import base64  # noqa: E402
dead = [json.loads(base64.b64decode(v["original_base64"])).get("tenant")
        for _, v in r.consume(r.topic("regscan.dead-letter"), want=1, timeout=10, idle=2)]
t.eq([d for d in dead if d != "acme"], [], "no request of movers or many went to the dead-letter topic")

r.stop_all()
t.finish()
