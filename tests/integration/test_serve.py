#!/usr/bin/python3
"""`regscan-coordinator serve` on the real services: images pushed to the token-auth registry
(:5002, Docker token service), then ACR webhook calls and Event Grid deliveries posted to the
coordinator. Exact outcomes: each push gives exactly the requests a pass gives for that tag
(same content, compared with a real pass into a topic of its own), within one second of the
POST (Kafka's message timestamp); an index gives one request per platform; the validation and
CloudEvents handshakes answer; a wrong or missing secret is 401 and publishes nothing; garbage
is 400/413 and the server lives on; deletes forget tags (Redis keys asserted) and give a digest
no tag points to its tombstone; the secret is in no log line and no message."""

import atexit
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402
from confluent_kafka import Consumer  # noqa: E402

t = h.Checks("serve")
r = h.Run("serve")
atexit.register(r.stop_all)   # no serve left running when a check raises
if not (r.token and r.user and r.password):
    print("skipped: the token-auth registry is not configured")
    sys.exit(h.SKIP)
reg, ns = r.token, r.ns
SECRET = "whs-" + uuid.uuid4().hex
TOPIC = r.topic("regscan.scan-requests")

# ---- images: a single-platform image in two repositories, another, a multi-arch index ----
single, _ = r.build("debian-single")
alpine, _ = r.build("alpine")
multi, _ = r.build("multiarch")
zstd, _ = r.build("tiny-zstd")
d_web = h.layout_images(single, "12")["linux/amd64"]["digest"]
d_api = h.layout_images(alpine, "3.19.1")["linux/amd64"]["digest"]
img_multi = h.layout_images(multi, "12-multi")
d_index = img_multi["linux/amd64"]["index_digest"]
d_zstd = h.layout_images(zstd, "zstd")["linux/amd64"]["digest"]
creds = f"{r.user}:{r.password}"
r.push(f"{single}:12", f"{reg}/{ns}/web:1", creds=creds)
r.push(f"{alpine}:3.19.1", f"{reg}/{ns}/api:2", creds=creds)
r.push(f"{multi}:12-multi", f"{reg}/{ns}/multi:3", creds=creds)

auth = {"type": "basic", "username": r.user, "password_env": "RS_IT_PW"}
config = r.tenants_file([
    {"name": "acme", "registries": [r.registry(reg, auth=auth, tags={"exclude": ["*-dev"]})],
     "webhook_secret_env": "RS_IT_WEBHOOK"},
    {"name": "quiet", "registries": [r.registry(reg, auth=auth)]},
])
env = dict(r.env, RS_IT_PW=r.password, RS_IT_WEBHOOK=SECRET)

# ---- what a pass publishes for these images: a real pass, own Redis prefix and topic ----
ref_topic = r.topic("reference-requests")
r.create_topic(ref_topic, 1)
p = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "--config", config, "--json",
                    "--tenant", "acme"],
                   env=dict(env, REGSCAN_REDIS_PREFIX=r.prefix + "ref:",
                            REGSCAN_TOPIC_REQUESTS=ref_topic),
                   capture_output=True, text=True, timeout=120)
t.eq(p.returncode, 0, "the reference pass runs")
reference = {v["digest"]: v for _, v in r.consume(ref_topic, want=4, timeout=30, idle=1)}
t.eq(sorted(reference), sorted([d_web, d_api] + [i["digest"] for i in img_multi.values()]),
     "the reference pass requests the four images")


def comparable(msg):
    return {k: v for k, v in msg.items() if k not in ("batch_id", "requested_at")}


# ---- serve ----
log_path = os.path.join(r.tmp, "serve.log")
log = open(log_path, "w")
srv = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "serve", "--config", config,
                        "--listen", "127.0.0.1:0"], env=env, stdout=log, stderr=subprocess.STDOUT)
r.procs.append(srv)
port = None
deadline = time.time() + 30
while port is None and time.time() < deadline and srv.poll() is None:
    m = re.search(r"listening on '127\.0\.0\.1:0' \(port (\d+)\)", open(log_path).read())
    port = int(m.group(1)) if m else None
    time.sleep(0.1)
