#!/usr/bin/python3
"""auth.type azure end to end: Entra ID client credentials (a client secret, a certificate
assertion, AKS workload identity) -> ACR's /oauth2/exchange -> /oauth2/token, against the Azure
stand-in (tests/helpers/azure_standin.py) fronting the REAL token-auth registry through the
REAL token service, so the registry itself verifies every access token. Exact requests (grant
types, scopes, form fields, assertion claims), token reuse counts, ok reports; a wrong secret,
an expired certificate and a revoked AcrPull give one clear line (exit 3) or an UNAUTHORIZED
report per image; no secret, assertion or token in any log line, report or message."""

import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import harness as h  # noqa: E402
import azure_standin as az  # noqa: E402

t = h.Checks("azure_auth")
r = h.Run("azure-auth")
if not (r.token and r.user and r.password):
    print("skipped: the token registry is not configured (services.sh env)")
    sys.exit(h.SKIP)
ns = r.ns
TENANT = str(uuid.uuid4())
CID, CID_CERT, CID_WI, CID_NOPULL = (str(uuid.uuid4()) for _ in range(4))
SECRET = "s3cr3t~" + uuid.uuid4().hex
BAD_SECRET = "wrong~" + uuid.uuid4().hex
NOPULL_SECRET = "np~" + uuid.uuid4().hex
ACR_SCOPE = "https://containerregistry.azure.net/.default"
outputs = []  # every log, stderr and message text of this test, grepped at the end

# ---- two images in the backend under this run's namespace ----
single, _ = r.build("debian-single")
alpine, _ = r.build("alpine")
creds = f"{r.user}:{r.password}"
r.push(f"{single}:12", f"{r.token}/{ns}/debian:12", creds=creds)
r.push(f"{alpine}:3.19.1", f"{r.token}/{ns}/alpine:3.19.1", creds=creds)

st = az.AzureStandin(os.path.join(r.tmp, "standin"))
st.add_client(TENANT, CID, secret=SECRET)
key_pem, cert_pem = az.make_certificate("regscan-test")
old_key, old_cert = az.make_certificate("regscan-old", expired=True)
st.add_client(TENANT, CID_CERT, cert_pem=[cert_pem, old_cert])
signer = st.federated_signer()
SUBJECT = "system:serviceaccount:regscan:worker"
st.add_client(TENANT, CID_WI, federated=(signer.issuer, SUBJECT))
st.add_client(TENANT, CID_NOPULL, secret=NOPULL_SECRET)
reg = st.add_registry("sub-1", "acr1", ns)
for c in (CID, CID_CERT, CID_WI):
    st.grant_acrpull(c, "acr1")
st.start()
LS = reg.login_server


def write(name, data):
    path = os.path.join(r.tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)
    return path


CERT_FILE = write("client.pem", key_pem + cert_pem)
OLD_CERT_FILE = write("old.pem", old_key + old_cert)
TOKEN_FILE = os.path.join(r.tmp, "sa-token")
ENV = {"REGSCAN_CA_FILE": st.ca_file, "RS_IT_AZ": SECRET}


def azure_auth(client_id, **cred):
    a = {"type": "azure", "tenant_id": TENANT, "client_id": client_id,
         "authority": st.authority}
    a.update(cred)
    return a


def config_for(run, auth, name="tenants.json"):
    return run.tenants_file([{"name": "contoso", "registries": [
        {"url": reg.url, "auth": auth, "repositories": ["*"]}]}], name=name)


def coordinator(run, config, env=None, check=True):
    e = dict(ENV)
    e.update(env or {})
    p, s = run.coordinator(config, check=check, env=e)
    outputs.append(p.stdout + p.stderr)
    return p, s


def forms(endpoint):
    return [q.get("form", {}) for q in st.requests_of(endpoint)]


# ================= 1. a client secret: coordinator pass + worker =================
cfg = config_for(r, azure_auth(CID, client_secret_env="RS_IT_AZ"))
p, s = coordinator(r, cfg)
t.eq(p.returncode, 0, "secret: coordinator exits 0")
t.eq((s["registries"], s["repositories"], s["tags"], s["digests"], s["errors"]), (1, 2, 2, 2, 0),
     "secret: summary counts (one registry, two repositories, two digests)")
