#!/usr/bin/python3
"""Azure discovery and ACR's time-ordered tags, end to end (docs/azure.md, "Discovery" and
"Tags on ACR (incremental listing)").

With only a tenant ID, a client ID and a secret in the tenants file, a coordinator pass
finds the tenant's registries through Resource Manager (tests/helpers/azure_standin.py:
Entra ID, ARM and ACR login servers over TLS, fronting the real token-auth registry through
the real token service): three subscriptions, one answering 403 (skipped and counted), two
registries in the first (paged with nextLink, one without the _tags API: listed with
/v2 tags/list) and one in the second. Workers scan every image with the azure auth. A second
pass after one new push lists the ACR repositories only down to the time the first saw and
publishes only the new digest, forgetting no tag it did not list; the third pass is the Nth
(full_listing_every: 2) and lists everything. No secret and no token in any output."""

import base64
import calendar
import json
import os
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "helpers"))
import harness as h  # noqa: E402
from azure_standin import AzureStandin  # noqa: E402

t = h.Checks("azure_discovery")
r = h.Run("azdisc")
if not (r.token and r.user and r.password):
    print("skipped: the token-auth registry is not configured (services.sh env)")
    sys.exit(h.SKIP)

TID = "72f988bf-0000-4000-8000-" + r.id[-8:].rjust(12, "0")
CID = "0a1b2c3d-0000-4000-8000-00000000c11d"
SECRET = "az-s3cret-" + r.id
SUBS = [("11111111-1111-4111-8111-111111111111", "prod-one"),
        ("22222222-2222-4222-8222-222222222222", "prod-two"),
        ("33333333-3333-4333-8333-333333333333", "locked")]
OLD, MID = "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"
creds = f"{r.user}:{r.password}"