if port is None:
    print(open(log_path).read()[-3000:])
    raise RuntimeError("serve did not start")
BASE = f"http://127.0.0.1:{port}"


LAST = {}


def call(path, body=None, method="POST", headers=None, raw=None):
    """(status, parsed JSON or text, response headers, seconds since the epoch at the call)"""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    at = time.time()
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, text, hdrs = resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as e:
        status, text, hdrs = e.code, e.read().decode(), e.headers
    LAST["answered_s"] = time.time() - at
    try:
        return status, json.loads(text), hdrs, at
    except ValueError:
        return status, text, hdrs, at


BEARER = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
reader = Consumer({"bootstrap.servers": r.brokers, "group.id": f"{r.id}-serve-reader",
                   "auto.offset.reset": "earliest", "enable.auto.commit": False})
reader.subscribe([TOPIC])


def read_new(want, wait):
    """The next messages of the requests topic: [(key, value, timestamp in s)], until `want`
    arrived and one idle second passed, or `wait` seconds."""
    out, end = [], time.time() + wait
    while time.time() < end:
        m = reader.poll(0.3)
        if m is None:
            if len(out) >= want and want:
                end = min(end, time.time() + 1.0)
            continue
        if not m.error():
            out.append((m.key().decode(), json.loads(m.value()), m.timestamp()[1] / 1000.0))
    return out


def acr_push(repo, tag, digest, host=reg):
    return {"id": str(uuid.uuid4()), "timestamp": "2026-12-07T05:00:00Z", "action": "push",
            "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1,
                       "digest": digest, "length": 1, "repository": repo, "tag": tag},
            "request": {"id": "r1", "host": host, "method": "PUT", "useragent": "test"}}


def eg_event(kind, data):
    return {"id": str(uuid.uuid4()), "topic": "/subscriptions/s/resourceGroups/g",
            "subject": "x", "eventType": f"Microsoft.ContainerRegistry.{kind}",
            "eventTime": "2026-12-07T05:00:00Z", "data": data, "dataVersion": "1.0",
            "metadataVersion": "1"}


t.eq(call("/healthz", method="GET")[:2], (200, {"status": "ok"}), "GET /healthz")
t.eq(read_new(0, 2), [], "nothing on the topic before the first call")

# ---- an ACR webhook push: one request within a second, equal to the pass's ----
st, body, _, at = call(f"/webhooks/acr/acme", acr_push(f"{ns}/web", "1", d_web), headers=BEARER)
t.eq((st, body.get("published"), body.get("errors")), (200, 1, 0), "ACR push answered 200")
t.true(LAST["answered_s"] < 1.0, f"ACR push acknowledged within one second ({LAST['answered_s']:.3f} s)")
msgs = read_new(1, 10)
t.eq([k for k, _, _ in msgs], [d_web], "ACR push: exactly one request, keyed by the digest")
if msgs:
    t.eq(comparable(msgs[0][1]), comparable(reference[d_web]), "ACR push: the pass's request")
    lat = msgs[0][2] - at
    print(f"ACR webhook: POST -> message timestamp {lat * 1000:.0f} ms")
    t.true(lat < 1.0, f"ACR push requested within one second ({lat:.3f} s)")
t.eq(r.redis("GET", f"{r.prefix}tag:acme:{reg}/{ns}/web:1").strip(), d_web, "tag: recorded")
t.eq(r.redis("EXISTS", f"{r.prefix}queued:acme:{d_web}").strip(), "1", "queued: set as a pass does")

# ---- an Event Grid delivery: an image and an index (one request per platform) ----
events = [eg_event("ImagePushed", acr_push(f"{ns}/api", "2", d_api)),
          eg_event("ImagePushed", acr_push(f"{ns}/multi", "3", d_index))]