t.eq(s["published"], {"total": 2, "scan": 2, "rematch": 0}, "secret: two scan requests")
ent = forms("entra.token")
t.eq(len(ent), 1, "secret: one Entra ID token request for the whole pass (reused)")
t.eq(sorted(ent[0].keys()) if ent else None,
     ["client_id", "client_secret", "grant_type", "scope"], "secret: the token form's fields")
t.eq((ent[0].get("grant_type"), ent[0].get("client_id"), ent[0].get("scope"),
      ent[0].get("client_secret") == SECRET) if ent else None,
     ("client_credentials", CID, ACR_SCOPE, True), "secret: grant type, client id, scope, secret")
t.eq(st.requests_of("entra.token")[0]["path"] if ent else None,
     f"/{TENANT}/oauth2/v2.0/token", "secret: the tenant's v2.0 token endpoint")
ex = forms("acr.exchange")
t.eq(len(ex), 1, "secret: one exchange for the pass (refresh token cached per registry)")
t.eq(sorted(ex[0].keys()) if ex else None, ["access_token", "grant_type", "service", "tenant"],
     "secret: the exchange form's fields")
t.eq((ex[0].get("grant_type"), ex[0].get("service"), ex[0].get("tenant")) if ex else None,
     ("access_token", LS, TENANT), "secret: exchange grant type, service, tenant")
tok = forms("acr.token")
t.eq(sorted({f.get("grant_type") for f in tok}), ["refresh_token"],
     "secret: /oauth2/token grant type refresh_token")
t.eq(sorted(f.get("scope", "") for f in tok),
     ["", "registry:catalog:*", "repository:alpine:metadata_read,pull", "repository:alpine:pull",
      "repository:debian:metadata_read,pull", "repository:debian:pull"],
     "secret: one access token per scope (/v2/ without one, catalog, each repository's _tags "
     "listing and its manifests), each asked once")
t.eq({f.get("service") for f in tok}, {LS}, "secret: /oauth2/token service is the login server")
t.eq(st.count("v2", status=401) <= 1, True, "secret: at most the first /v2 request is challenged")

st.clear()
w = r.start_worker(cfg, "--exit-when-idle", "6", env=ENV, log_name="worker-secret.log")
h.wait_all([w], 180)
t.eq(w.returncode, 0, "secret: worker exits 0 when idle")
reports = r.consume(r.topic("regscan.findings"), want=2, timeout=30)
invs = r.consume(r.topic("regscan.inventory"), want=2, timeout=30)
t.eq(sorted((v.get("status"), v.get("registry"), v.get("repository")) for _, v in reports),
     [("ok", LS, "alpine"), ("ok", LS, "debian")], "secret: an ok report per image")
t.eq(len(forms("entra.token")), 1, "secret: the worker asked Entra ID once")
t.eq(len(forms("acr.exchange")), 1, "secret: the worker exchanged once")
t.eq(sorted(f.get("scope", "") for f in forms("acr.token")),
     ["repository:alpine:pull", "repository:debian:pull"],
     "secret: the worker asked one access token per repository and used it for every request")
outputs.append(open(w.log_path).read())
outputs.append(json.dumps([v for _, v in reports + invs]))

# ================= 1b. tokens reused until their exp, then renewed before it ==============
# Entra ID tokens and ACR refresh tokens of 8 s: the worker's kept client uses one of each for
# its first image, and for an image requested 9 s later fetches new ones before using them
# (no request of it is refused: renewed before expiry, not after a 401)
st.token_lifetime, st.refresh_lifetime = 8, 8
rexp = h.Run("azure-auth-exp")


def config_repo(repo, name):
    return rexp.tenants_file([{"name": "contoso", "registries": [
        {"url": reg.url, "auth": azure_auth(CID, client_secret_env="RS_IT_AZ"),
         "repositories": [repo]}]}], name=name)