def epoch(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def tag_many(repo, source_tag, tags):
    """Tags the manifest `source_tag` of backend repository `repo` as each of `tags`, with
    manifest PUTs to the token registry (a token from the real token service)."""
    q = urllib.parse.urlencode({"service": os.environ["REGSCAN_TEST_TOKEN_SERVICE"],
                                "scope": f"repository:{repo}:pull,push"})
    req = urllib.request.Request(os.environ["REGSCAN_TEST_TOKEN_REALM"] + "?" + q, headers={
        "Authorization": "Basic " + base64.b64encode(creds.encode()).decode()})
    token = json.load(urllib.request.urlopen(req, timeout=30))["token"]
    mt = "application/vnd.oci.image.manifest.v1+json, " \
         "application/vnd.docker.distribution.manifest.v2+json"
    get = urllib.request.Request(f"http://{r.token}/v2/{repo}/manifests/{source_tag}",
                                 headers={"Authorization": "Bearer " + token, "Accept": mt})
    with urllib.request.urlopen(get, timeout=30) as resp:
        body, ctype = resp.read(), resp.headers["Content-Type"]
    for tag in tags:
        put = urllib.request.Request(f"http://{r.token}/v2/{repo}/manifests/{tag}", data=body,
                                     method="PUT", headers={"Authorization": "Bearer " + token,
                                                            "Content-Type": ctype})
        urllib.request.urlopen(put, timeout=30).read()


def image(spec):
    layout, _ = r.build(spec)
    tag = json.load(open(h.spec_path(spec)))["tag"]
    return layout, tag, h.layout_images(layout, tag)["linux/amd64"]["digest"]


st = AzureStandin(os.path.join(r.tmp, "standin"), arm_page_size=1)
st.add_client(TID, CID, secret=SECRET)
for sid, name in SUBS:
    st.add_subscription(sid, name, tenant=TID, forbidden=(name == "locked"))
one = st.add_registry(SUBS[0][0], "acrone", f"{r.ns}/one")
plain = st.add_registry(SUBS[0][0], "acrplain", f"{r.ns}/plain", tags_api=False)
two = st.add_registry(SUBS[1][0], "acrtwo", f"{r.ns}/two")
for reg in ("acrone", "acrplain", "acrtwo"):
    st.grant_acrpull(CID, reg)
st.start()

# ---- images: debian (tags 11 old, 12) in acrone, alpine (a old, b) in acrtwo, a third
# image in acrplain; debian-layers is pushed as acrone's tag 13 before the second pass ----
deb, deb_tag, deb_d = image("debian-single")
alp, alp_tag, alp_d = image("alpine")
pln, pln_tag, pln_d = image("misconfig-pass")
new, new_tag, new_d = image("debian-layers")
for tag in ("11", "12"):
    r.push(f"{deb}:{deb_tag}", f"{r.token}/{r.ns}/one/debian:{tag}", creds=creds)
for tag in ("a", "b"):
    r.push(f"{alp}:{alp_tag}", f"{r.token}/{r.ns}/two/alpine:{tag}", creds=creds)
r.push(f"{pln}:{pln_tag}", f"{r.token}/{r.ns}/plain/app:1", creds=creds)
# acrtwo's "many": 121 tags of the alpine image, one second apart: two _tags pages of 100
MANY = [f"v{i:03d}" for i in range(121)]
r.push(f"{alp}:{alp_tag}", f"{r.token}/{r.ns}/two/many:{MANY[0]}", creds=creds)
tag_many(f"{r.ns}/two/many", MANY[0], MANY[1:])
for i, tag in enumerate(MANY):
    st.set_tag_time("acrtwo", "many", tag, epoch(OLD) + i)
st.set_tag_time("acrone", "debian", "11", OLD)
st.set_tag_time("acrone", "debian", "12", MID)
st.set_tag_time("acrtwo", "alpine", "a", OLD)
st.set_tag_time("acrtwo", "alpine", "b", MID)

tenants = [{"name": "az", "azure": {
    "tenant_id": TID, "client_id": CID, "client_secret_env": "RS_IT_AZ_SECRET",
    "authority": st.authority, "resource_manager": st.arm, "full_listing_every": 2}}]
config = r.tenants_file(tenants)
ENV = {"RS_IT_AZ_SECRET": SECRET, "REGSCAN_CA_FILE": st.ca_file}
LOGIN = {"acrone": one.login_server, "acrtwo": two.login_server,
         "acrplain": plain.login_server}
outputs = []


def no_secret(text, what):
    t.eq(SECRET in text, False, f"the client secret does not appear in {what}")
    t.eq("eyJ" in text, False, f"no JWT (access or refresh token) appears in {what}")


def run_pass(label):
    st.clear()
    p, s = r.coordinator(config, check=False, env=ENV)
    outputs.append(p.stdout + p.stderr)
    if p.returncode != 0:
        print(p.stderr[-3000:])
    t.eq(p.returncode, 0, f"{label}: the coordinator exits 0 (a 403 subscription is not fatal)")
    return p, s or {}


def scan(label, want):
    w = r.start_worker(config, "--exit-when-idle", "6", env=ENV, log_name=f"worker-{label}.log")
    h.wait_all([w], 180)
    t.eq(w.returncode, 0, f"{label}: the worker exits 0 when idle")
    outputs.append(open(w.log_path).read())
    return r.consume(r.topic("regscan.findings"), want=want, timeout=60)


# ================= pass 1: discovery, full listings =================
p, s = run_pass("pass 1")
t.eq(s.get("discovery"), {"subscriptions_listed": 2, "subscriptions_skipped": 1,
                          "registries_discovered": 3}, "pass 1: discovery counts")
t.eq((s.get("registries"), s.get("repositories"), s.get("tags"), s.get("digests"),
      s.get("errors")), (3, 4, 126, 3, 0),
     "pass 1: registries, repositories, tags, digests, errors")
t.eq(s.get("published"), {"total": 3, "scan": 3, "rematch": 0}, "pass 1: one request per image")
t.eq(s.get("acr_tags"), {"full": 3, "incremental": 0, "pages": 4},
     "pass 1: acrone's and acrtwo's repositories listed fully through _tags, 'many' in 2 pages")
locked = [l for l in p.stderr.splitlines() if SUBS[2][0] in l]
t.eq(len(locked), 1, "pass 1: the 403 subscription is logged once")
t.true(locked and "skipped" in locked[0] and "403 AuthorizationFailed" in locked[0],
       "pass 1: the line says skipped, 403 AuthorizationFailed")

# what Resource Manager and Entra ID saw
subs_reqs = st.requests_of("arm.subscriptions")
t.eq(sorted({q["api_version"] for q in subs_reqs}), ["2022-12-01"], "subscriptions api-version")
t.eq(len(subs_reqs), 3, "three subscriptions, one per page: three pages through nextLink")
regs_reqs = st.requests_of("arm.registries")
t.eq(sorted({q["api_version"] for q in regs_reqs}), ["2023-07-01"], "registries api-version")
per_sub = {sid: [q.get("status") for q in regs_reqs if q["path"].split("/")[2] == sid]
           for sid, _ in SUBS}
t.eq(per_sub, {SUBS[0][0]: [200, 200], SUBS[1][0]: [200], SUBS[2][0]: [403]},
     "registries: two pages in prod-one, one in prod-two, 403 in locked")
arm_tokens = [q for q in st.requests_of("entra.token", tenant=TID)
              if q["form"].get("scope") == st.arm + "/.default"]
t.eq(len(arm_tokens), 1, "one Entra ID token for Resource Manager in the pass")
t.eq(sorted(arm_tokens[0]["form"]) if arm_tokens else None,
     ["client_id", "client_secret", "grant_type", "scope"], "the token request's form fields")
t.eq((arm_tokens[0]["form"].get("grant_type"), arm_tokens[0]["form"].get("client_id"))
     if arm_tokens else None, ("client_credentials", CID), "grant type and client id")
tags_reqs = {n: [(q["path"], q["query"], q.get("status"))
                 for q in st.requests_of("acr.tags", registry=n)] for n in LOGIN}
t.eq(tags_reqs["acrone"], [("/acr/v1/debian/_tags", {"orderby": "timedesc", "n": "100"}, 200)],
     "acrone: one _tags request, newest first")
t.eq(sorted(tags_reqs["acrtwo"], key=lambda x: (x[0], sorted(x[1].items()))), [
    ("/acr/v1/alpine/_tags", {"orderby": "timedesc", "n": "100"}, 200),
    ("/acr/v1/many/_tags", {"orderby": "timedesc", "n": "100", "last": "v021"}, 200),
    ("/acr/v1/many/_tags", {"orderby": "timedesc", "n": "100"}, 200)],
    "acrtwo: alpine in one _tags page, many in two (the second through the Link header)")
t.eq([x[2] for x in tags_reqs["acrplain"]], [404], "acrplain: _tags is not offered (404)")
t.eq(len([q for q in st.requests_of("v2", registry="acrplain")
          if q["path"] == "/v2/app/tags/list"]), 1, "acrplain: listed with /v2 tags/list")
t.eq([q["path"] for q in st.requests_of("v2", registry="acrone") if "tags/list" in q["path"]],
     [], "acrone: no /v2 tags/list")
t.eq(r.smembers("registries:az"), sorted(LOGIN.values()), "registries:az holds the three")
one_key = f"tagtime:az:{one.login_server}/debian"
t.eq(r.hgetall(one_key), {"newest": str(epoch(MID)), "partial": "0"}, "tagtime after pass 1")
reqs = r.consume(r.topic("regscan.scan-requests"), want=3, timeout=30)
t.eq(sorted((v["registry"], v["repository"], v["digest"]) for _, v in reqs),
     sorted([(one.login_server, "debian", deb_d), (two.login_server, "alpine", alp_d),
             (plain.login_server, "app", pln_d)]), "pass 1: the requests")

reports = scan("pass1", 3)
t.eq(sorted((v["registry"], v["repository"], v["digest"], v["status"]) for _, v in reports),
     sorted([(one.login_server, "debian", deb_d, "ok"), (two.login_server, "alpine", alp_d, "ok"),
             (plain.login_server, "app", pln_d, "ok")]), "pass 1: an ok report per image")
t.true(st.count("acr.exchange") >= 1, "the worker authenticated through ACR's exchange")

# ================= pass 2: one new push, incremental listings =================
r.push(f"{new}:{new_tag}", f"{r.token}/{r.ns}/one/debian:13", creds=creds)
p, s = run_pass("pass 2")
t.eq(s.get("acr_tags"), {"full": 0, "incremental": 3, "pages": 3},
     "pass 2: the ACR repositories listed incrementally, one page each")
# acrone: 13 (new) and 12 (as old as the stored time), stopped at 11; acrtwo: b, stopped
# at a, and v120, stopped at v119 on the first page; acrplain: its one tag through /v2
t.eq((s.get("tags"), s.get("digests"), s.get("tags_removed"), s.get("errors")), (5, 4, 0, 0),
     "pass 2: tags listed, digests, nothing forgotten, no error")
t.eq(len(st.requests_of("acr.tags", registry="acrtwo")), 2,
     "pass 2: acrtwo: one _tags page per repository")
t.eq(len(r.smembers(f"tags:az:{two.login_server}/many")), 121,
     "pass 2: the 120 tags it did not list are still recorded")
t.eq(s.get("published"), {"total": 1, "scan": 1, "rematch": 0}, "pass 2: only the new digest")
t.eq(len(st.requests_of("acr.tags", registry="acrone")), 1, "pass 2: acrone: one _tags page")
t.eq(r.smembers(f"tags:az:{one.login_server}/debian"), ["11", "12", "13"],
     "pass 2: the tag it did not list is still recorded")
tt = r.hgetall(one_key)
t.eq(tt.get("partial"), "1", "tagtime counts the incremental listing")
t.true(int(tt.get("newest", "0")) > epoch(MID), "tagtime moved to the new tag's time")
reqs = r.consume(r.topic("regscan.scan-requests"), want=4, timeout=30)
t.eq(sorted(v["digest"] for _, v in reqs), sorted([deb_d, alp_d, pln_d, new_d]),
     "pass 2 added one request: the new digest's")
reports = scan("pass2", 4)
t.eq(sorted((v["digest"], v["status"]) for _, v in reports if v["digest"] == new_d),
     [(new_d, "ok")], "pass 2: the new image's report is ok")
t.eq(len(reports), 4, "four reports in all: one per image")

# ================= pass 3: the Nth pass lists everything =================
p, s = run_pass("pass 3")
t.eq(s.get("acr_tags"), {"full": 3, "incremental": 0, "pages": 4}, "pass 3: full listings")
t.eq((s.get("tags"), s.get("digests"), s.get("tags_removed"), s.get("errors")), (127, 4, 0, 0),
     "pass 3: every tag listed again")
t.eq(s.get("published"), {"total": 0, "scan": 0, "rematch": 0}, "pass 3: nothing to publish")
t.eq(r.hgetall(one_key).get("partial"), "0", "tagtime: the count starts again")

# ================= an explicit entry overrides the discovered defaults =================
# (a dry run: nothing is published or written) acrtwo listed with its own selection, which
# excludes every repository; the other two keep the azure block's defaults
# acrone listed too, keeping the newest tag of a full listing: on ACR that is the last
# pushed one, known from _tags alone (no manifest or config GET for the others)
listed = [{"name": "az", "registries": [
    {"url": two.url, "exclude": ["*"], "auth": {"type": "azure"}},
    {"url": one.url, "tags": {"newest": 1}, "full_listing_every": 1, "auth": {"type": "azure"}}],
    "azure": dict(tenants[0]["azure"], discover=True)}]
st.clear()
p, s = r.coordinator(r.tenants_file(listed, "listed.json"), "--dry-run", check=False, env=ENV)
outputs.append(p.stdout + p.stderr)
t.eq(p.returncode, 0, "explicit entries: the dry run exits 0")
t.eq(((s or {}).get("discovery", {}).get("registries_discovered"), (s or {}).get("registries"),
      (s or {}).get("repositories"), (s or {}).get("tags"), (s or {}).get("acr_tags")),
     (3, 3, 2, 2, {"full": 1, "incremental": 0, "pages": 1}),
     "explicit entries: three found, three scanned, acrtwo's repositories excluded by its "
     "entry, acrone's newest tag and acrplain's one")
t.eq(sorted(l.split("'")[3] for l in p.stderr.splitlines() if "is listed: its entry applies" in l),
     sorted([one.login_server, two.login_server]), "one line per listed entry that applies")
t.eq(sorted((q["method"], q["path"]) for q in st.requests_of("v2", registry="acrone")
            if q["path"] not in ("/v2/", "/v2/_catalog")),
     [("HEAD", "/v2/debian/manifests/13")],
     "tags.newest on ACR: only the last pushed tag is resolved, no manifest or config GET")

# ================= the subscriptions globs (id or display name) =================
sel = [{"name": "az", "azure": dict(tenants[0]["azure"], subscriptions=["prod-t*", "3333*"])}]
st.clear()
p, s = r.coordinator(r.tenants_file(sel, "selected.json"), "--dry-run", check=False, env=ENV)
outputs.append(p.stdout + p.stderr)
t.eq(((s or {}).get("discovery"), (s or {}).get("registries")),
     ({"subscriptions_listed": 1, "subscriptions_skipped": 2, "registries_discovered": 1}, 1),
     "subscriptions globs: prod-two by name and locked by id selected (locked: 403), prod-one not")
t.eq(sorted(q["path"].split("/")[2] for q in st.requests_of("arm.registries")),
     [SUBS[1][0], SUBS[2][0]], "subscriptions globs: prod-one's registries are not asked for")

# ================= serve: a push to a discovered registry is requested at once ===========
# the registry is in no tenants file: serve takes it from registries:{tenant}, as workers do;
# a host discovery did not find is 404 and publishes nothing
import re  # noqa: E402
import subprocess  # noqa: E402
import urllib.error  # noqa: E402
hook = [dict(tenants[0], webhook_secret_env="RS_IT_AZ_HOOK")]
HOOK = "hook-" + r.id
hook_env = dict(r.env, **ENV, RS_IT_AZ_HOOK=HOOK)
mis, mis_tag, mis_d = image("misconfig-fail")
r.push(f"{mis}:{mis_tag}", f"{r.token}/{r.ns}/one/web:14", creds=creds)
serve_log = os.path.join(r.tmp, "serve.log")
srv = subprocess.Popen([os.path.join(h.BIN, "regscan-coordinator"), "serve", "--config",
                        r.tenants_file(hook, "hook.json"), "--listen", "127.0.0.1:0"],
                       env=hook_env, stdout=open(serve_log, "w"), stderr=subprocess.STDOUT)
r.procs.append(srv)
port, deadline = None, time.time() + 30
while port is None and time.time() < deadline and srv.poll() is None:
    m = re.search(r"\(port (\d+)\)", open(serve_log).read())
    port = int(m.group(1)) if m else None
    time.sleep(0.1)
t.true(port, "serve starts")


def acr_hook(host, repo, tag, digest):
    body = {"id": "e1", "timestamp": "2026-12-07T05:00:00Z", "action": "push",
            "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 1,
                       "digest": digest, "length": 1, "repository": repo, "tag": tag},
            "request": {"id": "r1", "host": host, "method": "PUT", "useragent": "test"}}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/acr/az",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": "Bearer " + HOOK,
                                          "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