st, body, _, at = call(f"/webhooks/eventgrid/acme?code={SECRET}", events)
t.eq((st, body.get("events"), body.get("published")), (200, 2, 3), "Event Grid answered 200")
t.true(LAST["answered_s"] < 1.0, f"Event Grid acknowledged within one second ({LAST['answered_s']:.3f} s)")
msgs = read_new(3, 10)
want = sorted([d_api] + [i["digest"] for i in img_multi.values()])
t.eq(sorted(k for k, _, _ in msgs), want, "Event Grid: one request per image, the index expanded")
for k, v, ts in msgs:
    t.eq(comparable(v), comparable(reference.get(k, {})), f"Event Grid: the pass's request {k}")
    print(f"Event Grid: POST -> message timestamp {(ts - at) * 1000:.0f} ms")
    t.true(ts - at < 1.0, f"Event Grid push requested within one second ({ts - at:.3f} s)")

# a push of what is requested already: skipped as the pass skips it (queued)
st, body, _, _ = call(f"/webhooks/acr/acme", acr_push(f"{ns}/web", "1", d_web), headers=BEARER)
t.eq((st, body.get("published"), body.get("skipped")), (200, 0, 1), "a queued digest: skipped")

# a tag the registry's filters exclude: nothing requested, nothing recorded
r.push(f"{zstd}:zstd", f"{reg}/{ns}/z:1-dev", creds=creds)
st, body, _, _ = call("/webhooks/acr/acme", acr_push(f"{ns}/z", "1-dev", d_zstd), headers=BEARER)
t.eq((st, body.get("published"), body.get("not_selected")), (200, 0, 1), "an excluded tag")
t.eq(r.redis("EXISTS", f"{r.prefix}tag:acme:{reg}/{ns}/z:1-dev").strip(), "0",
     "an excluded tag is not recorded")

# ---- handshakes ----
code = str(uuid.uuid4())
val = [{"id": "v1", "topic": "/t", "subject": "", "data": {"validationCode": code,
        "validationUrl": "https://127.0.0.1/validate"},
        "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
        "eventTime": "2026-12-07T05:00:00Z", "metadataVersion": "1", "dataVersion": "2"}]
st, body, _, _ = call(f"/webhooks/eventgrid/acme?code={SECRET}", val,
                      headers={"aeg-event-type": "SubscriptionValidation"})
t.eq((st, body), (200, {"validationResponse": code}), "Event Grid validation answers the code")
st, _, hdrs, _ = call(f"/webhooks/eventgrid/acme?code={SECRET}", method="OPTIONS",
                      headers={"WebHook-Request-Origin": "eventgrid.azure.net"})
t.eq((st, hdrs.get("WebHook-Allowed-Origin")), (200, "eventgrid.azure.net"),
     "CloudEvents abuse protection: the origin is allowed")

# ---- wrong or missing secrets: 401, nothing published ----
r.push(f"{zstd}:zstd", f"{reg}/{ns}/z:1", creds=creds)
z_push = acr_push(f"{ns}/z", "1", d_zstd)
bad = [("/webhooks/acr/acme", {"Authorization": "Bearer wrong"}),
       ("/webhooks/acr/acme", {}),
       ("/webhooks/acr/acme", {"Authorization": f"Bearer {SECRET}x"}),
       (f"/webhooks/acr/acme?code={SECRET}", {}),   # ?code= is for Event Grid only
       ("/webhooks/eventgrid/acme?code=wrong", {}),
       ("/webhooks/eventgrid/acme", {"Authorization": f"Basic {SECRET}"})]
for path, hd in bad:
    payload = z_push if "acr" in path else [eg_event("ImagePushed", z_push)]
    st, body, _, _ = call(path, payload, headers=hd)
    t.eq((st, body), (401, {"error": "unauthorized"}), f"401 for {path.split('?')[0]} {list(hd)}")
st, body, _, _ = call("/webhooks/acr/quiet", z_push, headers=BEARER)
t.eq(st, 404, "a tenant without a webhook secret has no webhooks")
st, body, _, _ = call("/webhooks/acr/nobody", z_push, headers=BEARER)
t.eq(st, 404, "an unknown tenant")
st, body, _, _ = call("/webhooks/acr/acme", acr_push(f"{ns}/z", "1", d_zstd, host="127.0.0.1:1"),
                      headers=BEARER)
t.eq((st, body), (404, {"error": "the registry is not one of the tenant's"}),
     "a host that is not the tenant's registry: 404")