coordinator(rexp, config_repo("alpine", "alpine.json"))
st.clear()
w = rexp.start_worker(config_repo("*", "all.json"), "--exit-when-idle", "30", env=ENV,
                      log_name="worker-exp.log")
first = rexp.consume(rexp.topic("regscan.findings"), want=1, timeout=60)
t.eq([(v.get("repository"), v.get("status")) for _, v in first], [("alpine", "ok")],
     "exp: the first image's report")
t.eq((len(forms("entra.token")), len(forms("acr.exchange"))), (1, 1),
     "exp: one Entra ID token and one exchange for the first image")
time.sleep(9)
st.clear()
coordinator(rexp, config_repo("debian", "debian.json"))
second = rexp.consume(rexp.topic("regscan.findings"), want=2, timeout=60)
t.eq(sorted((v.get("repository"), v.get("status")) for _, v in second),
     [("alpine", "ok"), ("debian", "ok")], "exp: the second image's report")
t.eq((len(forms("entra.token")), len(forms("acr.exchange"))), (2, 2),
     "exp: since the first image, two Entra ID tokens and two exchanges: the second pass's "
     "own and the worker's new ones, its first having expired")
t.eq([q.get("status") for q in st.requests if q.get("endpoint") in
      ("entra.token", "acr.exchange", "acr.token") and q.get("status") != 200], [],
     "exp: no token request was refused (renewed before expiry)")
t.eq(st.count("v2", status=401) <= 1, True, "exp: at most the coordinator's first /v2/ is challenged")
h.wait_all([w], 120)
outputs.append(open(w.log_path).read())
outputs.append(json.dumps([v for _, v in second]))
st.token_lifetime, st.refresh_lifetime = 3600, 3 * 3600

# ================= 2. a certificate =================
st.clear()
r2 = h.Run("azure-auth-cert")
cfg2 = config_for(r2, azure_auth(CID_CERT, client_certificate_file=CERT_FILE))
p, s = coordinator(r2, cfg2)
t.eq((p.returncode, s["published"]["total"], s["errors"]), (0, 2, 0),
     "certificate: coordinator exits 0, two requests, no error")
reqs = st.requests_of("entra.token")
t.eq(len(reqs), 1, "certificate: one Entra ID token request")
f = reqs[0].get("form", {}) if reqs else {}
t.eq(sorted(f.keys()), ["client_assertion", "client_assertion_type", "client_id", "grant_type",
                        "scope"], "certificate: the token form's fields (no secret)")
t.eq((f.get("grant_type"), f.get("client_assertion_type"), f.get("scope")),
     ("client_credentials", az.ASSERTION_TYPE, ACR_SCOPE), "certificate: grant and assertion type")
hdr, cl = (reqs[0].get("assertion_header", {}), reqs[0].get("assertion_claims", {})) \
    if reqs else ({}, {})
from cryptography import x509 as _x509  # noqa: E402
x5t, x5t256 = az.cert_thumbprints(_x509.load_pem_x509_certificate(cert_pem))
t.eq((hdr.get("alg"), hdr.get("typ"), hdr.get("x5t"), hdr.get("x5t#S256")),
     ("RS256", "JWT", x5t, x5t256), "certificate: assertion header alg, typ, x5t, x5t#S256")
t.eq((cl.get("aud"), cl.get("iss"), cl.get("sub")),
     (f"{st.authority}/{TENANT}/oauth2/v2.0/token", CID_CERT, CID_CERT),
     "certificate: assertion aud = the token endpoint, iss = sub = client id")
t.eq((cl.get("exp", 0) - cl.get("iat", 0), cl.get("nbf") == cl.get("iat"), len(cl.get("jti", ""))),
     (600, True, 36), "certificate: exp = iat + 10 min, nbf = iat, a UUID jti")
t.eq(reqs[0].get("status", 200) if reqs else None, 200, "certificate: Entra ID accepted it")
ASSERTIONS = [f.get("client_assertion", "")]