st.clear()
status, answer = acr_hook(one.login_server, "web", "14", mis_d) if port else (None, None)
t.eq(status, 200, "serve: a push to a discovered registry is accepted")
t.eq((answer or {}).get("published") if isinstance(answer, dict) else answer, 1,
     "serve: and requested at once")
reqs = r.consume(r.topic("regscan.scan-requests"), want=5, timeout=30)
t.eq([(v["registry"], v["repository"], v["digest"]) for _, v in reqs if v["digest"] == mis_d],
     [(one.login_server, "web", mis_d)], "serve: the request names the discovered registry")
t.true(st.count("acr.exchange") >= 1, "serve: authenticated through ACR's exchange")
status, _ = acr_hook("127.0.0.1:9", "web", "14", mis_d) if port else (None, None)
t.eq(status, 404, "serve: a host discovery did not find is 404")
t.eq(len(r.consume(r.topic("regscan.scan-requests"), want=6, timeout=4)), 5,
     "serve: and nothing more is published")
srv.terminate()
srv.wait(30)
outputs.append(open(serve_log).read())
t.eq(HOOK in outputs[-1], False, "serve: the webhook secret is in no log line")
reports = scan("serve", 5)
t.eq([(v["registry"], v["status"]) for _, v in reports if v["digest"] == mis_d],
     [(one.login_server, "ok")], "serve: workers scan the pushed image: its report is ok")

