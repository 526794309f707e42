#!/usr/bin/python3
"""Conformance of the Azure stand-in (tests/helpers/azure_standin.py): Microsoft's own clients
(msal, azure-identity, azure-mgmt-containerregistry, azure-mgmt-resource-subscriptions, from
the venv of tests/tools/azure_venv.sh) get tokens with a secret, a certificate and a federated
token, list registries across pages and get 403 and the AADSTS codes where they should; the ACR
part fronts the real token-auth registry: exchange + token with urllib, a manifest GET with the
real curl that the registry accepts, and a token of another repository that it refuses."""

import base64
import hashlib
import json
import os
import secrets
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import harness as h  # noqa: E402
import azure_standin as az  # noqa: E402

t = h.Checks("azure_standin")
r = h.Run("azure_standin")
if not (r.token and r.user and r.password and os.environ.get("REGSCAN_TEST_TOKEN_REALM")):
    print("skipped: the token-auth registry is not configured (services.sh env)")
    sys.exit(h.SKIP)
p = subprocess.run([os.path.join(h.ROOT, "tests", "tools", "azure_venv.sh")],
                   capture_output=True, text=True)
if p.returncode != 0:
    print(p.stderr[-3000:])
    raise SystemExit("tests/tools/azure_venv.sh failed")
VENV_PY = p.stdout.strip().splitlines()[-1]

TENANT, OTHER_TENANT = str(uuid.uuid4()), str(uuid.uuid4())
APP_SECRET, APP_CERT, APP_EXPIRED, APP_FED = (str(uuid.uuid4()) for _ in range(4))
SECRET = "sec~" + secrets.token_urlsafe(24)
SUB_A, SUB_B, SUB_C = (str(uuid.uuid4()) for _ in range(3))
SUBJECT = "system:serviceaccount:regscan:scanner"
ISSUER = os.environ.get("REGSCAN_TEST_TOKEN_ISSUER", "regscan-test-token-service")
NS1, NS2 = f"{r.ns}/one", f"{r.ns}/two"

# ---- the image, pushed into the backend under two registries' namespaces ----
layout, _ = r.build("debian-single")
digest = h.layout_images(layout, "12")["linux/amd64"]["digest"]
creds = f"{r.user}:{r.password}"
for ref in (f"{NS1}/debian:12", f"{NS1}/debian:13", f"{NS2}/debian:12"):
    r.push(f"{layout}:12", f"{r.token}/{ref}", creds=creds)

# ---- the stand-in ----
st = az.AzureStandin(os.path.join(r.tmp, "standin"), arm_page_size=2)
st.add_tenant(OTHER_TENANT)
st.add_client(TENANT, APP_SECRET, secret=SECRET)
key_pem, cert_pem = az.make_certificate("regscan-cert")
expired_key, expired_pem = az.make_certificate("regscan-expired", expired=True)
st.add_client(TENANT, APP_CERT, cert_pem=cert_pem)
st.add_client(TENANT, APP_EXPIRED, cert_pem=expired_pem)
signer = st.federated_signer()
st.add_client(TENANT, APP_FED, federated=(signer.issuer, SUBJECT))
st.add_subscription(SUB_A, "team-a", TENANT)
st.add_subscription(SUB_B, "team-b", TENANT, forbidden=True)
st.add_subscription(SUB_C, "elsewhere", OTHER_TENANT)
one = st.add_registry(SUB_A, "acrone", NS1)
two = st.add_registry(SUB_A, "acrtwo", NS2)
three = st.add_registry(SUB_A, "acrthree", NS1, tags_api=False, sku="Basic")
st.add_registry(SUB_C, "acrelsewhere", NS2)
st.grant_acrpull(APP_SECRET, "acrone")
st.grant_acrpull(APP_SECRET, "acrthree")
st.start()