# ================= 3. workload identity, the token file rewritten between passes ============
st.clear()
r3 = h.Run("azure-auth-wi")
first = signer.write(TOKEN_FILE, SUBJECT)
wi_env = {"AZURE_FEDERATED_TOKEN_FILE": TOKEN_FILE, "AZURE_CLIENT_ID": CID_WI,
          "AZURE_TENANT_ID": TENANT, "AZURE_AUTHORITY_HOST": st.authority + "/"}
cfg3 = config_for(r3, {"type": "azure"})
p, s = coordinator(r3, cfg3, env=wi_env)
t.eq((p.returncode, s["published"]["total"]), (0, 2), "workload identity: pass 1 publishes two")
second = signer.write(TOKEN_FILE, SUBJECT)
p, s = coordinator(r3, cfg3, env=wi_env)
t.eq((p.returncode, s["errors"]), (0, 0), "workload identity: pass 2 exits 0 without errors")
wi = forms("entra.token")
t.eq([(x.get("client_id"), x.get("client_assertion_type"), x.get("client_assertion"))
      for x in wi],
     [(CID_WI, az.ASSERTION_TYPE, first), (CID_WI, az.ASSERTION_TYPE, second)],
     "workload identity: each pass sent the token file's content as it was then")
t.eq(first != second, True, "workload identity: the file really changed")
ASSERTIONS += [first, second]

# ================= 4. refusals: one line naming the registry and the cause, exit 3 ==========
r4 = h.Run("azure-auth-bad")
cases = [
    ("wrong secret", azure_auth(CID, client_secret_env="RS_IT_AZ_BAD"),
     f"Entra ID refused client {CID} in tenant {TENANT}: AADSTS7000215 invalid client secret"),
    ("expired certificate", azure_auth(CID_CERT, client_certificate_file=OLD_CERT_FILE),
     f"client certificate of client '{CID_CERT}' expired on"),
    ("no AcrPull", azure_auth(CID_NOPULL, client_secret_env="RS_IT_AZ_NP"),
     f"registry {LS}: the identity has no pull permission (403 at /oauth2/exchange)"),
]
for i, (what, auth, cause) in enumerate(cases):
    p, s = coordinator(r4, config_for(r4, auth, name=f"bad{i}.json"), check=False,
                       env={"RS_IT_AZ_BAD": BAD_SECRET, "RS_IT_AZ_NP": NOPULL_SECRET})
    t.eq(p.returncode, 3, f"{what}: coordinator exits 3")
    named = [l for l in p.stderr.splitlines() if cause in l and LS in l]
    if len(named) != 1:
        print(p.stderr[-2000:])
    else:
        print(f"  {what}: {named[0]}")
    t.eq(len(named), 1, f"{what}: one stderr line names the registry and the cause")
    t.eq((s or {}).get("published", {}).get("total"), 0, f"{what}: nothing published")
# an UNAUTHORIZED report per image when the worker's identity has no AcrPull
r5 = h.Run("azure-auth-worker")
good = config_for(r5, azure_auth(CID, client_secret_env="RS_IT_AZ"))
bad = config_for(r5, azure_auth(CID_NOPULL, client_secret_env="RS_IT_AZ_NP"), name="bad.json")
p, s = coordinator(r5, good)
t.eq(s["published"]["total"], 2, "no AcrPull: the coordinator (with AcrPull) publishes two")
w = r5.start_worker(bad, "--exit-when-idle", "6", env=dict(ENV, RS_IT_AZ_NP=NOPULL_SECRET),
                    log_name="worker-nopull.log")
h.wait_all([w], 180)
t.eq(w.returncode, 0, "no AcrPull: the worker exits 0 when idle")
reports = r5.consume(r5.topic("regscan.findings"), want=2, timeout=30)
t.eq(sorted((v.get("status"), v.get("error", {}).get("code"), v.get("repository"))
            for _, v in reports),
     [("error", "UNAUTHORIZED", "alpine"), ("error", "UNAUTHORIZED", "debian")],
     "no AcrPull: an UNAUTHORIZED report per image")
t.eq(all("no pull permission (403 at /oauth2/exchange)" in v.get("error", {}).get("message", "")
         and LS in v.get("error", {}).get("message", "") for _, v in reports), True,
     "no AcrPull: each report names the registry and the cause")