t.eq(read_new(0, 4), [], "no message after 401s and 404s (4 s consumed)")
t.eq(r.redis("EXISTS", f"{r.prefix}tag:acme:{reg}/{ns}/z:1").strip(), "0", "nothing recorded")

# ---- garbage: 400 / 413 / 405, and the server lives on ----
garbage = [(b"not json", 400, "the body is not JSON (line 1 column 3)"),
           (b"{\"action\":\"push\",\"target\":[],\"request\":{}}", 400,
            "webhook.target is missing or not an object"),
           (json.dumps(acr_push("../etc", "1", d_zstd)).encode(), 400,
            "webhook.target.repository is not valid"),
           (json.dumps(acr_push(f"{ns}/z", "1", "sha256:123")).encode(), 400,
            "webhook.target.digest is not a sha256 digest"),
           (b"\xff\xfe{}", 400, None),
           (b"{" * 100000, 400, None)]
for raw, status, err in garbage:
    st, body, _, _ = call("/webhooks/acr/acme", raw=raw, headers=BEARER)
    t.eq(st, status, f"garbage {raw[:20]!r}: {status}")
    if err:
        t.eq(body, {"error": err}, f"garbage {raw[:20]!r}: the error names the field")
# a body over 1 MiB: refused from its Content-Length before it is sent
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    s.sendall(f"POST /webhooks/acr/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\n"
              f"Content-Length: {2 * 1024 * 1024}\r\n\r\n".encode() + b" " * 4096)
    answer = s.recv(4096).decode(errors="replace")
t.true(answer.startswith("HTTP/1.1 413"), f"a 2 MiB body: 413 ({answer[:20]!r})")
t.true(answer.endswith('{"error":"request body too large"}'), "413 names the cause")
# a chunked body that grows past 1 MiB: the connection is closed
with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
    s.sendall(f"POST /webhooks/acr/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\r\n"
              "Transfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"100000\r\n" + b" " * 0x100000 + b"\r\n"
    closed = False
    try:
        for _ in range(3):
            s.sendall(chunk)
        closed = s.recv(4096) == b""
    except OSError:
        closed = True
t.true(closed, "a chunked body over 1 MiB: the connection is closed")
st, body, _, _ = call("/webhooks/eventgrid/acme", raw=b'{"eventType": 3}', headers=BEARER)
t.eq((st, body), (400, {"error": "the body is not an array of events"}), "Event Grid: not an array")
t.eq(call("/webhooks/acr/acme", method="GET", headers=BEARER)[0], 405, "GET on a webhook: 405")
t.eq(call("/nowhere", method="GET")[0], 404, "unknown path: 404")
t.eq(call("/healthz", method="GET")[0], 200, "the server still answers")
t.eq(srv.poll(), None, "the server did not crash")

# ---- deletes ----
r.push(f"{single}:12", f"{reg}/{ns}/mirror:1", creds=creds)
st, body, _, _ = call("/webhooks/acr/acme", acr_push(f"{ns}/mirror", "1", d_web), headers=BEARER)
t.eq((st, body.get("published"), body.get("skipped")), (200, 0, 1), "mirror:1 recorded, skipped")
t.eq(r.smembers(f"refs:acme:{d_web}"), sorted([f"{reg}/{ns}/web:1", f"{reg}/{ns}/mirror:1"]),
     "refs: both repositories")
# the worker's done entry for the images (a record written by the test)
for d in (d_web, d_api):
    r.redis("HSET", f"{r.prefix}done:acme:{d}", "status", "ok", "analyzer_version", "x")

delete = {"id": "d1", "timestamp": "2026-12-07T05:00:00Z", "action": "delete",
          "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                     "digest": d_web, "repository": f"{ns}/web"},
          "request": {"id": "r", "host": reg, "method": "DELETE", "useragent": "test"}}
st, body, _, _ = call("/webhooks/acr/acme", delete, headers=BEARER)
t.eq((st, body.get("tags_removed"), body.get("tombstones")), (200, 1, 0),
     "ACR delete of web's manifest: its tag forgotten, mirror keeps the digest")
t.eq(r.redis("EXISTS", f"{r.prefix}tag:acme:{reg}/{ns}/web:1").strip(), "0", "tag: web:1 gone")
t.eq(r.smembers(f"tags:acme:{reg}/{ns}/web"), [], "tags: of web empty")
t.eq(r.smembers(f"refs:acme:{d_web}"), [f"{reg}/{ns}/mirror:1"], "refs: only mirror:1 left")
t.eq(r.hgetall(f"done:acme:{d_web}").get("status"), "ok", "no tombstone while a tag points to it")

ev = eg_event("ImageDeleted", {"id": "d2", "timestamp": "2026-12-07T05:00:00Z",
                               "action": "delete",
                               "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                          "digest": d_api, "repository": f"{ns}/api"},
                               "request": {"id": "r", "host": reg, "method": "DELETE",
                                           "useragent": "test"}})
st, body, _, _ = call(f"/webhooks/eventgrid/acme?code={SECRET}", [ev])
t.eq((st, body.get("tags_removed"), body.get("tombstones")), (200, 1, 1),
     "Event Grid ImageDeleted: tag forgotten, tombstone")
t.eq(r.redis("EXISTS", f"{r.prefix}tag:acme:{reg}/{ns}/api:2").strip(), "0", "tag: api:2 gone")
t.eq(r.smembers(f"refs:acme:{d_api}"), [], "refs: of the api image empty")
t.eq(r.hgetall(f"done:acme:{d_api}"), {}, "done: of the api image removed (tombstone)")
t.eq(r.redis("EXISTS", f"{r.prefix}queued:acme:{d_api}").strip(), "0", "queued: removed")
t.eq(read_new(0, 2), [], "deletes publish no request")

# ---- Redis gone: 503 (the sender retries), nothing published ----
rport = h.free_port()
rds = h.start_redis(rport, r.tmp)
own_topic = r.topic("own-redis-requests")
r.create_topic(own_topic, 1)
log2_path = os.path.join(r.tmp, "serve-own-redis.log")
srv2 = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "serve", "--config", config,
                         "--listen", "127.0.0.1:0"],
                        env=dict(env, REGSCAN_REDIS_URL=f"redis://127.0.0.1:{rport}/0",
                                 REGSCAN_TOPIC_REQUESTS=own_topic),
                        stdout=open(log2_path, "w"), stderr=subprocess.STDOUT)
