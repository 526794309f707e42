#!/usr/bin/python3
"""The faults of DESIGN.md §6 on the real services: each gives a clear one-line error naming
what failed, the documented exit code or an exact error report, no crash, no hang, and nothing
marked done that was not scanned (no `lease:` left, no ok `done` for a failed image)."""

import base64
import copy
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("faults")
r = h.Run("faults")
ns = r.ns
STATE_DIR = os.environ.get("REGSCAN_STATE_DIR", os.path.join(h.ROOT, ".state"))
BLOBS = os.path.join(STATE_DIR, "registry-open", "data", "docker", "registry", "v2", "blobs",
                     "sha256")
GZIP_MT = "application/vnd.oci.image.layer.v1.tar+gzip"
open_config = r.tenants_file([{"name": "acme", "registries": [r.registry(r.open)]}])


def run(prog, *args, env=None, timeout=60):
    """Runs a program to its end; returns (exit code, stdout, stderr, seconds)."""
    e = dict(r.env)
    e.update(env or {})
    t0 = time.time()
    p = subprocess.run([os.path.join(h.BIN, prog), *args], env=e, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr, time.time() - t0


def error_lines(stderr):
    return [l for l in stderr.splitlines() if " error " in l]


# ================= A. Kafka unreachable =================
for prog, args in (("regscan-coordinator", ["--config", open_config]),
                   ("regscan-worker", ["--config", open_config, "--exit-when-idle", "3"])):
    rc, out, err, secs = run(prog, *args, env={"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1"})
    t.eq(rc, 3, f"{prog}: wrong Kafka address exits 3")
    t.true(secs < 20, f"{prog}: gives up on Kafka within 20 s (took {secs:.1f} s)")
    last = error_lines(err)[-1:] or [""]
    t.true("cannot reach kafka at '127.0.0.1:1'" in last[0],
           f"{prog}: the last error line names the brokers: {last[0]!r}")

# ================= B. Redis unreachable =================
for prog, args in (("regscan-coordinator", ["--config", open_config]),
                   ("regscan-worker", ["--config", open_config, "--exit-when-idle", "3"])):
    rc, out, err, secs = run(prog, *args, env={"REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0"})
    t.eq(rc, 3, f"{prog}: Redis down exits 3")
    t.true(secs < 20, f"{prog}: gives up on Redis within 20 s (took {secs:.1f} s)")
    t.eq(len([l for l in error_lines(err) if "cannot connect to redis at '127.0.0.1:1/0'" in l]), 1,
         f"{prog}: one error line names Redis and its address")

# ================= C. a registry that does not answer =================
dead_config = r.tenants_file([{"name": "acme", "registries": [
    {"url": "http://127.0.0.1:1", "auth": {"type": "none"}}]}], name="dead.json")
p, s = r.coordinator(dead_config, check=False)
t.eq(p.returncode, 3, "unreachable registry: coordinator exits 3")
t.eq(((s or {}).get("errors"), (s or {}).get("published", {}).get("total")), (1, 0),
     "unreachable registry: summary errors=1, nothing published")
t.eq(len([l for l in error_lines(p.stderr) if "'127.0.0.1:1'" in l]), 1,
     "unreachable registry: one error line names it")

# ================= D. tenants file errors (exit 2, the message names the key) =================
missing = os.path.join(r.tmp, "no-such-tenants.json")
unknown = r.tenants_file([{"name": "acme", "registries": [dict(r.registry(r.open), colour="blue")]}],
                         name="unknown-key.json")
noenv = r.tenants_file([{"name": "acme", "registries": [r.registry(r.basic or r.open, auth={
    "type": "basic", "username": "u", "password_env": "RS_IT_UNSET_" + r.id.replace("-", "_")})]}],
    name="no-env.json")
cases = [(missing, f"cannot read '{missing}'"),
         (unknown, "tenants[0].registries[0].colour: unknown key"),
         (noenv, "tenants[0].registries[0].auth.password_env: variable 'RS_IT_UNSET_")]
for path, want in cases:
    for prog in ("regscan-coordinator", "regscan-worker"):
        rc, out, err, secs = run(prog, "--config", path)
        t.eq(rc, 2, f"{prog} {os.path.basename(path)}: exit 2")
        errs = error_lines(err)
        t.eq(len(errs), 1, f"{prog} {os.path.basename(path)}: one error line")
        t.true(errs and want in errs[0], f"{prog} {os.path.basename(path)}: names '{want}': {errs}")


# ================= E. faults in the registry, one pass and one worker =================

def unique_spec(tag, compression="gzip"):
    """debian-single with one more file naming this run and `tag`: its own layer and config
    digests, so corrupting its blobs in the registry touches no other image."""
    with open(os.path.join(h.IMAGES, "debian-single.json")) as f:
        spec = json.load(f)
    spec["tag"] = tag
    for layer in spec["image"]["layers"]:
        layer["compression"] = compression
        for e in layer["entries"]:
            if "source" in e:
                with open(os.path.join(h.IMAGES, e.pop("source")), "rb") as f:
                    e["base64"] = base64.b64encode(f.read()).decode()
        layer["entries"].append({"type": "file", "path": "etc/regscan-test",
                                 "text": f"{r.id} {tag}\n"})
    path = os.path.join(r.tmp, f"spec-{tag}.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    out = os.path.join(r.tmp, f"layout-{tag}")
    subprocess.run(["/usr/bin/python3", h.MKIMAGE, "build", path, out], check=True,
                   capture_output=True)
    return out


def put_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def read_blob(layout, digest):
    with open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


def replace_layer(layout, data, media_type):
    """Replaces the only layer of the layout's only image by `data`, declared `media_type`."""
    with open(os.path.join(layout, "index.json")) as f:
        idx = json.load(f)
    desc = idx["manifests"][0]
    m = json.loads(read_blob(layout, desc["digest"]))
    m["layers"][0]["digest"], m["layers"][0]["size"] = put_blob(layout, data)
    m["layers"][0]["mediaType"] = media_type
    desc["digest"], desc["size"] = put_blob(layout, json.dumps(m, sort_keys=True).encode())
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(idx, f)


def image_of(layout, tag):
    return h.layout_images(layout, tag)["linux/amd64"]


def registry_put_manifest(repo, ref, manifest):
    req = urllib.request.Request(f"http://{r.open}/v2/{repo}/manifests/{ref}",
                                 data=json.dumps(manifest).encode(), method="PUT",
                                 headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get("Docker-Content-Digest")
    except urllib.error.HTTPError as e:
        return e.code, None


# the control image (also the good request after the poison messages)
alpine, _ = r.build("alpine")
good = image_of(alpine, "3.19.1")
r.push(f"{alpine}:3.19.1", f"{r.open}/{ns}/good:1")

# deleted between listing and scanning
single, _ = r.build("debian-single")
gone = image_of(single, "12")
r.push(f"{single}:12", f"{r.open}/{ns}/gone:1")

# digest mismatch: the stored layer blob is changed after the push, (1) in the gzip header's
# mtime (still inflates to the same tar) and (2) in the middle of the deflate data
mismatch = {}
for kind in ("header", "deflate"):
    lay = unique_spec(f"mismatch-{kind}")
    mismatch[kind] = image_of(lay, f"mismatch-{kind}")
    r.push(f"{lay}:mismatch-{kind}", f"{r.open}/{ns}/mismatch-{kind}:1")

# bad gzip: layers declared tar+gzip whose bytes are a broken gzip stream or not gzip at all
# (valid digests, so the content itself is what is wrong)
base_lay = unique_spec("bad-gzip")
gz = read_blob(base_lay, image_of(base_lay, "bad-gzip")["layers"][0])
bad_layers = {
    "broken-deflate": gz[:10] + bytes(b ^ 0x55 for b in gz[10:60]) + gz[60:],
    "not-gzip": b"this is neither gzip nor tar\n" * 64,
    "truncated": gz[:len(gz) // 2],
}
badgz = {}
for kind, data in bad_layers.items():
    lay = os.path.join(r.tmp, f"layout-badgz-{kind}")
    shutil.copytree(base_lay, lay)
    replace_layer(lay, data, GZIP_MT)
    badgz[kind] = image_of(lay, "bad-gzip")
    r.push(f"{lay}:bad-gzip", f"{r.open}/{ns}/badgz-{kind}:1")

# an uncompressed tar declared tar+gzip: read by its bytes, as containerd and Docker unpack it
plain_lay = unique_spec("plain-as-gzip", compression="none")
replace_layer(plain_lay, read_blob(plain_lay, image_of(plain_lay, "plain-as-gzip")["layers"][0]),
              GZIP_MT)
plain = image_of(plain_lay, "plain-as-gzip")
r.push(f"{plain_lay}:plain-as-gzip", f"{r.open}/{ns}/plain-as-gzip:1")
plain_expected = h.expected_packages("debian-single", {"linux/amd64": plain})[plain["digest"]]

# malformed manifests put through the registry API: a bad layer digest is refused by the
# registry; a wrong or negative layer size is accepted, so regscan must catch it
r.push(f"{single}:12", f"{r.open}/{ns}/malformed:base")
base_manifest = json.loads(read_blob(single, gone["digest"]))
m_bad = copy.deepcopy(base_manifest)
m_bad["layers"][0]["digest"] = "sha256:zzzz"
status, _ = registry_put_manifest(f"{ns}/malformed", "bad-digest", m_bad)
t.true(status >= 400, f"the registry refuses a manifest with a bad layer digest ({status})")
m_size = copy.deepcopy(base_manifest)
m_size["layers"][0]["size"] = 12
status, wrong_size_digest = registry_put_manifest(f"{ns}/malformed", "wrong-size", m_size)
t.eq(status, 201, "the registry accepts a manifest whose layer size is wrong")
m_neg = copy.deepcopy(base_manifest)
m_neg["layers"][0]["size"] = -5
status, neg_size_digest = registry_put_manifest(f"{ns}/malformed", "negative-size", m_neg)
t.eq(status, 201, "the registry accepts a manifest with a negative layer size")

# poison messages, keyed like the good request so they sit before it in its partition
garbage = b"\x00\xff{not json at all\x80"
wrong_schema = json.dumps({"schema": "regscan.image-report/v1", "tenant": "acme",
                           "digest": good["digest"]}).encode()
wrong_types = json.dumps({"schema": "regscan.scan-request/v1", "mode": "scan", "tenant": 42,
                          "registry": r.open, "repository": f"{ns}/good",
                          "digest": good["digest"]}).encode()
poison = [garbage, wrong_schema, wrong_types]
prod = Producer({"bootstrap.servers": r.brokers})
for v in poison:
    prod.produce(r.topic("regscan.scan-requests"), key=good["digest"], value=v)
prod.flush(10)

# corrupt the stored blobs of the mismatch images (kept to be restored at the end)
saved = {}


def corrupt(layer_digest, mutate):
    hexd = layer_digest.split(":", 1)[1]
    path = os.path.join(BLOBS, hexd[:2], hexd, "data")
    with open(path, "rb") as f:
        data = f.read()
    saved[path] = data
    with open(path, "wb") as f:
        f.write(mutate(bytearray(data)))


def flip(offset_of):
    def m(b):
        i = offset_of(b)
        b[i] ^= 0x01
        return bytes(b)
    return m


try:
    corrupt(mismatch["header"]["layers"][0], flip(lambda b: 4))          # gzip MTIME byte
    corrupt(mismatch["deflate"]["layers"][0], flip(lambda b: len(b) // 2))

    p, s = r.coordinator(open_config, check=False)
    scanned = [good, gone, mismatch["header"], mismatch["deflate"], badgz["broken-deflate"],
               badgz["not-gzip"], badgz["truncated"], plain]
    t.eq(p.returncode, 0, "the pass completes (a broken image is counted, not fatal)")
    t.eq(s["published"], {"total": len(scanned) + 1, "scan": len(scanned) + 1, "rematch": 0},
         "one request per image, the wrong-size manifest included")
    t.eq(s["errors"], 1, "the negative-size manifest is the pass's one error")
    neg_lines = [l for l in p.stderr.splitlines() if neg_size_digest in l]
    t.eq(len(neg_lines), 1, "one line names the image with the negative layer size")
    t.true(neg_lines and f"{ns}/malformed" in neg_lines[0] and "layers[0].size" in neg_lines[0],
           f"that line names the repository and the bad field: {neg_lines}")

    # delete 'gone' between listing and scanning (the open registry has deletes enabled)
    req = urllib.request.Request(f"http://{r.open}/v2/{ns}/gone/manifests/{gone['digest']}",
                                 method="DELETE")
    with urllib.request.urlopen(req, timeout=10) as resp:
        t.eq(resp.status, 202, "manifest deleted through the registry API")

    w = r.start_worker(open_config, "--exit-when-idle", "6")
    h.wait_all([w], 150)
    t.eq(w.returncode, 0, "the worker survives every fault and exits 0 when idle")
finally:
    for path, data in saved.items():
        with open(path, "wb") as f:
            f.write(data)

reports = r.consume(r.topic("regscan.findings"), want=len(scanned) + 1, timeout=30)
invs = r.consume(r.topic("regscan.inventory"), want=2, timeout=10)
rep = {v["digest"]: v for _, v in reports}
t.eq(len(reports), len(scanned) + 1, "one report per request")


def check_error(img_digest, code, what, *in_message):
    v = rep.get(img_digest, {})
    t.eq((v.get("status"), v.get("error", {}).get("code")), ("error", code),
         f"{what}: report status error, code {code}")
    for s_ in in_message:
        t.true(s_ in v.get("error", {}).get("message", ""),
               f"{what}: message names {s_!r}: {v.get('error', {}).get('message')!r}")
    done = r.hgetall(f"done:acme:{img_digest}")
    t.eq((done.get("status"), done.get("error_code")), ("error", code), f"{what}: done status error")
    t.eq(r.keys(f"inv:{img_digest}"), [], f"{what}: no cached inventory")


check_error(gone["digest"], "MANIFEST_UNKNOWN", "deleted image", f"{ns}/gone")
check_error(mismatch["header"]["digest"], "DIGEST_MISMATCH", "changed gzip header",
            mismatch["header"]["layers"][0])
check_error(mismatch["deflate"]["digest"], "DIGEST_MISMATCH", "changed deflate data",
            mismatch["deflate"]["layers"][0])
for kind in bad_layers:
    check_error(badgz[kind]["digest"], "INVALID", f"bad gzip ({kind})", badgz[kind]["layers"][0])
check_error(wrong_size_digest, "INVALID", "wrong layer size", gone["layers"][0], "12")

for img, what in ((good, "control image"), (plain, "tar declared tar+gzip")):
    t.eq(rep.get(img["digest"], {}).get("status"), "ok", f"{what}: report ok")
    t.eq(r.hgetall(f"done:acme:{img['digest']}").get("status"), "ok", f"{what}: done ok")
inv = {v["digest"]: v for _, v in invs}
t.eq(sorted(inv), sorted([good["digest"], plain["digest"]]), "inventories only for scanned images")
t.eq(h.inventory_rows(inv.get(plain["digest"], {})), plain_expected,
     "tar declared tar+gzip: exact packages")
t.eq(r.hgetall(f"done:acme:{neg_size_digest}"), {}, "negative size: no done entry")
oks = sorted(k for k in r.keys("done:*") if r.redis("HGET", k, "status").strip() == "ok")
t.eq(oks, sorted(f"{r.prefix}done:acme:{d}" for d in (good["digest"], plain["digest"])),
     "the only ok done entries are the two scanned images")
t.eq(r.keys("lease:*"), [], "no lease left")
t.eq(r.keys("attempts:*"), [], "no attempts counter left")

# poison messages: dead-lettered with the reason and the original bytes; offsets advance
dl = r.consume(r.topic("regscan.dead-letter"), want=len(poison), timeout=20)
t.eq(len(dl), len(poison), "every undecodable message is dead-lettered")
by_orig = {}
for key, v in dl:
    if isinstance(v, dict):
        by_orig[base64.b64decode(v.get("original_base64", ""))] = (key, v)
t.eq(sorted(by_orig), sorted(poison), "dead letters carry the original bytes")
for raw, want in ((garbage, "invalid scan request: not JSON"),
                  (wrong_schema, "invalid scan request:"),
                  (wrong_types, "invalid scan request: 'tenant' is not a string")):
    key, v = by_orig.get(raw, (None, {}))
    t.eq((key, v.get("schema"), v.get("topic")),
         (good["digest"], "regscan.dead-letter/v1", r.topic("regscan.scan-requests")),
         f"dead letter of {raw[:24]!r}: key, schema, topic")
    t.true(v.get("reason", "").startswith(want), f"dead letter reason: {v.get('reason')!r}")
t.true("schema" in by_orig.get(wrong_schema, (None, {}))[1].get("reason", ""),
       "the wrong schema's reason names the schema")
log = open(w.log_path).read()
t.eq(log.count("sent to the dead-letter topic"), len(poison), "the worker logs each dead letter")

c = Consumer({"bootstrap.servers": r.brokers, "group.id": r.env["REGSCAN_GROUP"],
              "enable.auto.commit": False})
topic = r.topic("regscan.scan-requests")
parts = c.list_topics(topic, timeout=10).topics[topic].partitions
lag = {}
for tp in c.committed([TopicPartition(topic, i) for i in parts], timeout=10):
    lo, hi = c.get_watermark_offsets(tp, timeout=10)
    if hi > 0 and tp.offset != hi:
        lag[tp.partition] = (tp.offset, hi)
c.close()
t.eq(lag, {}, "committed offsets reached the end of every partition")

# ================= F. an invalid manifest in an OCI layout (embedded mode) =================
bad_lay = os.path.join(r.tmp, "layout-bad-manifest")
shutil.copytree(single, bad_lay)
with open(os.path.join(bad_lay, "index.json")) as f:
    idx = json.load(f)
m = json.loads(read_blob(bad_lay, idx["manifests"][0]["digest"]))
m["layers"][0]["digest"] = "sha256:zzzz"
idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = put_blob(bad_lay, json.dumps(m).encode())
with open(os.path.join(bad_lay, "index.json"), "w") as f:
    json.dump(idx, f)
rc, out, err, secs = run("regscan-worker", "scan", f"oci-layout:{bad_lay}:12")
t.eq(rc, 4, "embedded scan of an invalid manifest exits 4")
errs = error_lines(err)
t.eq(len(errs), 1, "one error line")
t.true(errs and f"oci-layout:{bad_lay}:12" in errs[0] and "layers[0].digest" in errs[0],
       f"the line names the image and the bad field: {errs}")
t.eq(out, "", "nothing on stdout")

r.stop_all()
t.finish()
