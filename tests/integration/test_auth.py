#!/usr/bin/python3
"""Real authentication flows against the registries of deploy/local: htpasswd Basic (:5001)
and Docker token auth (:5002, token service :5003). Exact outcomes: one request per registry,
ok reports with the expected packages, Bearer tokens used by the worker, a wrong password
refused with one clear line (exit 3) or an UNAUTHORIZED report (worker), credentials retried
after they are fixed, a static bearer token, and no secret in any output."""

import base64
import json
import os
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("auth")
r = h.Run("auth")
if not (r.basic and r.token and r.user and r.password):
    print("skipped: the auth registries are not configured (services.sh env)")
    sys.exit(h.SKIP)
ns = r.ns
GOOD = r.password
BAD = "wrong-" + r.id + "-pw"
TOKEN_LOG = os.environ["REGSCAN_TEST_REGISTRY_TOKEN_LOG"]
TOKEN_SERVICE_LOG = os.path.join(os.path.dirname(TOKEN_LOG), "token-service.log")


def log_size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def log_since(path, offset):
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def no_secret(text, what):
    """Neither password (nor the bearer token when given) appears in `text`."""
    for secret, name in ((GOOD, "the password"), (BAD, "the wrong password")):
        t.eq(secret in text, False, f"{name} does not appear in {what}")


# ---- seed: debian-single in both auth registries, under this run's namespace ----
single, _ = r.build("debian-single")
img = h.layout_images(single, "12")["linux/amd64"]
digest, layer = img["digest"], img["layers"][0]
expected = h.expected_packages("debian-single", {"linux/amd64": img})[digest]
creds = f"{r.user}:{r.password}"
r.push(f"{single}:12", f"{r.basic}/{ns}/debian:12", creds=creds)
r.push(f"{single}:12", f"{r.token}/{ns}/debian:12", creds=creds)

# One tenant per registry: a request is per digest and tenant (DESIGN.md §4), so two
# tenants give exactly one request per registry for the same image.
auth = {"type": "basic", "username": r.user, "password_env": "RS_IT_PW"}
tenants = [{"name": "basic", "registries": [r.registry(r.basic, auth=auth)]},
           {"name": "token", "registries": [r.registry(r.token, auth=auth)]}]
config = r.tenants_file(tenants)
REG_OF = {"basic": r.basic, "token": r.token}

# ================= 1. the right password: both registries scanned =================
svc_before = log_size(TOKEN_SERVICE_LOG)
p, s = r.coordinator(config, env={"RS_IT_PW": GOOD})
t.eq(p.returncode, 0, "coordinator exits 0 with the right password")
t.eq(s["published"], {"total": 2, "scan": 2, "rematch": 0}, "one request per registry")
t.eq((s["registries"], s["repositories"], s["tags"], s["digests"], s["errors"]), (2, 2, 2, 2, 0),
     "summary counts")
reqs = r.consume(r.topic("regscan.scan-requests"), want=2, timeout=30)
t.eq(sorted((v["tenant"], v["registry"], v["repository"], v["digest"]) for _, v in reqs),
     [("basic", r.basic, f"{ns}/debian", digest), ("token", r.token, f"{ns}/debian", digest)],
     "requests: tenant, registry, repository, digest")
no_secret(p.stdout + p.stderr, "the coordinator's output")
t.true(f"scopes=[repository:{ns}/debian:pull]" in log_since(TOKEN_SERVICE_LOG, svc_before),
       "the coordinator got a token for repository:<ns>/debian:pull")

svc_before = log_size(TOKEN_SERVICE_LOG)
reg_before = log_size(TOKEN_LOG)
w = r.start_worker(config, "--exit-when-idle", "6", env={"RS_IT_PW": GOOD}, log_name="worker-ok.log")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker exits 0 when idle")
reports = r.consume(r.topic("regscan.findings"), want=2, timeout=30)
invs = r.consume(r.topic("regscan.inventory"), want=2, timeout=30)
t.eq(sorted(k for k, _ in reports), ["basic/" + digest, "token/" + digest], "one report per tenant")
rep = {v["tenant"]: v for _, v in reports}
inv = {v["tenant"]: v for _, v in invs}
for tn in ("basic", "token"):
    t.eq((rep.get(tn, {}).get("status"), rep.get(tn, {}).get("registry")), ("ok", REG_OF[tn]),
         f"{tn}: report status and registry")
    t.eq(h.inventory_rows(inv.get(tn, {})), expected, f"{tn}: exact inventory packages")
    t.eq(rep.get(tn, {}).get("summary", {}).get("packages"), len(expected), f"{tn}: package count")
    t.eq(r.hgetall(f"done:{tn}:{digest}").get("status"), "ok", f"{tn}: done status ok")