r.procs.append(srv2)
port2 = None
deadline = time.time() + 30
while port2 is None and time.time() < deadline and srv2.poll() is None:
    m = re.search(r"\(port (\d+)\)", open(log2_path).read())
    port2 = int(m.group(1)) if m else None
    time.sleep(0.1)
t.true(port2 is not None, "a second serve with a Redis of its own starts")
rds.terminate()
rds.wait(timeout=20)
BASE, base_saved = f"http://127.0.0.1:{port2}", BASE
st, body, _, _ = call("/webhooks/acr/acme", acr_push(f"{ns}/z", "1", d_zstd), headers=BEARER)
t.eq((st, body), (503, {"error": "Redis or Kafka is unavailable, try again"}), "Redis gone: 503")
t.eq(r.consume(own_topic, timeout=4, idle=1), [], "Redis gone: nothing published")
t.eq(call("/healthz", method="GET")[0], 200, "Redis gone: the server lives on")
BASE = base_saved
srv2.send_signal(15)
srv2.wait(timeout=30)
t.eq(srv2.returncode, 0, "serve exits 0 on SIGTERM")
t.eq(open(log2_path).read().count(SECRET), 0, "the secret is in no log line (second serve)")

# ---- stop; no secret anywhere ----
srv.send_signal(2)
srv.wait(timeout=30)
t.eq(srv.returncode, 0, "serve exits 0 on SIGINT")
reader.close()
text = open(log_path).read()
t.eq(text.count(SECRET), 0, "the webhook secret is in no log line")
t.eq(text.count(r.password), 0, "the registry password is in no log line")
t.true("401" in text and "wrong secret" in text, "401s are logged (without the secret)")
allmsgs = r.consume(TOPIC, want=4, timeout=20, idle=1)
t.eq(len(allmsgs), 4, "four requests in all")
t.eq(sum(json.dumps(v).count(SECRET) for _, v in allmsgs), 0, "the secret is in no message")
r.stop_all()
t.finish()