def write(name, data, mode=0o600):
    path = os.path.join(r.tmp, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def masked(form, **secret_fields):
    """`form` with each secret field replaced by whether it equals the expected value, so a
    failing check never prints a secret or a token."""
    out = dict(form)
    for k, v in secret_fields.items():
        if k in out:
            out[k] = out[k] == v
    return out


def claims_of(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
fed_file = os.path.join(r.tmp, "sa-token")
FED1 = signer.write(fed_file, SUBJECT)
FED2 = signer.token(SUBJECT)
cfg = {
    "authority": st.authority, "arm": st.arm, "tenant": TENANT,
    "acr_scope": az.ACR_AUDIENCE + "/.default", "subscriptions": [SUB_A, SUB_B],
    "clients": {
        "secret": {"id": APP_SECRET, "secret": SECRET},
        "cert": {"id": APP_CERT, "key_file": write("cert.key", key_pem),
                 "cert_file": write("cert.pem", cert_pem),
                 "pem_file": write("cert-and-key.pem", key_pem + cert_pem),
                 "sha1_hex": hashlib.sha1(der).hexdigest().upper()},
        "expired": {"id": APP_EXPIRED, "pem_file": write("expired.pem", expired_key + expired_pem)},
        "federated": {"id": APP_FED, "token_file": fed_file,
                      "next_token_file": write("sa-token.next", FED2.encode())}}}
st.inject("arm.registries", 429, retry_after=1)    # azure-core must wait and retry
env = dict(os.environ, REQUESTS_CA_BUNDLE=st.ca_file)
p = subprocess.run([VENV_PY, os.path.join(h.ROOT, "tests", "helpers", "azure_clients.py"),
                    write("clients.json", json.dumps(cfg).encode())],
                   capture_output=True, text=True, env=env, timeout=300)
if p.returncode != 0:
    print(p.stdout[-2000:], p.stderr[-4000:])
    raise SystemExit("azure_clients.py failed")
out = json.loads(p.stdout)
ARM_SCOPE = st.arm + "/.default"
TOKEN_URL = f"{st.authority}/{TENANT}/oauth2/v2.0/token"

# ================= 1. Entra ID with msal =================
m = out["msal"]
t.eq((m["secret"]["token_type"], m["secret"]["expires_in"], m["secret"]["token_source"]),
     ("Bearer", 3600, "identity_provider"), "msal secret: a Bearer token for 3600 s")
c = m["secret"].get("claims", {})
t.eq((c.get("aud"), c.get("appid"), c.get("azp"), c.get("tid"), c.get("exp", 0) - c.get("iat", 0)),
     (st.arm, APP_SECRET, APP_SECRET, TENANT, 3600), "msal secret: token claims")
t.eq(m["secret_again"]["token_source"], "cache", "msal reuses its token (no second request)")
for name in ("cert_public", "cert_thumbprint"):
    t.eq((m[name].get("token_type"), m[name].get("claims", {}).get("appid")),
         ("Bearer", APP_CERT), f"msal certificate ({name}): a token for the client")
t.eq((m["wrong_secret"].get("error"), m["wrong_secret"].get("error_codes")),
     ("invalid_client", [7000215]), "msal wrong secret: invalid_client AADSTS7000215")
t.eq((m["unknown_client"].get("error"), m["unknown_client"].get("error_codes")),
     ("unauthorized_client", [700016]), "msal unknown client: AADSTS700016")
t.eq((m["wrong_tenant"].get("error"), m["wrong_tenant"].get("message", "")[:37]),
     ("ValueError", "Unable to get authority configuration"),
     "msal wrong tenant: ValueError (its tenant discovery was refused)")
t.eq([q.get("status") for q in st.requests_of("entra.openid_configuration",
                                               tenant="no-such-tenant")], [400],
     "... by the stand-in's openid-configuration: 400")

# ================= 2. Entra ID with azure-identity =================
i = out["identity"]
for name, app in (("secret", APP_SECRET), ("cert", APP_CERT), ("workload", APP_FED)):
    cl = i[name].get("claims", {})
    # expires_on is azure-identity's own clock + expires_in, the JWT's exp the stand-in's
    # clock + the lifetime: both whole seconds, so they may differ by the one a tick passed
    t.eq((cl.get("appid"), cl.get("aud"), cl.get("tid"),
          abs(i[name].get("expires_on", 0) - cl.get("exp", 0)) <= 1),
         (app, st.arm, TENANT, True), f"azure-identity {name}: token for the client")
t.eq(i["workload_rotated"].get("claims", {}).get("aud"), az.ACR_AUDIENCE,
     "azure-identity workload identity: a second token (ACR audience) after the rotation")
t.eq(i["wrong_secret"].get("error"), "ClientAuthenticationError",
     "azure-identity wrong secret raises ClientAuthenticationError")
t.true("AADSTS7000215" in i["wrong_secret"].get("message", ""), "... naming AADSTS7000215")
t.eq(i["expired_cert"].get("error"), "ClientAuthenticationError",
     "azure-identity expired certificate raises ClientAuthenticationError")
t.true("AADSTS700027" in i["expired_cert"].get("message", "") and
       "expired" in i["expired_cert"].get("message", ""), "... naming AADSTS700027, expired")

# what the clients sent
ok_secret = st.requests_of("entra.token", auth="secret", status=200)
# msal (also inside azure-identity) sends client_info=1 besides the OAuth2 fields
t.eq([masked(q["form"], client_secret=SECRET) for q in ok_secret],
     [{"grant_type": "client_credentials", "client_id": APP_SECRET, "client_secret": True,
       "scope": ARM_SCOPE, "client_info": "1"}] * 3,
     "secret requests accepted: 3, with the exact form fields")
# msal secret 1, azure-identity secret 1, the management clients' shared credential 1
t.eq(st.tokens_issued(APP_SECRET, ARM_SCOPE), 3, "tokens issued for the secret client: 3")
t.eq(len(st.requests_of("entra.token", tenant=TENANT, status=401)), 3,
     "refused token requests (401): 2 wrong secrets, 1 expired certificate")
t.eq(len(st.requests_of("entra.token", tenant=TENANT, status=400)), 1,
     "refused token requests (400): the unknown client")
certs = st.requests_of("entra.token", auth="certificate", status=200)
t.eq(len(certs), 3, "certificate assertions accepted: msal x2, azure-identity x1")
for q in certs:
    a, hd, f = q["assertion_claims"], q["assertion_header"], q["form"]
    t.eq((a.get("aud"), a.get("iss"), a.get("sub"), isinstance(a.get("jti"), str),
          0 < a.get("exp", 0) - a.get("iat", 0) <= 600, f.get("client_assertion_type"),
          "client_secret" in f, f.get("scope")),
         (TOKEN_URL, APP_CERT, APP_CERT, True, True, az.ASSERTION_TYPE, False, ARM_SCOPE),
         f"certificate assertion ({hd.get('alg')}, x5t={'x5t' in hd}): claims and form")
t.eq(sorted((q["assertion_header"].get("alg"), "x5t#S256" in q["assertion_header"])
            for q in certs), [("PS256", True), ("RS256", False), ("RS256", False)],
     "certificate assertions: msal with the certificate PS256 + x5t#S256, msal with the "
     "SHA-1 thumbprint and azure-identity RS256 + x5t")
feds = st.requests_of("entra.token", auth="federated", status=200)
t.eq([q["form"].get("client_assertion") == tok for q, tok in zip(feds, (FED1, FED2))],
     [True, True], "workload identity: the first assertion, then the rotated file's")
t.eq([(q["assertion_claims"].get("iss"), q["assertion_claims"].get("sub"), q["form"]["scope"])
      for q in feds], [(signer.issuer, SUBJECT, ARM_SCOPE),
                       (signer.issuer, SUBJECT, az.ACR_AUDIENCE + "/.default")],
     "workload identity: issuer, subject and scope of both requests")

# ================= 3. Resource Manager with azure-mgmt =================
g = out["mgmt"]
t.eq(g["subscriptions"], [{"id": SUB_A, "name": "team-a", "tenant": TENANT, "state": "Enabled"},
                          {"id": SUB_B, "name": "team-b", "tenant": TENANT,
                           "state": "Enabled"}], "subscriptions of the tenant (not the other)")
t.eq(g["registries"][SUB_A], [
    {"name": n, "login_server": reg.login_server, "sku": sku, "state": "Succeeded",
     "type": "Microsoft.ContainerRegistry/registries"}
    for n, reg, sku in (("acrone", one, "Standard"), ("acrtwo", two, "Standard"),
                        ("acrthree", three, "Basic"))], "every registry across two pages")
t.eq([q["query"].get("$skiptoken") for q in st.requests_of("arm.registries", status=200)],
     [None, "2"], "registries: the first page, then nextLink's $skiptoken")
regs = st.requests_of("arm.registries")
t.eq([(q["status"], q.get("injected", False)) for q in regs[:2]], [(429, True), (200, False)],
     "an injected 429 (Retry-After: 1): azure-core retried the same request")
t.true(regs[1]["time"] - regs[0]["time"] >= 0.9, "... after the Retry-After second")
t.eq((g["registries"][SUB_B].get("error"), g["registries"][SUB_B].get("status"),
      g["registries"][SUB_B].get("code")), ("HttpResponseError", 403, "AuthorizationFailed"),
     "a forbidden subscription raises HttpResponseError 403 AuthorizationFailed")
t.true(all(q["api_version"] for q in st.requests_of("arm.subscriptions") +
           st.requests_of("arm.registries")), "every ARM request had an api-version")
t.eq(SECRET in p.stdout + p.stderr, False, "the secret appears in no client output")

# ================= 4. ACR: exchange, token, the real registry =================
ctx = ssl.create_default_context(cafile=st.ca_file)


def call(url, form=None, headers=None, method=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def entra_token(scope, app=APP_SECRET, secret=SECRET):
    s, b, _ = call(TOKEN_URL, {"grant_type": "client_credentials", "client_id": app,
                               "client_secret": secret, "scope": scope})
    return json.loads(b)["access_token"] if s == 200 else None


def acr_token(reg, refresh, scope):
    s, b, _ = call(reg.url + "/oauth2/token", {"grant_type": "refresh_token", "service":
                                               reg.login_server, "scope": scope,
                                               "refresh_token": refresh})
    return s, json.loads(b)


def curl_manifest(reg, repo, ref, token):
    hdr = os.path.join(r.tmp, "curl-headers")
    q = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-D", hdr, "-w", "%{http_code}",
                        "--cacert", st.ca_file, "-H", "Authorization: Bearer " + token,
                        "-H", "Accept: " + az.MANIFEST_TYPES,
                        f"{reg.url}/v2/{repo}/manifests/{ref}"], capture_output=True, text=True)
    heads = {}
    for line in open(hdr).read().splitlines()[1:]:
        k, _, v = line.partition(":")
        heads[k.strip().lower()] = v.strip()
    return int(q.stdout or 0), heads


challenge = f'Bearer realm="https://{one.login_server}/oauth2/token",service="{one.login_server}"'
s, _, hd = call(one.url + "/v2/")
t.eq((s, hd.get("WWW-Authenticate")), (401, challenge), "GET /v2/ without a token: ACR's challenge")
aad = entra_token(az.ACR_AUDIENCE + "/.default")
s, b, _ = call(one.url + "/oauth2/exchange", {"grant_type": "access_token", "service":
                                              one.login_server, "tenant": TENANT,
                                              "access_token": aad})
body = json.loads(b)
t.eq((s, sorted(body)), (200, ["refresh_token"]), "exchange: 200 with a refresh_token")
refresh = body.get("refresh_token", "")
t.eq([masked(q["form"], access_token=aad) for q in st.requests_of("acr.exchange",
                                                                  registry="acrone")],
     [{"grant_type": "access_token", "service": one.login_server, "tenant": TENANT,
       "access_token": True}], "exchange: the exact form fields recorded")
s, body = acr_token(one, refresh, "repository:debian:pull")
t.eq((s, sorted(body)), (200, ["access_token"]), "token: 200 with only an access_token")
access = body.get("access_token", "")
ac = claims_of(access) if access else {}
t.eq((ac.get("iss"), ac.get("aud"), ac.get("access"), ac.get("exp", 0) - ac.get("iat", 0)),
     (ISSUER, os.environ.get("REGSCAN_TEST_TOKEN_SERVICE", "regscan-test-registry"),
      [{"type": "repository", "name": f"{NS1}/debian", "actions": ["pull"]}], 300),
     "the access token is the real token service's, for <namespace>/debian:pull")
code, heads = curl_manifest(one, "debian", "12", access)
t.eq((code, heads.get("docker-content-digest")), (200, digest),
     "curl: the manifest through the stand-in, accepted by the real registry")
s, body = acr_token(one, refresh, "repository:other:pull")
code, heads = curl_manifest(one, "debian", "12", body.get("access_token", ""))
t.eq((code, heads.get("www-authenticate")),
     (401, challenge + ',scope="repository:debian:pull",error="insufficient_scope"'),
     "another repository's token: the registry refuses it (401, scope translated back)")
s, body = acr_token(one, refresh, "registry:catalog:*")
s, b, _ = call(one.url + "/v2/_catalog", headers={"Authorization": "Bearer " +
                                                  body.get("access_token", "")})
t.eq((s, json.loads(b)), (200, {"repositories": ["debian"]}), "catalog: this namespace only")
s, b, _ = call(one.url + "/v2/debian/tags/list", headers={"Authorization": "Bearer " + access})
tl = json.loads(b)
t.eq((s, tl.get("name"), sorted(tl.get("tags", []))), (200, "debian", ["12", "13"]),
     "tags/list: the local repository name and both tags")
basic = base64.b64encode(f"{APP_SECRET}:{SECRET}".encode()).decode()
s, b, _ = call(f"{three.url}/oauth2/token?service={three.login_server}&scope="
               "repository:debian:pull", headers={"Authorization": "Basic " + basic})
code, heads = curl_manifest(three, "debian", "13", json.loads(b).get("access_token", ""))
t.eq((s, code, heads.get("docker-content-digest")), (200, 200, digest),
     "GET /oauth2/token with appId:secret (Basic): a token the registry accepts")

# ================= 5. ACR: refusals and the _tags API =================
s, b, _ = call(two.url + "/oauth2/exchange", {"grant_type": "access_token", "service":
                                              two.login_server, "tenant": TENANT,
                                              "access_token": aad})
t.eq((s, (json.loads(b).get("errors") or [{}])[0].get("code")), (403, "DENIED"),
     "no AcrPull: 403 at exchange")
s, _, _ = call(one.url + "/oauth2/exchange", {"grant_type": "access_token", "service":
                                              one.login_server, "tenant": TENANT,
                                              "access_token": entra_token(ARM_SCOPE)})
t.eq(s, 401, "exchange with a token for another audience: 401")
st.set_tag_time("acrone", "debian", "12", "2026-01-02T03:04:05Z")
st.set_tag_time("acrone", "debian", "13", "2026-02-03T04:05:06Z")
auth = {"Authorization": "Bearer " + access}
s, b, hd = call(one.url + "/acr/v1/debian/_tags?orderby=timedesc&n=1", headers=auth)
page1 = json.loads(b)
t.eq((s, hd.get("Link")), (200, '</acr/v1/debian/_tags?last=13&n=1&orderby=timedesc>; '
                                'rel="next"'), "_tags page 1: 200 and the next Link")
t.eq(page1, {"registry": one.login_server, "imageName": "debian", "tags": [{
    "name": "13", "digest": digest, "createdTime": "2026-02-03T04:05:06.0000000Z",
    "lastUpdateTime": "2026-02-03T04:05:06.0000000Z", "signed": False,
    "changeableAttributes": {"deleteEnabled": True, "writeEnabled": True,
                             "readEnabled": True, "listEnabled": True}}]},
     "_tags page 1: the newest tag with digest and times")
s, b, hd = call(one.url + "/acr/v1/debian/_tags?last=13&n=1&orderby=timedesc", headers=auth)
t.eq((s, [(x["name"], x["lastUpdateTime"]) for x in json.loads(b)["tags"]], hd.get("Link")),
     (200, [("12", "2026-01-02T03:04:05.0000000Z")], None), "_tags page 2: the older, no Link")
s, _, hd = call(one.url + "/acr/v1/debian/_tags?orderby=timedesc")
t.eq((s, hd.get("WWW-Authenticate")), (401, challenge + ',scope="repository:debian:'
                                       'metadata_read"'), "_tags without a token: challenge")
s, b, _ = call(three.url + "/acr/v1/debian/_tags?orderby=timedesc", headers=auth)
t.eq((s, b), (404, b"404 page not found\n"), "_tags disabled: 404 as a registry without it")
one.inject("v2", 429, retry_after=2)
code1, heads1 = curl_manifest(one, "debian", "12", access)
code2, _ = curl_manifest(one, "debian", "12", access)
t.eq((code1, heads1.get("retry-after"), code2), (429, "2", 200),
     "an injected 429 with Retry-After, then the registry again")
# (compared as booleans: a failure must not print a token)
t.eq([b == access for b in st.bearers("v2", registry="acrone", repository="debian",
                                      status=200)], [True] * 3,
     "one access token for the 3 accepted requests (manifest, tags/list, manifest)")
t.eq(st.count("standin.error"), 0, "no request ended in a stand-in error")
st.revoke_acrpull(APP_SECRET, "acrone")
s, _, _ = call(one.url + "/oauth2/exchange", {"grant_type": "access_token", "service":
                                              one.login_server, "access_token": aad})
t.eq(s, 403, "AcrPull revoked: 403 at exchange")
t.eq((st.backend_tokens, st.count("acr.token", registry="acrone", status=200)), (4, 3),
     "backend tokens: one per /oauth2/token answered (3 POST on acrone + 1 Basic GET)")

# ================= 6. regscan itself over TLS (REGSCAN_CA_FILE), Basic appId:secret =========
# (ACR accepts a service principal's appId and secret in the Docker token flow: the generic
# basic auth of regscan, before any Azure code, must already work against the stand-in)
tokens_before = st.count("acr.token", registry="acrthree")
config = r.tenants_file([{"name": "acr", "registries": [{
    "url": three.url, "repositories": ["*"],
    "auth": {"type": "basic", "username": APP_SECRET, "password_env": "RS_IT_ACR_SECRET"}}]}])
p, summ = r.coordinator(config, check=False, env={"REGSCAN_CA_FILE": st.ca_file,
                                                  "RS_IT_ACR_SECRET": SECRET})
t.eq((p.returncode, (summ or {}).get("registries"), (summ or {}).get("repositories"),
      (summ or {}).get("tags"), (summ or {}).get("digests"), (summ or {}).get("errors")),
     (0, 1, 1, 2, 1, 0), "coordinator pass over the stand-in: 1 repository, 2 tags, 1 digest")
reqs = r.consume(r.topic("regscan.scan-requests"), want=1, timeout=30)
t.eq([(v["registry"], v["repository"], v["digest"]) for _, v in reqs],
     [(three.login_server, "debian", digest)], "the scan request names the login server")
got = st.requests_of("acr.token", registry="acrthree")[tokens_before:]
t.eq([(q["form"].get("scope"), q["basic_user"], q["status"]) for q in got],
     [(None, APP_SECRET, 200), ("registry:catalog:*", APP_SECRET, 200),
      ("repository:debian:metadata_read,pull", APP_SECRET, 200),
      ("repository:debian:pull", APP_SECRET, 200)],
     "regscan's token requests (the /v2/ check, catalog, the _tags listing, the repository's "
     "manifests): Basic appId, 200")
t.true(all(q["headers"].get("user-agent", "").startswith("regscan/") for q in got),
       "the token requests came from regscan (User-Agent recorded)")
t.eq(SECRET in p.stdout + p.stderr, False, "the secret appears nowhere in regscan's output")

# ================= 7. hostile input: clear refusals, never a stand-in error =================
def entra_post(form_bytes, ctype="application/x-www-form-urlencoded"):
    req = urllib.request.Request(TOKEN_URL, data=form_bytes, headers={"Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


base = {"grant_type": "client_credentials", "client_id": APP_CERT, "scope": ARM_SCOPE,
        "client_assertion_type": az.ASSERTION_TYPE}
for name, assertion, want in (
        ("not a JWT", "abc", 50027), ("bad base64", "a.b!.c", 50027),
        ("claims not an object", "e30.WzFd.", 50027),
        ("unknown thumbprint", "eyJhbGciOiJSUzI1NiIsIng1dCI6IkFBQUEifQ.e30.AAAA", 700027)):
    s, b = entra_post(urllib.parse.urlencode(dict(base, client_assertion=assertion)).encode())
    t.eq((s, b.get("error"), b.get("error_codes")), (401, "invalid_client", [want]),
         f"assertion {name}: 401 invalid_client AADSTS{want}")
s, b = entra_post(b"grant_type=client_credentials&client_id=\xff\xfe")
t.eq((s, b.get("error_codes")), (400, [900144]), "a form that is not UTF-8: 400")
s, b = entra_post(b"x" * (az.FORM_MAX + 1))
t.eq((s, b.get("error_codes")), (400, [900144]), "a form larger than 64 KiB: 400")
s, b = entra_post(urllib.parse.urlencode({"grant_type": "client_credentials", "client_id":
                                          APP_SECRET, "client_secret": SECRET,
                                          "scope": st.arm}).encode())
t.eq((s, b.get("error"), b.get("error_codes")), (400, "invalid_scope", [1002012]),
     "a scope without /.default: invalid_scope")
s, b, _ = call(one.url + "/oauth2/token", {"grant_type": "refresh_token", "service":
                                           one.login_server, "scope": "repository:debian:pull",
                                           "refresh_token": "x.y.z"})
t.eq(s, 401, "a garbage refresh token: 401")
s, b, _ = call(one.url + "/v2/debian/manifests/12/../../../two/debian/manifests/12",
               headers={"Authorization": "Bearer " + access})
t.eq((s, json.loads(b)["errors"][0]["code"]), (404, "NAME_UNKNOWN"),
     "a reference with a path in it: 404, never forwarded")
s, b, _ = call(one.url + "/v2/Debian/tags/list", headers={"Authorization": "Bearer " + access})
t.eq((s, json.loads(b)["errors"][0]["code"]), (404, "NAME_INVALID"), "an invalid name: 404")
s, _, _ = call(f"{st.arm}/subscriptions?api-version=2022-12-01&%24skiptoken=-1",
               headers={"Authorization": "Bearer " + entra_token(ARM_SCOPE)})
t.eq(s, 400, "ARM: a negative $skiptoken: 400")
s, _, _ = call(f"{st.arm}/subscriptions?api-version=2022-12-01",
               headers={"Authorization": "Bearer " + aad})
t.eq(s, 401, "ARM: a token for ACR's audience: 401")
t.eq(st.count("standin.error"), 0, "no request ended in a stand-in error")
st.stop()
t.finish()
