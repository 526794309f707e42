#!/usr/bin/python3
"""A tenant's policy, end to end.

Embedded scan (`regscan-worker scan --policy FILE`) of an Alpine 3.18 image whose musl has
ALPINE-CVE-2025-26519 (high) in ../shared/vulndb: each policy rule has a passing and a
failing case, and the exit code follows the verdict (1 = fail, DESIGN.md §2):
  - vulnerability_severity high fails, critical passes; only_fixable with a fix fails, and
    passes an image whose one high finding has no fix (a record written by the test);
  - an OpenVEX not_affected statement for the image digest and musl's purl suppresses exactly
    that finding (a statement for another vulnerability, or an `affected` one, suppresses
    nothing);
  - an allow entry by alias passes until it expires (an expired one fails);
  - a forbidden package fails, the same package at another version passes;
  - misconfiguration_severity high fails (root-user), critical passes;
  - secrets: true passes the image without a secret and fails the same image with a GitLab
    token in a config file; an allow entry for the rule and path passes it; the token's
    value is in no output;
  - a policy with an unknown key exits 2 naming it.
Pipeline: a tenant with a policy gets reports with the verdict, its effective version and
the same version in `done`; when the operator changes the policy, the next pass asks for a
rematch (no blob is pulled), the new report has a new report_id and the new verdict, and the
pass after it asks for nothing.
"""

import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("policy")
r = h.Run("policy")
proxy = h.RegistryProxy(r.open)
WORKER = os.path.join(h.BIN, "regscan-worker")
OSV = os.path.join(h.ROOT, "tests", "data", "osv", "records")  # a copy of ../shared/vulndb/osv
ALPINE = 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n'
VULN = "ALPINE-CVE-2025-26519"

spec = {"name": "alpine-318", "tag": "1", "image": {"os": "linux", "architecture": "amd64",
        "layers": [{"entries": [
            {"type": "file", "path": "etc/os-release", "text": ALPINE},
            {"type": "file", "path": "lib/apk/db/installed",
             "text": "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n"
                     "P:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\n\n"}]}]}}
spec_file = os.path.join(r.tmp, "alpine-318.json")
json.dump(spec, open(spec_file, "w"))
layout = h.build_spec(r, spec_file, "alpine-318")
digest = h.layout_images(layout, "1")["linux/amd64"]["digest"]


# the same image with a GitLab token (made up) in a config file, for the secrets rule
TOKEN = "glpat-" + "Zq8RvT2mXy7LbN4wKp1s"
spec_s = json.loads(json.dumps(spec))
spec_s["name"] = "alpine-318-secret"
spec_s["image"]["layers"][0]["entries"].append(
    {"type": "file", "path": "srv/app/deploy.ini", "text": f"[ci]\ntoken = {TOKEN}\n"})
spec_s_file = os.path.join(r.tmp, "alpine-318-secret.json")
json.dump(spec_s, open(spec_s_file, "w"))
layout_s = h.build_spec(r, spec_s_file, "alpine-318-secret")


