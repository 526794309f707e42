#!/usr/bin/python3
"""Azure Event Hubs as the Kafka (docs/azure.md, "Event Hubs as the Kafka").

The local Kafka's SASL_SSL listener speaks what an Event Hubs namespace speaks on its Kafka
endpoint: TLS (a private CA here), SASL PLAIN with the user `$ConnectionString` and a
connection string as password, idle connections closed after 240 s, requests of at most
1,046,528 bytes. The coordinator and the workers are given that listener only (never the
PLAINTEXT one) and exactly the properties the docs list, from a REGSCAN_KAFKA_PROPERTIES_FILE;
the test reads the reports through the same listener. A wrong password ends the programs
with exit 3 and one clear line; no log line and no message holds the password; a report
larger than Event Hubs' limit arrives in parts that are each under it."""

import json
import os
import re
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

LIMIT = 1046528  # Event Hubs: "requests larger than 1,046,528 bytes" close the connection

sasl = os.environ.get("REGSCAN_TEST_KAFKA_SASL_BROKERS")
ca = os.environ.get("REGSCAN_TEST_KAFKA_SASL_CA")
cs_file = os.environ.get("REGSCAN_TEST_KAFKA_SASL_CONNECTION_STRING_FILE")
if not (sasl and ca and cs_file and os.path.exists(cs_file)):
    print("skipped: no SASL_SSL listener (eval \"$(deploy/local/services.sh env)\")")
    sys.exit(h.SKIP)
with open(cs_file) as f:
    conn_str = f.read().strip()
key = conn_str.rsplit("SharedAccessKey=", 1)[1]
wrong_key = uuid.uuid4().hex + "wrongkey="
wrong_str = conn_str.replace(key, wrong_key)

t = h.Checks("eventhubs")
r = h.Run("eventhubs")


def props_file(name, password):
    """The properties docs/azure.md tells a user to set, as a file (a Secret mount)."""
    path = os.path.join(r.tmp, name)
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("# Azure Event Hubs (docs/azure.md)\n"
                "security.protocol=SASL_SSL\n"
                "sasl.mechanisms=PLAIN\n"
                "sasl.username=$ConnectionString\n"
                f"sasl.password={password}\n"
                f"ssl.ca.location={ca}\n"
                "socket.keepalive.enable=true\n"
                "metadata.max.age.ms=180000\n"
                "connections.max.idle.ms=180000\n")
    return path


good_props = props_file("eventhubs.properties", conn_str)
bad_props = props_file("wrong.properties", wrong_str)
# the programs know the SASL_SSL listener only: nothing else to fall back on
r.env["REGSCAN_KAFKA_BROKERS"] = sasl
r.env.pop("REGSCAN_KAFKA_PROPERTIES", None)
r.env["REGSCAN_KAFKA_PROPERTIES_FILE"] = good_props
bad_env = {"REGSCAN_KAFKA_PROPERTIES_FILE": bad_props}

sasl_conf = {"bootstrap.servers": sasl, "security.protocol": "SASL_SSL", "sasl.mechanisms": "PLAIN",
             "sasl.username": "$ConnectionString", "sasl.password": conn_str, "ssl.ca.location": ca}


def consume_sasl(topic, want, timeout=60, idle=3.0):
    """[(key, raw bytes)] of `topic` from the beginning, read through the SASL_SSL listener."""
    c = h.Consumer(dict(sasl_conf, **{"group.id": f"{r.id}-reader-{uuid.uuid4().hex[:6]}",
                                      "auto.offset.reset": "earliest", "enable.auto.commit": False}))
    c.subscribe([topic])
    out, last, deadline = [], None, time.time() + timeout
    try:
        while time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                if len(out) >= want and last and time.time() - last > idle:
                    break
                continue
            if m.error():
                continue
            last = time.time()
            out.append((m.key().decode() if m.key() else None, m.value()))
    finally:
        c.close()
    return out


def image(name, packages):
    spec = h.dpkg_image_spec(os.path.join(r.tmp, f"{name}.json"), name, packages)
    layout = h.build_spec(r, spec, name)
    digest = h.layout_images(layout, "latest")["linux/amd64"]["digest"]
    r.push(f"{layout}:latest", f"{r.open}/{r.ns}/{name}:1")
    return digest


