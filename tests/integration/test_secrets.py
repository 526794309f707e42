#!/usr/bin/python3
"""Secrets and configuration weaknesses through the embedded scan (no services needed).

1. Planted secrets (made afresh each run, so none sits in the sources): a layer adds
   /app/.env (an AWS key id and secret key) and /app/settings.json (a GitHub token), the
   next layer deletes /app/.env with a whiteout and replaces settings.json with a clean
   file, the last adds /srv/keep.txt (a Stripe key); the config carries a secret in Env,
   in a label and in a history entry. Every secret is reported, exactly: rule, path,
   line, the layer that put it there, the layer that deleted or replaced it
   (deleted_in_layer) and the redacted match; and no planted value appears anywhere in
   the scan's output (JSON and table, stdout and stderr).
2. Every configuration check: tests/data/images/misconfig-fail.json fails each one,
   misconfig-pass.json passes each one (exact id sets, and the evidence of some).
3. False-positive budget on real trees with no planted secret (at most three findings
   each, every one listed below with why it stays; expected: none): a debootstrap
   minbase root file system (deploy/local/rootfs.sh's cache), a node_modules of
   express 4.17.1 installed by npm, a site-packages of requests 2.25.0 installed by pip
   (both cached under ~/.cache/regscan, so reruns are offline).
"""

import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("secrets")
WORKER = os.path.join(h.BIN, "regscan-worker")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "regscan")
tmp = tempfile.mkdtemp(prefix="regscan-secrets-")
rnd = random.SystemRandom()


def rand(alphabet, n):
    return "".join(rnd.choice(alphabet) for _ in range(n))


UPPER = string.ascii_uppercase + "234567"
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"


def scan(layout, fmt):
    """Runs the embedded scan; returns (exit code, stdout, stderr)."""
    e = dict(os.environ)
    e.update({"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1", "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0",
              "REGSCAN_LOG": "text"})
    p = subprocess.run([WORKER, "scan", f"oci-layout:{layout}", "--format", fmt], env=e,
                       capture_output=True, text=True, timeout=900)
    return p.returncode, p.stdout, p.stderr


def scan_json(layout, what):
    rc, out, err = scan(layout, "json")
    t.eq(rc, 0, f"{what}: exit code")
    if rc:
        print(err[-3000:])
        return {}, out + err
    return json.loads(out), out + err


def build(spec, name):
    out = os.path.join(tmp, name)
    subprocess.run(["/usr/bin/python3", h.MKIMAGE, "build", spec, out], check=True,
                   capture_output=True)
    return out


def layer_digests(layout):
    images = h.layout_images(layout, "1")
    (image,) = images.values()
    return image["layers"]


# ---- 1. planted secrets -------------------------------------------------
aws_id = "AKIA" + rand(UPPER, 16)
aws_secret = rand(B64, 40)
gh = "ghp_" + rand(ALNUM, 36)
stripe = "sk_live_" + rand(ALNUM, 30)
env_secret = rand(B64, 40)
label_token = "glpat-" + rand(ALNUM, 20)
history_token = "xoxb-" + rand(string.digits, 11) + "-" + rand(string.digits, 12) + "-" + rand(ALNUM, 24)
planted = [aws_id, aws_secret, gh, stripe, env_secret, label_token, history_token]

spec = {
    "name": "secrets-planted", "tag": "1",
    "image": {
        "os": "linux", "architecture": "amd64",
        "config": {"User": "app", "Env": ["PATH=/usr/bin:/bin", f"AWS_SECRET_ACCESS_KEY={env_secret}"],
                   "Labels": {"ci.token": label_token},
                   "Healthcheck": {"Test": ["CMD", "true"]}},
        "layers": [
            {"created_by": "COPY app /app",
             "entries": [
                 {"type": "file", "path": "app/.env",
                  "lines": ["# deployment settings", f"AWS_ACCESS_KEY_ID={aws_id}",
                            f"AWS_SECRET_ACCESS_KEY={aws_secret}", "REGION=eu-west-1"]},
                 {"type": "file", "path": "app/settings.json",
                  "lines": ["{", '  "name": "app",', f'  "github_token": "{gh}"', "}"]},
                 {"type": "file", "path": "app/logo.bin", "base64": "AAECAwQ="}]},
            {"created_by": f"/bin/sh -c notify --slack {history_token} && rm /app/.env",
             "entries": [
                 {"type": "whiteout", "path": "app/.env"},
                 {"type": "file", "path": "app/settings.json", "lines": ["{", '  "name": "app"', "}"]}]},
            {"created_by": "COPY keep.txt /srv/",
             "entries": [{"type": "file", "path": "srv/keep.txt",
                          "lines": ["payments:", f"  key: {stripe}"]}]},
        ],
    },
}
spec_file = os.path.join(tmp, "secrets-planted.json")
with open(spec_file, "w") as f:
    json.dump(spec, f)
layout = build(spec_file, "secrets-planted")
L = layer_digests(layout)
rep, output = scan_json(layout, "planted")
got = sorted((s["rule"], s["path"], s["line"], s["layer"], s["deleted_in_layer"], s["match"])
             for s in rep.get("secrets", []))