t.eq(r.keys("lease:*"), [], "no lease left")
t.eq(r.keys("attempts:*"), [], "no attempts counter left")

# the worker got a Bearer token for the repository from the token service, and the token
# registry (which accepts nothing but Bearer tokens) authorised its blob GET with it
svc = log_since(TOKEN_SERVICE_LOG, svc_before)
t.true(any(" GET /token 200 account=regscan " in l and f"repository:{ns}/debian:pull" in l
           for l in svc.splitlines()),
       "the token service issued a token for the worker's repository:<ns>/debian:pull scope")
reglog = log_since(TOKEN_LOG, reg_before).splitlines()
# (one worker indexes the digest from either registry; the other tenant's registry is asked
# for the manifest before the shared result is used: either way a manifest request by digest)
t.true(any('msg="authorized request"' in l and f"/v2/{ns}/debian/manifests/{digest}" in l
           and "useragent=regscan/" in l for l in reglog),
       "the token registry authorised the worker's manifest request (Bearer)")
t.true(any(f"/v2/{ns}/debian/manifests/{digest} HTTP/1.1\" 200" in l and '"regscan/' in l
           for l in reglog), "the worker's manifest request was answered 200 by the token registry")
worker_log = open(w.log_path).read()
no_secret(worker_log, "the worker log")
no_secret(json.dumps([v for _, v in reports + invs]), "the reports and inventories")

# ================= 2. the coordinator with a wrong password =================
p, s = r.coordinator(config, check=False, env={"RS_IT_PW": BAD})
t.eq(p.returncode, 3, "wrong password: coordinator exits 3")
t.eq((s or {}).get("errors"), 2, "wrong password: one error per registry")
t.eq((s or {}).get("published", {}).get("total"), 0, "wrong password: nothing published")
lines = p.stderr.splitlines()
for tn, reg in REG_OF.items():
    named = [l for l in lines if f"'{reg}'" in l and ("401" in l or "unauthorized" in l.lower())]
    t.eq(len(named), 1, f"one stderr line names {reg} and 401/unauthorized")
no_secret(p.stdout + p.stderr, "the coordinator's output (wrong password)")

# ================= 3. the worker with a wrong password =================
# Its own run (topics, Redis prefix, group); the coordinator has the right password, the
# worker's tenants file names the same tenants and registries with a wrong one.
r2 = h.Run("auth-worker")
tenants2 = [{"name": "basic", "registries": [r2.registry(r.basic, repos=[f"{ns}/*"], auth=auth)]},
            {"name": "token", "registries": [r2.registry(r.token, repos=[f"{ns}/*"], auth=auth)]}]
config2 = r2.tenants_file(tenants2)
bad_auth = dict(auth, password_env="RS_IT_PW_WORKER")
worker_config2 = r2.tenants_file(
    [{"name": "basic", "registries": [r2.registry(r.basic, repos=[f"{ns}/*"], auth=bad_auth)]},
     {"name": "token", "registries": [r2.registry(r.token, repos=[f"{ns}/*"], auth=bad_auth)]}],
    name="worker-tenants.json")
p, s = r2.coordinator(config2, env={"RS_IT_PW": GOOD})
t.eq(s["published"]["total"], 2, "second run: two requests")
w = r2.start_worker(worker_config2, "--exit-when-idle", "6",
                    env={"RS_IT_PW_WORKER": BAD, "RS_IT_PW": BAD}, log_name="worker-bad.log")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker with a wrong password does not crash: exits 0 when idle")
reports = r2.consume(r2.topic("regscan.findings"), want=2, timeout=30)
t.eq(sorted(k for k, _ in reports), ["basic/" + digest, "token/" + digest],
     "an error report per tenant")
for _, v in reports:
    tn = v.get("tenant")
    t.eq((v.get("status"), v.get("error", {}).get("code")), ("error", "UNAUTHORIZED"),
         f"{tn}: report status error, code UNAUTHORIZED")
    t.true(f"'{REG_OF.get(tn)}'" in v.get("error", {}).get("message", ""),
           f"{tn}: the error message names the registry")
    t.eq(v.get("summary", {}).get("packages"), 0, f"{tn}: no packages in an error report")
    done = r2.hgetall(f"done:{tn}:{digest}")
    t.eq((done.get("status"), done.get("error_code")), ("error", "UNAUTHORIZED"),
         f"{tn}: done status error, UNAUTHORIZED")
