#!/usr/bin/python3
"""Network faults (issue 10 item 3; docs/reliability.md "Network"): tests/helpers/fault_proxy.py
in front of the real registry injects each fault into `regscan-worker scan` of one image (and
the coordinator's listing for the listing fault); each ends within a bound with the exact
outcome: a retry or resume that succeeds (the proxy's counts show the attempts) or an error
naming host, status and what was fetched -- never `ok` on wrong data. Then the credential
rule: a password never goes to a plain-http token realm on another host unless the registry
entry says "allow_insecure_realm": true."""

import json
import os
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("netfaults")
r = h.Run("netfaults")
ns = r.ns
HELPER = os.path.join(h.ROOT, "tests", "helpers", "fault_proxy.py")
# small settings so that every fault ends in seconds (defaults: docs/reliability.md)
NET_ENV = {"REGSCAN_HTTP_RETRIES": "2", "REGSCAN_HTTP_BACKOFF_MS": "50",
           "REGSCAN_HTTP_RETRY_AFTER_CAP": "2", "REGSCAN_HTTP_DEADLINE_FLOOR": "3",
           "REGSCAN_HTTP_STALL_TIME": "1", "REGSCAN_HTTP_STALL_RATE": "1024",
           "REGSCAN_LOG_LEVEL": "debug"}


class FaultProxy:
    def __init__(self, upstream, bind="127.0.0.1", realm=None):
        args = ["/usr/bin/python3", HELPER, "--upstream", upstream, "--bind", bind]
        if realm:
            args += ["--realm-rewrite", realm]
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.addr = f"{bind}:{self.p.stdout.readline().split()[1]}"

    def get(self, path):
        with urllib.request.urlopen(f"http://{self.addr}{path}", timeout=10) as f:
            return json.loads(f.read())

    def arm(self, path_re, kind, n=1, arg=0):
        q = urllib.parse.urlencode({"path": path_re, "kind": kind, "n": n, "arg": arg})
        self.get(f"/__fault/arm?{q}")

    def count(self, method, suffix):
        return sum(n for k, n in self.get("/__fault/stats").items()
                   if k.startswith(method + " ") and k.endswith(suffix))

    def close(self):
        self.p.terminate()
        self.p.wait(timeout=10)


import urllib.parse  # noqa: E402

layout, _ = r.build("debian-single")
img = h.layout_images(layout, "12")["linux/amd64"]
layer = img["layers"][0]
r.push(f"{layout}:12", f"{r.open}/{ns}/deb:12")
with open(os.path.join(layout, "blobs", "sha256", layer.split(":", 1)[1]), "rb") as f:
    LAYER_SIZE = len(f.read())
proxy = FaultProxy(r.open)
REF = f"{proxy.addr}/{ns}/deb:12"
BLOB = f"/{ns}/deb/blobs/{layer}"


def scan(env=None):
    e = dict(r.env)
    e.update(NET_ENV)
    e.update(env or {})
    t0 = time.time()
    p = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "scan", REF, "--format", "json"],
                       env=e, capture_output=True, text=True, timeout=120)
    secs = time.time() - t0
    try:
        rep = json.loads(p.stdout)
    except ValueError:
        rep = {}
    return p.returncode, rep, p.stderr, secs


def case(name, kind, n, arg, want_rc, want_gets, bound, want_err=None, env=None):
    proxy.get("/__fault/clear")
    proxy.arm(BLOB, kind, n, arg)
    rc, rep, err, secs = scan(env)
    t.eq(rc, want_rc, f"{name}: exit code")
    t.eq(rep.get("status"), "ok" if want_rc == 0 else "error", f"{name}: report status")
    t.eq(proxy.count("GET", BLOB), want_gets, f"{name}: blob GETs (attempts)")
    t.true(secs < bound, f"{name}: ends within {bound} s (took {secs:.1f} s)")
    if want_rc == 0:
        t.eq(len(rep.get("packages", [])) > 0, True, f"{name}: packages read")
    for w in want_err or []:
        t.true(w in err, f"{name}: error says {w!r}: {err[-600:]!r}")
    print(f"{name}: {secs:.1f} s", flush=True)