want = sorted([
    ("aws-access-key-id", "/app/.env", 2, L[0], L[1], "AKIA****"),
    ("aws-secret-access-key", "/app/.env", 3, L[0], L[1], "AWS_SECRET_ACCESS_KEY=****"),
    ("github-pat", "/app/settings.json", 3, L[0], L[1], "ghp_****"),
    ("stripe-secret-key", "/srv/keep.txt", 2, L[2], None, "sk_live_****"),
    ("aws-secret-access-key", "config:Env", 2, None, None, "AWS_SECRET_ACCESS_KEY=****"),
    ("gitlab-pat", "config:Labels", 1, None, None, "glpat-****"),
    ("slack-token", "config:history[1]", 1, L[1], None, "xoxb-****"),
])
t.eq(got, want, "planted secrets: rule, path, line, layer, deleted_in_layer, match")
t.eq((rep.get("summary") or {}).get("secrets"), len(want), "summary counts the secrets")
t.eq(sorted(m["id"] for m in rep.get("misconfigurations", [])), ["secrets-in-config"],
     "the config secrets are a misconfiguration (CIS 4.10)")
t.eq([m["evidence"] for m in rep.get("misconfigurations", [])],
     ["config:Env line 2: aws-secret-access-key, config:Labels line 1: gitlab-pat, "
      "config:history[1] line 1: slack-token"], "its evidence names places and rules only")
rc, table_out, table_err = scan(layout, "table")
t.eq(rc, 0, "planted: table exit code")
t.true("deleted in" in table_out and "AKIA****" in table_out, "the table shows the redacted secrets")
everything = output + table_out + table_err + json.dumps(rep)
for v in planted:
    t.eq(everything.count(v), 0, f"planted value of {len(v)} bytes appears nowhere in the output")
    t.eq(everything.count(v[-12:]), 0, "nor its last 12 bytes")

# ---- 2. configuration checks --------------------------------------------
fail = build(h.spec_path("misconfig-fail"), "misconfig-fail")
rep, _ = scan_json(fail, "misconfig-fail")
mis = {m["id"]: m for m in rep.get("misconfigurations", [])}
t.eq(sorted(mis), h.spec_expected("misconfig-fail")["misconfigurations"], "misconfig-fail: every check fails")
t.eq({k: (m["severity"], m["cis"]) for k, m in mis.items()}, {
    "add-remote-url": ("medium", "4.9"), "no-healthcheck": ("low", "4.6"),
    "package-manager-cache": ("low", None), "pipe-to-shell": ("medium", None),
    "root-user": ("high", "4.1"), "secrets-in-config": ("high", "4.10"),
    "setuid-setgid-files": ("low", "4.8"), "ssh-port-exposed": ("medium", None),
    "sshd-installed": ("medium", None), "world-writable-system-paths": ("medium", None)},
    "misconfig-fail: severities and CIS items")
ev = {k: m["evidence"] for k, m in mis.items()}
t.eq(ev.get("setuid-setgid-files"), "2 paths: /usr/bin/sudo (4755), /usr/bin/wall (2755)", "setuid evidence")
t.eq(ev.get("world-writable-system-paths"), "2 paths: /etc/app.conf (0666), /usr/share/app (0777)",
     "world-writable evidence (the sticky /tmp is not)")
t.eq(ev.get("sshd-installed"), "package openssh-server 1:9.2p1-2+deb12u3 (dpkg)", "sshd evidence")
t.eq(ev.get("add-remote-url"), "config:history[0]: ADD of a remote URL on host downloads.example.org",
     "ADD evidence names the host only")
t.true((ev.get("package-manager-cache") or "").startswith("5 paths: "), "five cache files")
t.eq([(s["rule"], s["path"], s["match"]) for s in rep.get("secrets", [])],
     [("generic-password", "config:Env", "DB_PASSWORD=****")], "misconfig-fail: the Env password")
ok = build(h.spec_path("misconfig-pass"), "misconfig-pass")
rep, _ = scan_json(ok, "misconfig-pass")
t.eq(rep.get("misconfigurations"), [], "misconfig-pass: every check passes")
t.eq(rep.get("secrets"), [], "misconfig-pass: no secret")

# ---- 3. false-positive budget on real trees -----------------------------
# Each finding allowed on a tree is listed here with why it stays (none so far).
ALLOWED = {"rootfs": [], "node_modules": [], "site-packages": []}


def budget(name, layout):
    rep, _ = scan_json(layout, name)
    found = sorted((s["rule"], s["path"], s["line"]) for s in rep.get("secrets", []))
    if found:
        print(f"{name}: findings: {found}")
    t.true(len(found) <= 3, f"{name}: at most three findings ({len(found)})")
    t.eq(found, ALLOWED[name], f"{name}: exactly the listed findings")


npm_dir = os.path.join(CACHE, "secrets-npm-express-4.17.1")
if not os.path.isdir(os.path.join(npm_dir, "node_modules", "express")):
    os.makedirs(npm_dir, exist_ok=True)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "express@4.17.1"],
                   cwd=npm_dir, check=True, capture_output=True, timeout=600)
pip_dir = os.path.join(CACHE, "secrets-pip-requests-2.25.0")
if not os.path.isdir(os.path.join(pip_dir, "requests")):
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", pip_dir,
                    "requests==2.25.0", "urllib3==1.26.4", "chardet==3.0.4", "idna==2.10",
                    "certifi==2020.12.5"], check=True, capture_output=True, timeout=600)
for name, d in (("node_modules", npm_dir), ("site-packages", pip_dir)):
    out = os.path.join(tmp, name)
    subprocess.run(["/usr/bin/python3", h.MKIMAGE, "from-dir", d, out, "t"], check=True,
                   capture_output=True)
    budget(name, out + ":t")
rootfs = os.path.join(tmp, "rootfs")
p = subprocess.run([os.path.join(h.ROOT, "deploy", "local", "rootfs.sh"), rootfs], capture_output=True,
                   text=True, timeout=1800)
t.eq(p.returncode, 0, "rootfs.sh builds the minbase root file system")
if p.returncode == 0:
    budget("rootfs", rootfs + ":bookworm")

shutil.rmtree(tmp, ignore_errors=True)
t.finish()