# only_fixable: the bundled records plus one high record without a fix for libcrypto3, and
# an image that has only libcrypto3, so its one finding has no fix
OSV_NOFIX = os.path.join(r.tmp, "osv-nofix")
shutil.copytree(OSV, OSV_NOFIX)
json.dump({"id": "REGSCAN-TEST-NOFIX", "modified": "2026-12-01T00:00:00Z", "summary": "test record",
           "database_specific": {"severity": "HIGH"},
           "affected": [{"package": {"ecosystem": "Alpine:v3.18", "name": "openssl"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]},
          open(os.path.join(OSV_NOFIX, "Alpine", "REGSCAN-TEST-NOFIX.json"), "w"))
spec_n = json.loads(json.dumps(spec))
spec_n["name"] = "alpine-318-nofix"
spec_n["image"]["layers"][0]["entries"][1]["text"] = "P:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\n\n"
spec_n_file = os.path.join(r.tmp, "alpine-318-nofix.json")
json.dump(spec_n, open(spec_n_file, "w"))
layout_n = h.build_spec(r, spec_n_file, "alpine-318-nofix")


def policy_file(name, doc, vex=None):
    d = os.path.join(r.tmp, "policies")
    os.makedirs(d, exist_ok=True)
    for vname, vdoc in (vex or {}).items():
        json.dump(vdoc, open(os.path.join(d, vname), "w"))
    path = os.path.join(d, name)
    json.dump(doc, open(path, "w"))
    return path


def scan(policy, image=None, osv=OSV):
    p = subprocess.run([WORKER, "scan", f"oci-layout:{image or layout}:1", "--format", "json", "--vulndb",
                        osv, "--policy", policy], env=r.env, capture_output=True, text=True,
                       timeout=120)
    rep = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, rep, p.stderr


def rep_text(rep):
    return json.dumps(rep) if rep else ""


def verdict(rep):
    pol = rep["policy"]
    return (pol["verdict"], [(v["rule"], v["id"]) for v in pol["violations"]],
            [(s.get("id") or s.get("rule"), s["suppressed_by"]["by"]) for s in rep["suppressed"]])


HIGH = {"fail_on": {"vulnerability_severity": "high"}}
cases = [
    ("fail-high", HIGH, None, 1, ("fail", [("vulnerability_severity", VULN)], [])),
    ("pass-critical", {"fail_on": {"vulnerability_severity": "critical"}}, None, 0,
     ("pass", [], [])),
    ("fail-fixable", {"fail_on": {"vulnerability_severity": "low", "only_fixable": True}}, None, 1,
     ("fail", [("vulnerability_severity", VULN)], [])),
    ("vex-suppresses", dict(HIGH, vex=["app.openvex.json"]),
     {"app.openvex.json": {"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
         {"vulnerability": {"name": "CVE-2025-26519"},
          "products": [{"@id": digest, "subcomponents": [{"@id": "pkg:apk/alpine/musl"}]}],
          "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}},
     0, ("pass", [], [(VULN, "vex")])),
    ("vex-other", dict(HIGH, vex=["other.openvex.json"]),
     {"other.openvex.json": {"statements": [
         {"vulnerability": {"name": "CVE-2099-0001"}, "products": [{"@id": digest}],
          "status": "not_affected"},
         {"vulnerability": {"name": VULN}, "products": [{"@id": "pkg:apk/alpine/musl"}],
          "status": "affected"}]}},
     1, ("fail", [("vulnerability_severity", VULN)], [])),
    ("allow-in-force", dict(HIGH, allow=[{"id": "CVE-2025-26519", "expires": "2999-12-31"}]),
     None, 0, ("pass", [], [(VULN, "allow")])),
    ("allow-expired", dict(HIGH, allow=[{"id": "CVE-2025-26519", "expires": "2020-01-01"}]),
     None, 1, ("fail", [("vulnerability_severity", VULN)], [])),
    ("forbidden", {"forbidden_packages": [{"ecosystem": "Alpine", "name": "libcrypto3"}]}, None, 1,
     ("fail", [("forbidden_package", "libcrypto3")], [])),
    ("forbidden-other-version",
     {"forbidden_packages": [{"name": "libcrypto3", "versions": ["3.0.0-r0"]}]}, None, 0,
     ("pass", [], [])),
]
SECRETS = {"fail_on": {"secrets": True}}
cases += [
    ("fail-misconf", {"fail_on": {"misconfiguration_severity": "high"}}, None, 1,
     ("fail", [("misconfiguration_severity", "root-user")], [])),
    ("pass-misconf", {"fail_on": {"misconfiguration_severity": "critical"}}, None, 0,
     ("pass", [], [])),
    ("pass-no-secret", SECRETS, None, 0, ("pass", [], [])),
    ("fail-secret", SECRETS, None, 1, ("fail", [("secret", "gitlab-pat")], []), layout_s),
    ("allow-secret", dict(SECRETS, allow=[{"id": "gitlab-pat", "path": "/srv/app/*"}]), None, 0,
     ("pass", [], [("gitlab-pat", "allow")]), layout_s),
]
FIXABLE = {"fail_on": {"vulnerability_severity": "high", "only_fixable": True}}
cases += [
    ("nofix-fails", HIGH, None, 1, ("fail", [("vulnerability_severity", "REGSCAN-TEST-NOFIX")], []),
     layout_n, OSV_NOFIX),
    ("nofix-only-fixable-passes", FIXABLE, None, 0, ("pass", [], []), layout_n, OSV_NOFIX),
]
for name, doc, vex, want_rc, want, *image in cases:
    rc, rep, err = scan(policy_file(name + ".json", doc, vex), *image)
    t.true(TOKEN not in rep_text(rep) + err, f"{name}: the token's value is in no output")
    t.eq(rc, want_rc, f"{name}: exit code")
    if rep:
        t.eq(verdict(rep), want, f"{name}: verdict, violations, suppressed")
        t.true(rep["policy_version"] and rep["policy_version"].startswith("p1-"),
               f"{name}: the report carries the policy version")
    else:
        t.true(False, f"{name}: a report ({err[-300:]})")
rc, rep, err = scan(policy_file("bad.json", {"fail_on": {"severity": "high"}}))
t.eq((rc, rep), (2, None), "a broken policy: exit 2, no report")
t.true('unknown key "severity" in "fail_on"' in err, "the error names the key")

# ---- pipeline: the tenant's policy, then a change of it ----
r.push(f"{layout}:1", f"{r.open}/{r.ns}/alpine-318:1")
store = os.path.join(r.tmp, "vulndb-store")
os.makedirs(store)
src = os.path.join(r.tmp, "osv")
shutil.copytree(os.path.join(OSV, "Alpine"), os.path.join(src, "Alpine"))
p = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "vulndb", "update", "--source",
                    src, "--store", store], env=r.env, capture_output=True, text=True, timeout=120)
t.eq(p.returncode, 0, "vulndb update")
pol = policy_file("tenant.json", dict(HIGH, name="acme-prod"))
config = r.tenants_file([{"name": "acme", "policy": pol, "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}])
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 1, "scan": 1, "rematch": 0}, "one image to scan")
w = r.start_worker(config, "--exit-when-idle", "6")
h.wait_all([w], 120)
reps = [v for _, v in r.consume(r.topic("regscan.findings"), want=1, timeout=30)]
t.eq(len(reps), 1, "one report")
first = reps[0]
t.eq((first["policy"]["verdict"], first["policy"]["name"],
      [(v["rule"], v["id"]) for v in first["policy"]["violations"]]),
     ("fail", "acme-prod", [("vulnerability_severity", VULN)]), "the tenant's verdict")
t.eq(r.hgetall(f"done:acme:{digest}").get("policy_version"), first["policy_version"],
     "done holds the policy version of the report")

blob_gets = lambda: sum(n for k, n in proxy.stats().items() if k.startswith("GET ") and "/blobs/" in k)  # noqa: E731
before = blob_gets()
policy_file("tenant.json", dict(HIGH, name="acme-prod",
                                allow=[{"id": VULN, "reason": "accepted until the rebuild"}]))
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 1, "scan": 0, "rematch": 1}, "a changed policy asks for a rematch")
w = r.start_worker(config, "--exit-when-idle", "6")
h.wait_all([w], 120)
reps = [v for _, v in r.consume(r.topic("regscan.findings"), want=2, timeout=30)]
t.eq(len(reps), 2, "a second report")
second = reps[-1]
t.eq((second["policy"]["verdict"], [s["id"] for s in second["suppressed"]],
      second["summary"]["suppressed"], second["summary"]["vulnerabilities"]["high"]),
     ("pass", [VULN], 1, 0), "the new verdict: the finding is suppressed by the allow entry")
t.true(second["report_id"] != first["report_id"] and
       second["policy_version"] != first["policy_version"], "a new policy version and report_id")
t.eq(blob_gets() - before, 0, "no blob was pulled for the new verdict")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 0, "the pass after it asks for nothing")

r.stop_all()
proxy.close()
t.finish()