HOST = f"from '{proxy.addr}'"
SUBJ = f"cannot fetch blob '{ns}/deb@{layer}' {HOST}"
# an endless 404 body: read 8 KiB, dropped at once, not retried
case("endless 404 body", "error_body", 1, 404, 3, 1, 5, [f"{SUBJ}: 404 blob unknown"])
# an endless 500 body: cut, retried twice, then the status
case("endless 500 body", "error_body", 3, 500, 3, 3, 6, [f"{SUBJ}: 500 internal server error"])
# a 2 KB/s trickle: the deadline (here 1 s + size / 1 MiB/s) ends it, not retried
DL = 1000 + LAYER_SIZE * 1000 // 1048576
case("trickle 2 KB/s", "trickle", 1, 2048, 3, 1, 5,
     ["UNREACHABLE", f"transfer deadline of {DL} ms exceeded after ", f"of {LAYER_SIZE} bytes"],
     env={"REGSCAN_HTTP_DEADLINE_FLOOR": "1"})
# more bytes than the descriptor says: refused by its Content-Length
case("oversized body", "oversize", 1, 4096, 4, 1, 5,
     ["INVALID", f"blob is larger than the manifest's size {LAYER_SIZE}: ",
      f"is {LAYER_SIZE + 4096} bytes, larger than the limit of {LAYER_SIZE}"])
# 429 with Retry-After: 1, then the blob
case("429 Retry-After", "status", 1, 429, 0, 2, 8)
# bursts: two 503 then the blob; three 502 (more than the retries) end in an error
case("burst of 2 503", "status", 2, 503, 0, 3, 5)
case("burst of 3 502", "status", 3, 502, 3, 3, 5, [f"{SUBJ}: 502 bad gateway"])
# a reset after 1000 bytes: resumed with Range from byte 1000, digest checked: ok
case("reset mid-blob", "reset", 1, 1000, 0, 2, 5)
# a body shorter than its Content-Length: resumed; cut on every try: an error
case("truncated once", "truncate", 1, LAYER_SIZE // 2, 0, 2, 5)
case("truncated always", "truncate", 5, 500, 3, 3, 8, ["(after resuming)"])
# headers, then nothing: the stall limit (1 s under 1024 B/s), three attempts
case("stall", "stall", 5, 0, 3, 3, 12, ["UNREACHABLE", "Timeout was reached"])

# ---- the listing: a Link back to the page itself ends it with an error ----
proxy.get("/__fault/clear")
cfg = r.tenants_file([{"name": "acme", "registries": [r.registry(proxy.addr)]}], name="list.json")
proxy.arm(f"/{ns}/deb/tags/list", "link_self", 5)
p, s = r.coordinator(cfg, check=False, env=NET_ENV)
t.eq((s or {}).get("errors"), 1, "Link loop: one counted error")
t.eq(proxy.count("GET", f"/{ns}/deb/tags/list"), 1, "Link loop: the page fetched once")
t.true(f"cannot list tags of '{ns}/deb' from '{proxy.addr}': Link header returns to an earlier "
       "page (after 1 pages)" in p.stderr, f"Link loop: the error says so: {p.stderr[-500:]!r}")

# ---- credentials: a plain-http realm on another host gets no password ----
realm_proxy = FaultProxy(os.environ["REGSCAN_TEST_TOKEN_REALM"].split("/")[2], bind="127.0.0.2")
reg_proxy = FaultProxy(r.token, realm=f"http://{realm_proxy.addr}/token")
creds = f"{r.user}:{r.password}"
r.push(f"{layout}:12", f"{r.token}/{ns}/deb:12", creds=creds)
auth = {"type": "basic", "username": r.user, "password_env": "RS_IT_PW"}
for allow in (False, True):
    extra = {"allow_insecure_realm": True} if allow else {}
    cfg = r.tenants_file([{"name": "acme", "registries": [
        r.registry(reg_proxy.addr, auth=auth, **extra)]}], name=f"realm-{allow}.json")
    realm_proxy.get("/__fault/clear")
    p, s = r.coordinator(cfg, check=False, env={"RS_IT_PW": r.password})
    seen = realm_proxy.get("/__fault/auth")
    if not allow:
        t.eq(seen, [], "other-host plain-http realm: the realm received nothing")
        t.eq((s or {}).get("errors"), 1, "other-host plain-http realm: one error")
        t.true("is plain http on another host: credentials not sent" in p.stderr,
               f"the error says why: {p.stderr[-500:]!r}")
    else:
        t.true(len(seen) > 0 and all(a for _, a in seen),
               f"allow_insecure_realm: the realm got the credentials ({seen})")
        t.eq((s or {}).get("errors"), 0, "allow_insecure_realm: no error")
        t.eq((s or {}).get("digests"), 1, "allow_insecure_realm: the image listed")
    t.true(r.password not in p.stdout + p.stderr, "no password in the coordinator's output")
realm_proxy.close()
reg_proxy.close()
proxy.close()
t.finish()