logs = []  # every log text of this test, grepped for the password at the end

# ---- two images: a pass publishes, two workers scan, reports arrive, all through SASL_SSL ----
pk = {"web": [("base-files", "12.4+deb12u5"), ("libweb1", "1.0-1")],
      "db": [("base-files", "12.4+deb12u5"), ("libdb5", "5.3.28+dfsg2-1")]}
dig = {n: image(n, p) for n, p in pk.items()}
cfg = r.tenants_file([{"name": "acme", "registries": [r.registry(r.open, repos=[f"{r.ns}/web", f"{r.ns}/db"])]}])
p, s = r.coordinator(cfg)
logs += [p.stdout, p.stderr]
t.eq(p.returncode, 0, "the coordinator's pass through SASL_SSL exits 0")
t.eq(s["published"]["total"], 2, "the pass publishes two requests")
ws = [r.start_worker(cfg, "--exit-when-idle", "5", log_name=f"worker-{i}.log") for i in range(2)]
h.wait_all(ws, 180)
t.eq([w.returncode for w in ws], [0, 0], "both workers exit 0")
reports = consume_sasl(r.topic("regscan.findings"), want=2)
rep = [json.loads(v) for _, v in reports]
t.eq(sorted((v["digest"], v["status"], v["part"], v["parts"]) for v in rep),
     sorted((d, "ok", 1, 1) for d in dig.values()), "two ok reports, read through SASL_SSL")
invs = {json.loads(v)["digest"]: json.loads(v) for _, v in consume_sasl(r.topic("regscan.inventory"), want=2)}
for n, d in sorted(dig.items()):
    t.eq(sorted((x["name"], x["version"]) for x in invs.get(d, {}).get("packages", [])), sorted(pk[n]),
         f"the inventory of {n} lists its packages")
    t.eq(r.hgetall(f"done:acme:{d}").get("status"), "ok", f"done says ok for {n}")

# ---- a report larger than Event Hubs' limit arrives in parts, each under it ----
N = 6000
big_pk = [(f"lib-generated-package-{i:05d}", f"1:{i}.{i % 7}.{i % 13}-{i % 5}+deb12u1") for i in range(N)]
d_big = image("big", big_pk)
cfg2 = r.tenants_file([{"name": "big", "registries": [r.registry(r.open, repos=[f"{r.ns}/big"])]}],
                      name="big.json")
p, s = r.coordinator(cfg2)
logs += [p.stdout, p.stderr]
t.eq(s["published"]["total"], 1, "one request for the large image")


def big_delivery(*args):
    """Scans the large image (one worker, `args` added); returns the raw inventory parts."""
    w = r.start_worker(cfg2, "--exit-when-idle", "5", *args, log_name=f"worker-big{len(r.procs)}.log")
    h.wait_all([w], 240)
    t.eq(w.returncode, 0, f"the worker of the large image exits 0 {args}")
    return w


def check_parts(raw, what):
    sizes = [len(v) for _, v in raw]
    parts = [json.loads(v) for _, v in raw]
    if not t.true(sizes, f"{what}: inventory parts arrived"):
        return [0]
    t.true(sum(sizes) > LIMIT, f"{what}: the inventory unsplit would exceed {LIMIT} bytes ({sum(sizes)})")
    t.true(len(parts) > 1, f"{what}: the inventory is split ({len(parts)} parts)")
    t.true(max(sizes) <= LIMIT, f"{what}: every part is at most {LIMIT} bytes (largest {max(sizes)})")
    asm = h.reassemble(list(zip([k for k, _ in raw], parts)), h.INVENTORY_ARRAYS)
    t.eq([a["complete"] for a in asm.values()], [True], f"{what}: one complete inventory")
    got = sorted((x["name"], x["version"]) for a in asm.values() for x in (a["doc"] or {}).get("packages", []))
    t.eq(got, sorted(big_pk), f"{what}: every package exactly once across the parts")
    print(f"{what}: {len(sizes)} parts of {sorted(sizes)} bytes, {sum(sizes)} in all", flush=True)
    return sizes