outputs.append(open(w.log_path).read())
outputs.append(json.dumps([v for _, v in reports]))
for run in (r, r2, r3, r4, r5):
    for topic in ("regscan.scan-requests", "regscan.dead-letter"):
        outputs.append(json.dumps([v for _, v in run.consume(run.topic(topic), timeout=4,
                                                               idle=1)]))

# ================= 5. the embedded scan with --azure (the identity of the environment) ======
img = h.layout_images(single, "12")["linux/amd64"]
expected = h.expected_packages("debian-single", {"linux/amd64": img})[img["digest"]]
scan_env = dict(os.environ, REGSCAN_CA_FILE=st.ca_file, REGSCAN_LOG="text",
                REGSCAN_KAFKA_BROKERS="127.0.0.1:1", REGSCAN_REDIS_URL="redis://127.0.0.1:1/0",
                AZURE_TENANT_ID=TENANT, AZURE_CLIENT_ID=CID, AZURE_CLIENT_SECRET=SECRET,
                AZURE_AUTHORITY_HOST=st.authority)
for k in ("AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH"):
    scan_env.pop(k, None)


def scan(env, *args):
    p = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "scan", f"{LS}/debian:12",
                        "--azure", *args], env=env, capture_output=True, text=True, timeout=120)
    outputs.append(p.stdout + p.stderr)
    return p


st.clear()
p = scan(scan_env, "--format", "json")
t.eq(p.returncode, 0, "scan --azure: exit 0")
rep = json.loads(p.stdout) if p.returncode == 0 else {}
t.eq((rep.get("status"), rep.get("digest"), (rep.get("summary") or {}).get("packages")),
     ("ok", img["digest"], len(expected)), "scan --azure: an ok report with every package")
t.eq([(f.get("client_id"), f.get("scope")) for f in forms("entra.token")], [(CID, ACR_SCOPE)],
     "scan --azure: one Entra ID token for the client from AZURE_CLIENT_ID")
p = scan(dict(scan_env, AZURE_CLIENT_SECRET=BAD_SECRET))
t.eq(p.returncode, 3, "scan --azure with a wrong secret: exit 3")
t.eq(len([l for l in p.stderr.splitlines() if LS in l and "AADSTS7000215" in l]), 1,
     "scan --azure with a wrong secret: one line names the registry and Entra's code")
no_id = {k: v for k, v in scan_env.items() if k != "AZURE_CLIENT_SECRET"}
p = scan(no_id)
t.eq(p.returncode, 2, "scan --azure without a credential: exit 2")
t.true("--azure: no identity in the environment" in p.stderr,
       "scan --azure without a credential: says which variables to set")
cert_env = dict(no_id, AZURE_CLIENT_ID=CID_CERT, AZURE_CLIENT_CERTIFICATE_PATH=CERT_FILE)
p = scan(cert_env, "--format", "json")
t.eq(p.returncode, 0, "scan --azure with AZURE_CLIENT_CERTIFICATE_PATH: exit 0")
t.eq([q.get("auth") for q in st.requests_of("entra.token", status=200)][-1:], ["certificate"],
     "scan --azure with a certificate: Entra ID took the certificate assertion")
ASSERTIONS += [f.get("client_assertion", "") for f in forms("entra.token")]

# ================= 6. no secret, assertion or token anywhere =================
sensitive = {SECRET, BAD_SECRET, NOPULL_SECRET, *ASSERTIONS}
for q in st.requests:
    for k in ("client_secret", "client_assertion", "access_token", "refresh_token"):
        v = q.get("form", {}).get(k)
        if v:
            sensitive.add(v)
    a = q.get("authorization") or ""
    if a.startswith("Bearer "):
        sensitive.add(a[7:])
sensitive.discard("")
text = "\n".join(outputs)
hits = [s_[:12] for s_ in sensitive if s_ in text]
t.eq(len(sensitive) > 10, True, "secrets, assertions and tokens were collected to grep for")
t.eq(hits, [], "no secret, assertion, Entra token, refresh or access token in any output")
st.stop()
r.stop_all()
sys.exit(t.finish())
