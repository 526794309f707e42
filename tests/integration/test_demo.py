#!/usr/bin/python3
"""The README's first command (scripts/demo.sh) ends by printing the reports of the sample
images: seven images (the multi-arch index gives two), every one OK, then an incremental
pass that requests nothing. It loads the bundled OSV records, so the reports show findings
with severities and fixes: the shop image (deploy/local/images/shop.json) has exactly the
vulnerabilities its spec's `expected` lists, across Alpine, npm, PyPI and Maven, and fails
the demo policy."""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("demo")
h.require_services()
env = dict(os.environ)
for k in list(env):
    if k.startswith("REGSCAN_TOPIC_") or k in ("REGSCAN_REDIS_PREFIX", "REGSCAN_GROUP"):
        del env[k]
p = subprocess.run([os.path.join(h.ROOT, "scripts", "demo.sh")], env=env, capture_output=True,
                   text=True, timeout=600)
out = p.stdout
if p.returncode != 0:
    print(out[-3000:], p.stderr[-3000:])
t.eq(p.returncode, 0, "demo.sh exits 0")
t.eq(out.strip().splitlines()[-2:], ["7 reports", "(services keep running: deploy/local/services.sh stop)"],
     "it ends with the reports")
t.eq(len(re.findall(r"^tenant demo  OK  sha256:", out, re.M)), 7, "seven OK reports")
t.true(re.search(r"^pass done: .* published 0 \(scan 0, rematch 0\)", out, re.M),
       "the incremental pass requests nothing")
t.true("Alpine Linux v3.19" in out and
       re.search(r"^ +Debian:12 +libssl3 +3\.0\.11-1~deb12u2\+b1 \(source openssl 3\.0\.11-1~deb12u2\)$",
                 out, re.M),
       "reports show the OS and packages with their sources")
blocks = out.split("\ntenant demo  ")
shop = [b for b in blocks if "/demo/shop:1.0" in b]
t.eq(len(shop), 1, "one report of the shop image")
shop = shop[0] if shop else ""
spec = json.load(open(os.path.join(h.ROOT, "deploy", "local", "images", "shop.json")))
got = sorted([m[1], m[2], m[0]] for m in
             re.findall(r"^      (critical|high|medium|low|unknown) +(\S+) +(\S+) \S+  ", shop, re.M))
t.eq(got, spec["expected"]["vulnerabilities"], "shop: exactly the expected findings")
t.true(re.search(r"^  vulnerabilities  9 \(critical 2, high 4, medium 3, low 0\), fixable 9, snapshot \d+$",
                 shop, re.M), "shop: the counts by severity")
t.true("upgrade org.apache.logging.log4j:log4j-core to 2.15.0 or later" in shop, "shop: the fix")
# "  secret    SEVERITY RULE  PATH:LINE  MATCH"
got = sorted([rule, path, int(line), match] for _, rule, path, line, match in
             re.findall(r"^  secret    (\S+) +(\S+)  (\S+):(\d+)  (\S+)$", shop, re.M))
t.eq(got, spec["expected"]["secrets"], "shop: the secret, redacted")
t.true("STRIPE_KEY=sk_live_5" not in out and "sk_live_51Hq8vZ2e" not in out + p.stderr,
       "shop: the secret's value appears nowhere in the demo's output")
got = sorted([m[1], m[0]] for m in re.findall(r"^  config    (\S+) +(\S+)  ", shop, re.M))
t.eq(got, spec["expected"]["misconfigurations"], "shop: the configuration weaknesses")
t.true(re.search(r"^  policy    FAIL \(demo\), 8 violations: misconfiguration_severity, secret, "
                 r"vulnerability_severity$", shop, re.M), "shop: the verdict fails, and why")
t.finish()
