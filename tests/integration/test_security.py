#!/usr/bin/python3
"""Security (docs/reliability.md "Security"): secrets never leave, TLS is verified by
default, Redis AUTH, Redis over TLS through stunnel as deployed.

- A private registry served over HTTPS with a self-signed certificate and htpasswd Basic
  auth (a distinctive password): a pass fails with a certificate error until REGSCAN_CA_FILE
  names the certificate, then works.
- A private redis-server with requirepass (a distinctive password) behind an stunnel server
  (TLS, the test's certificate); the programs reach it through an stunnel client on their
  side over plain loopback (redis://:password@127.0.0.1:port/0). The TLS leg refuses a plain
  connection and answers over TLS; a wrong Redis password fails with an AUTH error.
- A coordinator pass and two workers scan three tenants (the TLS Basic registry, the token
  service's registry, a static bearer token), an embedded scan uses the token registry; no
  password, token, Basic header or JWT appears in any output, log line, Kafka message of the
  run or Redis value."""

import base64
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import bulkpush  # noqa: E402
import harness as h  # noqa: E402

t = h.Checks("security")
r = h.Run("security")
if not (r.token and r.user and r.password) or not os.path.exists("/usr/bin/stunnel4"):
    print("skipped: the token registry or stunnel4 (deploy/local/install-deps.sh) is missing")
    sys.exit(h.SKIP)
tag = uuid.uuid4().hex[:12]
REG_USER, REG_PW = "sec-user", f"reg-pw-{tag}"
REDIS_PW = f"redis-pw-{tag}"
BEARER = f"bearer-token-{tag}"
SECRETS = {
    "the TLS registry's password": REG_PW,
    "the Redis password": REDIS_PW,
    "the bearer token": BEARER,
    "the token registry's password": r.password,
    "a Basic header of the TLS registry": base64.b64encode(
        f"{REG_USER}:{REG_PW}".encode()).decode(),
    "a Basic header of the token registry": base64.b64encode(
        f"{r.user}:{r.password}".encode()).decode(),
    "a JWT (the token service's tokens)": "eyJ",
}
procs = []


def wait_port(port, what):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def start(args, what, port, log):
    p = subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    procs.append(p)
    wait_port(port, what)
    return p


# ---- a self-signed certificate for 127.0.0.1 (the registry's and stunnel's) ----
cert, key = os.path.join(r.tmp, "cert.pem"), os.path.join(r.tmp, "key.pem")
subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)

# ---- a registry over HTTPS with htpasswd Basic auth ----
reg_port = h.free_port()
htp = subprocess.run(["htpasswd", "-Bbn", REG_USER, REG_PW], check=True, capture_output=True,
                     text=True).stdout
with open(os.path.join(r.tmp, "htpasswd"), "w") as f:
    f.write(htp)
with open(os.path.join(r.tmp, "registry.yml"), "w") as f:
    f.write(f"""version: 0.1
log: {{level: warn}}
storage: {{filesystem: {{rootdirectory: {r.tmp}/registry}}}}
http:
  addr: 127.0.0.1:{reg_port}
  secret: {uuid.uuid4().hex}
  tls: {{certificate: {cert}, key: {key}}}
auth: {{htpasswd: {{realm: regscan-security, path: {r.tmp}/htpasswd}}}}
""")
start(["docker-registry", "serve", os.path.join(r.tmp, "registry.yml")], "the TLS registry",
      reg_port, os.path.join(r.tmp, "registry.log"))
tls_addr = f"127.0.0.1:{reg_port}"
layer, diff_id = bulkpush.dpkg_layer([("base-files", "12.4+deb12u5"), ("secure", "1.0-1")])
config_blob = bulkpush.config_blob(diff_id)
with_ca = bulkpush.Pusher(tls_addr, ca_file=cert, basic=f"{REG_USER}:{REG_PW}")
tls_digest = with_ca.image(f"{r.ns}/app", "v1", layer, config_blob)
with_ca.close()
plain = bulkpush.Pusher(r.open)
open_digest = plain.image(f"{r.ns}/bearer", "v1", layer, config_blob,
                          annotations={"regscan.test": "bearer"})