t.eq(len(r2.consume(r2.topic("regscan.inventory"), want=0, timeout=4, idle=1)), 0,
     "no inventory published for an image that was not scanned")
t.eq(r2.keys("inv:*"), [], "no cached inventory for an image that was not scanned")
t.eq(r2.keys("lease:*"), [], "no lease left after the refused scans")
t.eq(r2.keys("attempts:*"), [], "no attempts counter left after the refused scans")
no_secret(open(w.log_path).read(), "the worker log (wrong password)")
no_secret(json.dumps([v for _, v in reports]), "the error reports")

# the next incremental pass retries UNAUTHORIZED entries (credentials can change)
p, s = r2.coordinator(config2, env={"RS_IT_PW": GOOD})
t.eq(s["published"], {"total": 2, "scan": 2, "rematch": 0},
     "the next pass republishes the UNAUTHORIZED digests")
w = r2.start_worker(config2, "--exit-when-idle", "6", env={"RS_IT_PW": GOOD},
                    log_name="worker-fixed.log")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "worker with the fixed password exits 0")
for tn in ("basic", "token"):
    t.eq(r2.hgetall(f"done:{tn}:{digest}").get("status"), "ok", f"{tn}: done ok once fixed")
invs = r2.consume(r2.topic("regscan.inventory"), want=2, timeout=30)
t.eq(sorted((v["tenant"], tuple(h.inventory_rows(v))) for _, v in invs),
     [("basic", tuple(expected)), ("token", tuple(expected))],
     "inventories once the password is fixed")

# ================= 4. a static bearer token =================
r3 = h.Run("auth-bearer")
q = urllib.parse.urlencode([("service", os.environ["REGSCAN_TEST_TOKEN_SERVICE"]),
                            ("scope", f"repository:{ns}/debian:pull"),
                            ("scope", "registry:catalog:*")])
req = urllib.request.Request(os.environ["REGSCAN_TEST_TOKEN_REALM"] + "?" + q, headers={
    "Authorization": "Basic " + base64.b64encode(creds.encode()).decode()})
with urllib.request.urlopen(req, timeout=10) as resp:
    bearer = json.load(resp)["token"]
bearer_auth = {"type": "bearer", "token_env": "RS_IT_TOKEN"}
config3 = r3.tenants_file([{"name": "static", "registries": [
    r3.registry(r.token, repos=[f"{ns}/*"], auth=bearer_auth)]}])

p, s = r3.coordinator(config3, check=False, env={"RS_IT_TOKEN": "not-a-token"})
t.eq(p.returncode, 3, "a refused bearer token: coordinator exits 3")
t.eq(len([l for l in p.stderr.splitlines()
           if f"registry '{r.token}' rejected the configured bearer token" in l]), 1,
     "a refused bearer token: one line names the registry and the refusal")

p, s = r3.coordinator(config3, check=False, env={"RS_IT_TOKEN": bearer})
t.eq(p.returncode, 0, "bearer: coordinator exits 0")
t.eq(s["published"]["total"], 1, "bearer: one request")
svc_before = log_size(TOKEN_SERVICE_LOG)
w = r3.start_worker(config3, "--exit-when-idle", "6", env={"RS_IT_TOKEN": bearer},
                    log_name="worker-bearer.log")
h.wait_all([w], 120)
t.eq(w.returncode, 0, "bearer: worker exits 0")
reports = r3.consume(r3.topic("regscan.findings"), want=1, timeout=30)
invs = r3.consume(r3.topic("regscan.inventory"), want=1, timeout=30)
t.eq([v.get("status") for _, v in reports], ["ok"], "bearer: report ok")
t.eq([h.inventory_rows(v) for _, v in invs], [expected], "bearer: exact inventory packages")
t.eq(f"repository:{ns}/" in log_since(TOKEN_SERVICE_LOG, svc_before), False,
     "bearer: the worker used the static token, never the token service")
t.eq(bearer in open(w.log_path).read() + p.stdout + p.stderr, False,
     "the bearer token appears in no log")
t.eq(bearer in json.dumps([v for _, v in reports + invs]), False,
     "the bearer token appears in no report")

r.stop_all()
r2.stop_all()
r3.stop_all()
t.finish()