big_delivery()
raw = [(k, v) for k, v in consume_sasl(r.topic("regscan.inventory"), want=2) if json.loads(v)["tenant"] == "big"]
sizes = check_parts(raw, "default message.max.bytes")
t.true(max(sizes) <= 1000000 - 2048, f"librdkafka's default limit less the margin bounds the parts ({max(sizes)})")
# a producer allowed more than Event Hubs takes still cuts under Event Hubs' limit
p, s = r.coordinator(cfg2, "--rescan")
logs += [p.stdout, p.stderr]
big_delivery("--kafka-prop", "message.max.bytes=4000000")
seen = {sid for sid in h.reassemble([(k, json.loads(v)) for k, v in raw], h.INVENTORY_ARRAYS)}
raw2 = [(k, v) for k, v in consume_sasl(r.topic("regscan.inventory"), want=len(raw) + 2)
        if json.loads(v)["tenant"] == "big" and json.loads(v)["scan_id"] not in seen]
sizes2 = check_parts(raw2, "message.max.bytes=4000000")
t.true(1000000 < max(sizes2) <= LIMIT - 2048,
       f"parts use Event Hubs' limit less the margin, not the property's 4000000 ({max(sizes2)})")

# ---- a wrong password: exit 3 and one clear line, from the coordinator and from a worker ----
clear = f"kafka at '{sasl}' refused our SASL credentials (sasl.username, sasl.password): authentication failed"
p, s = r.coordinator(cfg, check=False, env=bad_env)
logs += [p.stdout, p.stderr]
err_lines = [ln for ln in p.stderr.splitlines() if " error " in ln or " warn " in ln]
t.eq(p.returncode, 3, "coordinator: a wrong password exits 3")
t.eq([re.sub(r"^\S+ ", "", ln) for ln in err_lines], [f"error regscan-coordinator: {clear}"],
     "coordinator: one clear line names the refused credentials")
w = r.start_worker(cfg, env=bad_env, log_name="worker-wrong.log")
h.wait_all([w], 60)
wlog = open(w.log_path).read().splitlines()
t.eq(w.returncode, 3, "worker: a wrong password exits 3")
t.eq([re.sub(r"^\S+ ", "", ln) for ln in wlog if " error " in ln], [f"error regscan-worker: {clear}"],
     "worker: one clear line names the refused credentials")
# the only warnings: librdkafka on the consumer properties the harness gives every worker
t.eq([ln for ln in wlog if " warn " in ln and "is a consumer property and will be ignored" not in ln], [],
     "worker: no other warning")
# librdkafka's own debug output (every context) at regscan's debug level: lines that may
# quote the password are withheld
p, s = r.coordinator(cfg, "--kafka-prop", "debug=all", check=False,
                     env=dict(bad_env, REGSCAN_LOG_LEVEL="debug"))
logs += [p.stdout, p.stderr]
t.eq(p.returncode, 3, "coordinator with librdkafka debug=all: a wrong password exits 3")
t.true(p.stderr.count("kafka ") > 20, "librdkafka's debug lines were logged")

# ---- the password appears in no log line and no message ----
for w in r.procs:
    logs.append(open(w.log_path).read())
msgs = [v for _, v in consume_sasl(r.topic("regscan.findings"), want=4)]
msgs += [v for _, v in consume_sasl(r.topic("regscan.inventory"), want=len(raw) + len(raw2) + 2)]
msgs += [v for _, v in consume_sasl(r.topic("regscan.scan-requests"), want=4)]
text = "\n".join(logs)
blob = b"\n".join(msgs)
for what, secret in (("the connection string", conn_str), ("its key", key),
                     ("the wrong key", wrong_key), ("the wrong connection string", wrong_str)):
    t.eq(text.count(secret), 0, f"{what} appears in no log line")
    t.eq(blob.count(secret.encode()), 0, f"{what} appears in no message")
# the broker's own log (Kafka prints its configuration, the JAAS line hidden)
broker_log = os.path.join(os.environ.get("REGSCAN_STATE_DIR", ""), "logs", "kafka.log")
if t.true(os.path.exists(broker_log), f"the broker's log is at {broker_log}"):
    with open(broker_log, "rb") as f:
        t.eq(f.read().count(key.encode()), 0, "the key appears nowhere in the broker's log")
t.true(len(text) > 10000 and len(msgs) >= 6, f"the grep saw the logs ({len(text)} chars) and messages ({len(msgs)})")

r.stop_all()
t.finish()