plain.close()
single, _ = r.build("debian-single")
token_digest = h.layout_images(single, "12")["linux/amd64"]["digest"]
r.push(f"{single}:12", f"{r.token}/{r.ns}/debian:12", creds=f"{r.user}:{r.password}")

# ---- Redis with a password, reached over TLS through stunnel ----
redis_port, tls_port, local_port = h.free_port(), h.free_port(), h.free_port()
procs.append(h.start_redis(redis_port, r.tmp, ("--requirepass", REDIS_PW)))


def stunnel(name, body, port):
    conf = os.path.join(r.tmp, f"stunnel-{name}.conf")
    with open(conf, "w") as f:
        f.write(f"foreground = yes\npid =\ndebug = 5\n{body}")
    return start(["/usr/bin/stunnel4", conf], f"stunnel {name}", port,
                 os.path.join(r.tmp, f"stunnel-{name}.log"))


stunnel("server", f"[redis-tls]\naccept = 127.0.0.1:{tls_port}\n"
        f"connect = 127.0.0.1:{redis_port}\ncert = {cert}\nkey = {key}\n", tls_port)
stunnel("client", f"[redis]\nclient = yes\naccept = 127.0.0.1:{local_port}\n"
        f"connect = 127.0.0.1:{tls_port}\nCAfile = {cert}\nverifyChain = yes\n"
        f"checkIP = 127.0.0.1\n", local_port)

PING = b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n" % (len(REDIS_PW), REDIS_PW.encode())


def ask(sock):
    sock.settimeout(5)
    sock.sendall(PING)
    got = b""
    try:
        while b"PONG" not in got:
            chunk = sock.recv(4096)
            if not chunk:
                break
            got += chunk
    except (OSError, ssl.SSLError):
        pass
    sock.close()
    return got


t.eq(ask(socket.create_connection(("127.0.0.1", tls_port))), b"",
     "the TLS leg answers a plain connection with nothing (closed)")
ctx = ssl.create_default_context(cafile=cert)
t.eq(ask(ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_port)),
                         server_hostname="127.0.0.1")), b"+OK\r\n+PONG\r\n",
     "the TLS leg answers AUTH and PING over TLS")
t.eq(subprocess.run(["redis-cli", "-p", str(redis_port), "PING"], capture_output=True,
                    text=True).stdout.strip()[:6], "NOAUTH", "Redis itself wants AUTH")

redis_url = f"redis://:{REDIS_PW}@127.0.0.1:{local_port}/0"
ENV = {"REGSCAN_REDIS_URL": redis_url, "RS_SEC_REG_PW": REG_PW, "RS_SEC_TOKEN_PW": r.password,
       "RS_SEC_BEARER": BEARER}
config = r.tenants_file([
    {"name": "tls", "registries": [{
        "url": f"https://{tls_addr}", "repositories": [f"{r.ns}/*"],
        "auth": {"type": "basic", "username": REG_USER, "password_env": "RS_SEC_REG_PW"}}]},
    {"name": "token", "registries": [r.registry(r.token, auth={
        "type": "basic", "username": r.user, "password_env": "RS_SEC_TOKEN_PW"})]},
    {"name": "bearer", "registries": [r.registry(r.open, repos=[f"{r.ns}/bearer"], auth={
        "type": "bearer", "token_env": "RS_SEC_BEARER"})]}])
outputs = []  # (what, text) grepped for secrets at the end

# ================= 1. TLS verified by default =================
p, s = r.coordinator(config, "--tenant", "tls", check=False, env=ENV)
outputs.append(("the coordinator without the CA", p.stdout + p.stderr))
t.eq(p.returncode, 3, "without the CA: the pass fails (exit 3)")
t.true(f"cannot reach 'https://{tls_addr}/v2/'" in p.stderr and "certificate" in p.stderr,
       "without the CA: a certificate error naming the registry")
t.eq(s and s["published"]["total"], 0, "without the CA: nothing requested")