# ================= a request naming a registry discovery did not find =================
# (a hostile or stale message): the worker dead-letters it and sends no credential anywhere
forged = dict(reqs[0][1], registry="127.0.0.1:9", digest="sha256:" + "e" * 64)
r.produce(r.topic("regscan.scan-requests"), forged["digest"], json.dumps(forged))
st.clear()
w = r.start_worker(config, "--exit-when-idle", "6", env=ENV, log_name="worker-forged.log")
h.wait_all([w], 120)
outputs.append(open(w.log_path).read())
dead = r.consume(r.topic("regscan.dead-letter"), want=1, timeout=30)
t.eq([v.get("reason") for _, v in dead],
     ["registry '127.0.0.1:9' is not in this worker's tenants file"],
     "forged registry: dead-lettered, named")
t.eq(st.count("entra.token"), 0, "forged registry: no Entra ID token was asked for")

# ================= Entra ID refuses the identity =================
p, s = r.coordinator(config, "--dry-run", check=False,
                     env=dict(ENV, RS_IT_AZ_SECRET="wrong-" + SECRET))
outputs.append(p.stdout + p.stderr)
t.eq(p.returncode, 3, "wrong secret: the coordinator exits 3 (nothing could be listed)")
refused = [l for l in p.stderr.splitlines() if "cannot discover registries" in l]
t.eq(len(refused), 1, "wrong secret: one line says discovery failed")
t.true(refused and "tenant 'az'" in refused[0] and "AADSTS7000215" in refused[0],
       "wrong secret: the line names the tenant and Entra's cause (AADSTS7000215)")
t.eq(((s or {}).get("registries"), (s or {}).get("errors")), (0, 1),
     "wrong secret: no registry listed, one error")

for i, text in enumerate(outputs):
    no_secret(text, f"output {i}")
st.stop()
r.stop_all()
t.finish()
