#!/usr/bin/python3
"""The README's first command (scripts/demo.sh) ends by printing the reports of the sample
images: six images (the multi-arch index gives two), every one OK, then an incremental pass
that requests nothing."""

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
t.eq(out.strip().splitlines()[-2:], ["6 reports", "(services keep running: deploy/local/services.sh stop)"],
     "it ends with the reports")
t.eq(len(re.findall(r"^tenant demo  OK  sha256:", out, re.M)), 6, "six OK reports")
t.true(re.search(r"^pass done: .* published 0 \(scan 0, rematch 0\)", out, re.M),
       "the incremental pass requests nothing")
t.true("Alpine Linux v3.19" in out and "libssl3                      3.0.11-1~deb12u2+b1 (source openssl 3.0.11-1~deb12u2)" in out,
       "reports show the OS and packages with their sources")
t.finish()