# ================= 2. the CA configured: everything through Redis over TLS =================
ENV["REGSCAN_CA_FILE"] = cert
p, s = r.coordinator(config, check=False, env=ENV)
outputs.append(("the coordinator", p.stdout + p.stderr))
t.eq(p.returncode, 0, "with the CA: the pass exits 0")
t.eq(s and s["published"], {"total": 3, "scan": 3, "rematch": 0}, "one request per tenant")
workers = [r.start_worker(config, "--exit-when-idle", "5", env=ENV, log_name=f"worker-{k}.log")
           for k in range(2)]
h.wait_all(workers, 180)
t.eq([w.returncode for w in workers], [0, 0], "the workers exit 0 when idle")
for w in workers:
    outputs.append((f"the log of {w.log_path}", open(w.log_path).read()))
reports = r.consume(r.topic("regscan.findings"), want=3, timeout=60, idle=2.0)
t.eq(sorted((v["tenant"], v["digest"], v["status"]) for _, v in reports),
     sorted([("tls", tls_digest, "ok"), ("token", token_digest, "ok"),
             ("bearer", open_digest, "ok")]), "an ok report per tenant")


def private_redis(*args):
    return subprocess.run(["redis-cli", "-p", str(redis_port), "--no-auth-warning", "-a",
                           REDIS_PW, "--raw", *args], capture_output=True, text=True,
                          check=True).stdout


for tn, d in (("tls", tls_digest), ("token", token_digest), ("bearer", open_digest)):
    t.eq(private_redis("HGET", f"{r.prefix}done:{tn}:{d}", "status").strip(), "ok",
         f"done of tenant {tn} in the Redis behind stunnel")

# ================= 3. a wrong Redis password =================
bad = dict(ENV, REGSCAN_REDIS_URL=f"redis://:wrong-{REDIS_PW}@127.0.0.1:{local_port}/0")
p, s = r.coordinator(config, check=False, env=bad)
outputs.append(("the coordinator with a wrong Redis password", p.stdout + p.stderr))
t.eq(p.returncode, 3, "a wrong Redis password: exit 3")
t.true(f"redis at '127.0.0.1:{local_port}/0': AUTH refused" in p.stderr,
       "a wrong Redis password: the AUTH error names the Redis")

# ================= 4. an embedded scan through the token service =================
e = dict(os.environ, REGSCAN_LOG="text", RS_SEC_TOKEN_PW=r.password)
p = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "scan", f"{r.token}/{r.ns}/debian:12",
                    "--username", r.user, "--password-env", "RS_SEC_TOKEN_PW", "--format", "json"],
                   env=e, capture_output=True, text=True, timeout=120)
outputs.append(("the embedded scan", p.stdout + p.stderr))
t.eq(p.returncode, 0, "the embedded scan exits 0")
t.eq(json.loads(p.stdout or "{}").get("status"), "ok", "the embedded scan's report is ok")

# ================= 5. no secret anywhere =================
for topic in ("regscan.scan-requests", "regscan.findings", "regscan.inventory",
              "regscan.dead-letter"):
    msgs = r.consume(r.topic(topic), timeout=8, idle=1.0)
    outputs.append((f"the messages on {topic}", json.dumps(msgs)))
keys = [k for k in private_redis("--scan").splitlines() if k]
dump = []
for k in keys:
    kind = private_redis("TYPE", k).strip()
    cmd = {"hash": "HGETALL", "string": "GET", "set": "SMEMBERS", "zset": "ZRANGE",
           "list": "LRANGE"}.get(kind)
    extra = ("0", "-1") if kind in ("zset", "list") else ()
    dump.append(k + "\n" + (private_redis(cmd, k, *extra) if cmd else kind))
t.true(len(keys) >= 3, f"the private Redis holds the run's keys ({len(keys)})")
outputs.append(("the keys and values in Redis", "\n".join(dump)))
for what, text in outputs:
    hits = [name for name, secret in SECRETS.items() if secret in text]
    t.eq(hits, [], f"no secret in {what}")

r.stop_all()
for p in procs:
    p.terminate()
for p in procs:
    p.wait(timeout=10)
t.finish()
