#!/usr/bin/python3
"""Base images end to end (docs/contracts.md, "Base images").

A tenant marks `<ns>/base/*` (in its host/repository form) as its base repositories. Two base
images are pushed there: base/alpine:3.18.4 (musl 1.2.4-r2, which ALPINE-CVE-2025-26519 in
tests/data/osv/records affects) and the newer base/alpine:3.18.5 (musl 1.2.4-r3, fixed). The
coordinator records their layer chains (basechain:, basetags:) and the worker their reports'
vulnerability ids (basevulns:). Then an application image whose first layer is exactly
3.18.4's layer, plus a layer with lodash 4.17.20 (GHSA-35jh-r3h4-6jhm), is reported with:
  base = {name base/alpine:3.18.4, its digest, layers 1, source "layers",
          newer = {name base/alpine:3.18.5, its digest, fixes 1}},
  musl's finding origin "base" with remediation "fixed by rebuilding on …:3.18.5; or upgrade …",
  lodash's findings origin "application", summary.base / summary.application counted.
An image with the OCI base annotations and no layer of a base image names the annotation's base
(source "annotation", layers unknown: origins and counts null), in the pipeline and in the
embedded scan; an image that shares no layer with a base image has base null; a base image does
not name itself as its own base.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("base")
r = h.Run("base")
OSV = os.path.join(h.ROOT, "tests", "data", "osv", "records")
WORKER = os.path.join(h.BIN, "regscan-worker")
VULN = "ALPINE-CVE-2025-26519"
LODASH = "GHSA-35jh-r3h4-6jhm"


def alpine_layer(version_id, musl):
    osr = (f'NAME="Alpine Linux"\nID=alpine\nVERSION_ID={version_id}\n'
           f'PRETTY_NAME="Alpine Linux v3.18"\n')
    return {"entries": [
        {"type": "file", "path": "etc/os-release", "text": osr},
        {"type": "file", "path": "lib/apk/db/installed",
         "text": f"P:musl\nV:{musl}\nA:x86_64\no:musl\n\n"}]}


LODASH_LAYER = {"entries": [
    {"type": "file", "path": "app/node_modules/lodash/package.json",
     "text": json.dumps({"name": "lodash", "version": "4.17.20", "license": "MIT"})},
    {"type": "file", "path": "app/package.json",
     "text": json.dumps({"name": "app", "version": "1.0.0", "dependencies": {"lodash": "4.17.20"}})}]}


def build(name, layers, created, annotations=None):
    img = {"os": "linux", "architecture": "amd64", "created": created, "layers": layers}
    if annotations:
        img["annotations"] = annotations
    path = os.path.join(r.tmp, name + ".json")
    json.dump({"name": name, "tag": "1", "image": img}, open(path, "w"))
    layout = h.build_spec(r, path, name)
    info = h.layout_images(layout, "1")["linux/amd64"]
    return layout, info["digest"], info["layers"]


def push(layout, repo, tag):
    r.push(f"{layout}:1", f"{r.open}/{r.ns}/{repo}:{tag}")


old_layout, d_old, old_layers = build("alpine-3.18.4", [alpine_layer("3.18.4", "1.2.4-r2")],
                                      "2023-09-28T00:00:00Z")
new_layout, d_new, _ = build("alpine-3.18.5", [alpine_layer("3.18.5", "1.2.4-r3")],
                             "2023-11-30T00:00:00Z")
app_layout, d_app, app_layers = build("app", [alpine_layer("3.18.4", "1.2.4-r2"), LODASH_LAYER],
                                      "2024-01-10T00:00:00Z")
t.eq(app_layers[0], old_layers[0], "the app's first layer is the old base's layer")
ANN_NAME, ANN_DIGEST = "docker.io/library/alpine:3.18", "sha256:" + "ab" * 32
ann_layout, d_ann, _ = build("annotated", [alpine_layer("3.18.4", "1.2.4-r2"), LODASH_LAYER][::-1],
                             "2024-01-11T00:00:00Z",
                             {"org.opencontainers.image.base.name": ANN_NAME,
                              "org.opencontainers.image.base.digest": ANN_DIGEST})
other_layout, d_other, _ = build("unrelated", [alpine_layer("3.18.9", "1.2.4-r2")],
                                 "2024-01-12T00:00:00Z")

# ---- the embedded scan knows the annotations only ----
p = subprocess.run([WORKER, "scan", f"oci-layout:{ann_layout}:1", "--format", "json", "--vulndb",
                    OSV], env=r.env, capture_output=True, text=True, timeout=120)
rep = json.loads(p.stdout) if p.stdout.strip() else {}
t.eq(rep.get("base"), {"name": ANN_NAME, "digest": ANN_DIGEST, "layers": None,
                       "source": "annotation", "newer": None},
     "embedded scan: the base from the annotations, its layer count unknown")
t.eq(sorted({v["origin"] is None for v in rep.get("vulnerabilities", [])}), [True],
     "embedded scan: no split without the base's layer count")
p = subprocess.run([WORKER, "scan", f"oci-layout:{ann_layout}:1", "--vulndb", OSV], env=r.env,
                   capture_output=True, text=True, timeout=120)
t.true(f"base      {ANN_NAME} (annotation)" in p.stdout, "the table names the base")
p = subprocess.run([WORKER, "scan", f"oci-layout:{app_layout}:1", "--format", "json", "--vulndb",
                    OSV], env=r.env, capture_output=True, text=True, timeout=120)
rep = json.loads(p.stdout) if p.stdout.strip() else {}
t.eq((rep.get("base"), rep.get("summary", {}).get("base"),
      rep.get("summary", {}).get("application")), (None, None, None),
     "embedded scan without annotations: base null, no counts")

# ---- the pipeline ----
store = os.path.join(r.tmp, "vulndb-store")
os.makedirs(store)
src = os.path.join(r.tmp, "osv")
for eco in ("Alpine", "npm"):
    shutil.copytree(os.path.join(OSV, eco), os.path.join(src, eco))
p = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "vulndb", "update", "--source",
                    src, "--store", store], env=r.env, capture_output=True, text=True, timeout=120)
t.eq(p.returncode, 0, "vulndb update")
config = r.tenants_file([{"name": "acme", "base_repositories": [f"{r.open}/{r.ns}/base/*"],
                          "registries": [r.registry(r.open)]}])

# round 1: the base images, recorded by the coordinator and reported by a worker
push(old_layout, "base/alpine", "3.18.4")
push(new_layout, "base/alpine", "3.18.5")
p, s = r.coordinator(config)
t.eq(s["published"]["scan"], 2, "round 1: the two base images are requested")
w = r.start_worker(config, "--exit-when-idle", "6")
h.wait_all([w], 180)

chain = r.hgetall(f"basechain:acme:{old_layers[0][len('sha256:'):]}")
t.eq(chain, {"registry": r.open, "repository": f"{r.ns}/base/alpine", "digest": d_old,
             "n_layers": "1", "created": "2023-09-28T00:00:00Z"},
     "basechain: of 3.18.4 (a one-layer chain is its layer digest)")
tags = r.redis("ZRANGE", f"{r.prefix}basetags:acme:{r.open}/{r.ns}/base/alpine", "0", "-1",
               "WITHSCORES").split()
t.eq(tags, [f"3.18.4@{d_old}", "1695859200", f"3.18.5@{d_new}", "1701302400"],
     "basetags: the tags by created")
old_vulns = json.loads(r.redis("GET", f"{r.prefix}basevulns:acme:{d_old}"))
new_vulns = json.loads(r.redis("GET", f"{r.prefix}basevulns:acme:{d_new}"))
t.true(VULN in old_vulns["ids"] and VULN not in new_vulns["ids"],
       "basevulns: 3.18.4's report has musl's vulnerability, 3.18.5's has not")
t.eq((old_vulns["platform"], old_vulns["vulndb_version"] >= 1), ("linux/amd64", True),
     "basevulns: platform and snapshot")

# round 2: the application images
push(app_layout, "app", "1")
push(ann_layout, "annotated", "1")
push(other_layout, "unrelated", "1")
p, s = r.coordinator(config)
t.eq(s["published"]["scan"], 3, "round 2: the three other images are requested")
w = r.start_worker(config, "--exit-when-idle", "6")
h.wait_all([w], 180)
msgs = r.consume(r.topic("regscan.findings"), want=5, timeout=60)
reps = {d: doc for (_, d), doc in h.newest_complete(h.reassemble(msgs, h.REPORT_ARRAYS)).items()}
t.eq(sorted(reps), sorted([d_old, d_new, d_app, d_ann, d_other]), "five reports")


def findings(rep, package):
    return sorted((v["id"], v["origin"]) for v in rep.get("vulnerabilities", [])
                  if v["package"] == package)


app = reps.get(d_app, {})
NEWER = f"{r.open}/{r.ns}/base/alpine:3.18.5"
t.eq(app.get("base"), {"name": f"{r.open}/{r.ns}/base/alpine:3.18.4", "digest": d_old,
                       "layers": 1, "source": "layers",
                       "newer": {"name": NEWER, "digest": d_new, "fixes": 1}},
     "app: the base by its layers and the newer base tag that fixes its base finding")
t.eq(findings(app, "musl"), [(VULN, "base")], "app: musl's finding comes from the base")
lodash = findings(app, "lodash")
t.true((LODASH, "application") in lodash and {o for _, o in lodash} == {"application"},
       "app: lodash's findings are the application's")
musl = next((v for v in app.get("vulnerabilities", []) if v["package"] == "musl"), {})
t.eq(musl.get("remediation"),
     f"fixed by rebuilding on {NEWER}; or upgrade musl to 1.2.4-r3 or later",
     "app: musl's remediation says rebuilding on the newer base fixes it")
t.eq((app.get("summary", {}).get("base"), app.get("summary", {}).get("application")),
     (1, len(lodash)), "app: summary.base and summary.application")
t.true(all(v["remediation"].startswith("upgrade lodash") for v in app.get("vulnerabilities", [])
           if v["package"] == "lodash"), "app: application findings keep their remediation")

ann = reps.get(d_ann, {})
t.eq(ann.get("base"), {"name": ANN_NAME, "digest": ANN_DIGEST, "layers": None,
                       "source": "annotation", "newer": None},
     "annotated: the base from the annotations, layer count unknown")
t.eq((ann.get("summary", {}).get("base"), sorted({v["origin"] is None
                                                  for v in ann.get("vulnerabilities", [])})),
     (None, [True]), "annotated: no split")
other = reps.get(d_other, {})
t.eq((other.get("base"), other.get("summary", {}).get("base"),
      findings(other, "musl")), (None, None, [(VULN, None)]),
     "unrelated: base null, no origin")
t.eq((reps.get(d_old, {}).get("base"), reps.get(d_new, {}).get("base")), (None, None),
     "a base image does not name itself as its base")

r.stop_all()
t.finish()
