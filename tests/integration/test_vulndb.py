#!/usr/bin/python3
"""Vulnerability matching end to end: `vulndb update` builds snapshots from OSV records,
workers load vulndb:current and report exact findings (Debian source versions, an epoch on
the binary that the source lacks, Alpine origins); after an update that adds a record, the
next pass sends rematch requests, only the image whose findings changed gets a new report,
and the registry serves no blob meanwhile (counted by tests/helpers/registry_proxy.py).
When Redis loses this test's keys, the next update continues above the store's snapshot
files, and a running worker follows vulndb:current even to a lower version (a store emptied
too)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("vulndb")
r = h.Run("vulndb")
proxy = h.RegistryProxy(r.open)
OSV = os.path.join(h.ROOT, "tests", "data", "osv", "records")
if not os.path.isdir(OSV):
    OSV = os.path.join(h.ROOT, "..", "shared", "vulndb", "osv")

STRETCH = ('PRETTY_NAME="Debian GNU/Linux 9 (stretch)"\nNAME="Debian GNU/Linux"\nVERSION_ID="9"\n'
           'VERSION="9 (stretch)"\nVERSION_CODENAME=stretch\nID=debian\n')
ALPINE = ('NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\nPRETTY_NAME="Alpine Linux v3.18"\n')


def dpkg_stanza(name, version, source=None):
    s = f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n"
    if source:
        s += f"Source: {source}\n"
    return s + f"Description: {name}\n"


def image(name, os_release, files):
    entries = [{"type": "file", "path": "etc/os-release", "text": os_release}]
    entries += [{"type": "file", "path": p, "text": txt} for p, txt in files]
    spec = {"name": name, "tag": "1", "image": {"os": "linux", "architecture": "amd64",
                                                 "layers": [{"entries": entries}]}}
    path = os.path.join(r.tmp, name + ".json")
    json.dump(spec, open(path, "w"))
    layout = h.build_spec(r, path, name)
    r.push(f"{layout}:1", f"{r.open}/{r.ns}/{name}:1")
    return layout, h.layout_images(layout, "1")["linux/amd64"]["digest"]


vuln_layout, d_vuln = image("stretch-vuln", STRETCH, [("var/lib/dpkg/status", "\n".join([
    dpkg_stanza("libssl1.1", "1.1.0l-1~deb9u5", "openssl"),
    # the binary carries an epoch its source lacks: match the source version
    dpkg_stanza("libxml2", "1:2.9.4+dfsg1-2.2+deb9u6", "libxml2 (2.9.4+dfsg1-2.2+deb9u6)"),
    dpkg_stanza("dpkg", "1.18.26"),
]))])
_, d_clean = image("stretch-clean", STRETCH, [("var/lib/dpkg/status", "\n".join([
    dpkg_stanza("libssl1.1", "1.1.0l-1~deb9u6", "openssl"),
    dpkg_stanza("dpkg", "1.18.27"),
]))])
_, d_alpine = image("alpine-318", ALPINE, [("lib/apk/db/installed",
    "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:libcrypto3\nV:3.1.4-r0\nA:x86_64\no:openssl\n\n")])

store = os.path.join(r.tmp, "vulndb-store")
os.makedirs(store)
src1 = os.path.join(r.tmp, "osv-1")
for eco in ("Debian", "Alpine", "Ubuntu", "npm"):
    shutil.copytree(os.path.join(OSV, eco), os.path.join(src1, eco))
# hostile input in a source: skipped and counted, never fatal
open(os.path.join(src1, "broken.json"), "w").write('{"id": "BROKEN-1", "affected": [')
json.dump({"id": "ODD-1", "modified": "2024-01-01T00:00:00Z", "affected": [
    {"package": {"ecosystem": "NoSuchEcosystem", "name": "x"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]},
          open(os.path.join(src1, "odd.json"), "w"))
json.dump({"id": "UNPARSEABLE-1", "modified": "2024-01-01T00:00:00Z", "affected": [
    {"package": {"ecosystem": "Debian:9", "name": "zzz"},
     "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "not a version!"}]}]}]},
          open(os.path.join(src1, "unparseable.json"), "w"))


def update(*srcs):
    args = []
    for src in srcs:
        args += ["--source", src]
    p = subprocess.run([os.path.join(h.BIN, "regscan-coordinator"), "vulndb", "update", *args,
                        "--store", store, "--json"], env=r.env, capture_output=True, text=True, timeout=120)
    if p.returncode:
        print(p.stderr[-2000:])
    return p.returncode, (json.loads(p.stdout.strip().splitlines()[-1]) if p.returncode == 0 else None)


rc, u1 = update(src1)
t.eq(rc, 0, "vulndb update exits 0")
t.eq((u1["version"], u1["skipped"]["invalid"], u1["skipped"]["unknown_ecosystem"],
      u1["skipped"]["unparseable_version"]), (1, 1, 1, 1),
     "snapshot 1; the broken record, the unknown ecosystem and the unparseable version are counted")
cur = r.hgetall("vulndb:current")
t.eq((cur.get("version"), cur.get("location"), cur.get("sha256")), ("1", u1["path"], u1["sha256"]),
     "vulndb:current names snapshot 1")

config = r.tenants_file([{"name": "acme", "registries": [
    {"url": f"http://{proxy.addr}", "auth": {"type": "none"}, "repositories": [f"{r.ns}/*"]}]}])
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 3, "scan": 3, "rematch": 0}, "three images to scan")
w = r.start_worker(config, "--exit-when-idle", "6")
h.wait_all([w], 120)
reports = {v["digest"]: v for _, v in r.consume(r.topic("regscan.findings"), want=3, timeout=30)}
t.eq(sorted(reports), sorted([d_vuln, d_clean, d_alpine]), "three reports")


def vulns(rep):
    return sorted((v["id"], v["package"], v["installed_version"], v["source_package"],
                   v["source_version"], tuple(v["fixed_versions"]), v["remediation"])
                  for v in rep["vulnerabilities"])


t.eq(vulns(reports[d_vuln]), [
    ("DLA-3008-1", "libssl1.1", "1.1.0l-1~deb9u5", "openssl", "1.1.0l-1~deb9u5", ("1.1.0l-1~deb9u6",),
     "upgrade libssl1.1 (source package openssl) to 1.1.0l-1~deb9u6 or later"),
    ("DLA-3012-1", "libxml2", "1:2.9.4+dfsg1-2.2+deb9u6", "libxml2", "2.9.4+dfsg1-2.2+deb9u6",
     ("2.9.4+dfsg1-2.2+deb9u7",), "upgrade libxml2 to 2.9.4+dfsg1-2.2+deb9u7 or later"),
], "stretch-vuln: exactly the vulnerable source versions (the epoch on the binary ignored)")
t.eq(vulns(reports[d_clean]), [], "stretch-clean: nothing")
al = reports[d_alpine]["vulnerabilities"]
t.eq([(v["id"], v["package"], v["source_package"], v["upstream"], v["severity"], v["cvss"],
       v["fixed_versions"], v["remediation"]) for v in al],
     [("ALPINE-CVE-2025-26519", "musl", "musl", ["CVE-2025-26519"], "high",
       {"version": "3.1", "score": 7.0, "vector": "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:H"},
       ["1.2.4-r3"], "upgrade musl to 1.2.4-r3 or later")],
     "alpine: musl matched by origin in Alpine:v3.18, severity from the CVSS v3.1 vector")
t.eq(reports[d_alpine]["summary"]["vulnerabilities"],
     {"critical": 0, "high": 1, "medium": 0, "low": 0, "negligible": 0, "unknown": 0},
     "alpine: summary by severity")
t.eq(reports[d_vuln]["vulndb_version"], 1, "reports carry the snapshot version")
t.eq(reports[d_vuln]["os"], {"id": "debian", "version_id": "9", "pretty_name": "Debian GNU/Linux 9 (stretch)",
                             "eol": True, "eol_date": "2022-06-30", "vulnerability_source": "Debian:9",
                             "coverage": None}, "Debian 9 is flagged end-of-life")
t.eq((reports[d_alpine]["os"]["eol"], reports[d_alpine]["os"]["eol_date"]), (True, "2025-05-09"),
     "Alpine 3.18 is flagged end-of-life")
t.eq(reports[d_vuln]["summary"]["fixable"], 2, "both findings are fixable")
for d in (d_vuln, d_clean, d_alpine):
    t.eq(r.hgetall(f"done:acme:{d}").get("vulndb_version"), "1", f"done of {d[:19]} at snapshot 1")

# ---- a second snapshot adds one record that affects only stretch-vuln ----
src2 = os.path.join(r.tmp, "osv-2")
shutil.copytree(src1, src2)
json.dump({"id": "REGSCAN-TEST-0001", "modified": "2026-11-27T00:00:00Z", "summary": "test record",
           "aliases": ["CVE-2099-0001"],
           "affected": [{"package": {"ecosystem": "Debian:9", "name": "dpkg"},
                         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.18.27"}]}]}]},
          open(os.path.join(src2, "Debian", "REGSCAN-TEST-0001.json"), "w"))
# a worker that is already running switches to the new snapshot without a restart
w = r.start_worker(config, "--exit-when-idle", "20", log_name="worker-switch.log")
rc, u2 = update(src2)
t.eq((rc, u2["version"] if u2 else None), (0, 2), "snapshot 2")
blob_gets = lambda: sum(n for k, n in proxy.stats().items() if k.startswith("GET ") and "/blobs/" in k)  # noqa: E731
before = blob_gets()
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 3, "scan": 0, "rematch": 3}, "the next pass sends rematch requests")
h.wait_all([w], 120)
t.true("vulnerability snapshot 2 loaded" in open(w.log_path).read(),
       "the running worker loaded snapshot 2 between scans")
after = r.consume(r.topic("regscan.findings"), want=4, timeout=30)
t.eq(len(after), 4, "exactly one new report (3 + 1)")
new = after[-1][1]
t.eq((new["digest"], new["vulndb_version"]), (d_vuln, 2), "the new report is stretch-vuln's, at snapshot 2")
t.eq([(v["id"], v["package"], v["aliases"]) for v in new["vulnerabilities"]],
     [("REGSCAN-TEST-0001", "dpkg", ["CVE-2099-0001"]),
      ("DLA-3008-1", "libssl1.1", []),
      ("DLA-3012-1", "libxml2", [])],
     "it adds the new record (same severity: ordered by package)")
t.eq(blob_gets() - before, 0, "no blob was requested for the rematch")
for d in (d_vuln, d_clean, d_alpine):
    t.eq(r.hgetall(f"done:acme:{d}").get("vulndb_version"), "2", f"done of {d[:19]} at snapshot 2")
p, s = r.coordinator(config)
t.eq(s["published"]["total"], 0, "after the rematch nothing is requested")

# ---- a source by URL: downloaded once, then answered 304 and taken from the cache ----
import zipfile  # noqa: E402
www = os.path.join(r.tmp, "www")
os.makedirs(www)
with zipfile.ZipFile(os.path.join(www, "all.zip"), "w") as z:
    for name in sorted(os.listdir(os.path.join(src2, "Debian"))):
        z.write(os.path.join(src2, "Debian", name), name)
srv = subprocess.Popen(["/usr/bin/python3", os.path.join(h.ROOT, "tests", "helpers", "osv_server.py"),
                        "--root", www, "--port", "0", "--lifetime", "120"], stdout=subprocess.PIPE, text=True)
port = srv.stdout.readline().split()[1]
url = f"http://127.0.0.1:{port}/all.zip"
rc3, u3 = update(url)
rc4, u4 = update(url)
srv.terminate()
srv.wait()
t.eq((rc3, u3["version"], u3["records"], u3["sources_from_cache"]), (0, 3, 4, 0),
     "a URL source: snapshot 3 from the downloaded all.zip (3 DLA records + the test record)")
t.eq((rc4, u4["version"], u4["records"], u4["sources_from_cache"]), (0, 4, 4, 1),
     "the same URL again: a conditional GET answered from the cache")

# several sources at once: the records of each in one snapshot
rc5, u5 = update(os.path.join(src2, "Debian"), os.path.join(src2, "Alpine"), os.path.join(www, "all.zip"))
t.eq((rc5, u5["version"] if u5 else None, u5["records"] if u5 else None,
      u5["skipped"]["replaced"] if u5 else None), (0, 5, 5, 4),
     "three sources in one update: 4 Debian records (again in the zip: kept once) and 1 Alpine record")

# ---- the embedded mode with --vulndb ----
pe = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "scan", f"oci-layout:{vuln_layout}",
                     "--vulndb", src2, "--format", "json"], env=r.env, capture_output=True, text=True)
t.eq(pe.returncode, 0, "embedded scan with --vulndb exits 0")
rep = json.loads(pe.stdout) if pe.returncode == 0 else {"vulnerabilities": []}
t.eq(sorted(v["id"] for v in rep["vulnerabilities"]), ["DLA-3008-1", "DLA-3012-1", "REGSCAN-TEST-0001"],
     "embedded scan finds the same")
pt = subprocess.run([os.path.join(h.BIN, "regscan-worker"), "scan", f"oci-layout:{vuln_layout}",
                     "--vulndb", u2["path"] if u2 else src2], env=r.env, capture_output=True, text=True)
t.true("DLA-3008-1" in pt.stdout and "1.1.0l-1~deb9u6" in pt.stdout, "the table lists findings with their fix")

# ---- Redis loses this test's keys (only those: the Redis is shared) ----
def wait_log(proc, text, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in open(proc.log_path).read():
            return True
        time.sleep(0.2)
    return False


def forget_keys():
    for k in r.keys("*"):
        r.redis("DEL", k)
    return r.keys("*")


def all_reports(want):
    return [json.dumps(v, sort_keys=True) for _, v in
            r.consume(r.topic("regscan.findings"), want=want, timeout=60)]


seen = all_reports(4)


def rescan_all(since):
    """A coordinator pass; the (digest, vulndb_version) of the reports it brought."""
    global seen
    # a worker checks vulndb:current at most every 10 s before a scan
    time.sleep(max(0.0, since + 11 - time.time()))
    p, s = r.coordinator(config)
    t.eq(s["published"], {"total": 3, "scan": 3, "rematch": 0},
         "without its done keys every image is scanned again")
    now = all_reports(len(seen) + 3)
    new = [json.loads(v) for v in now if v not in seen]
    seen = now
    return sorted((v["digest"], v["vulndb_version"]) for v in new)


w = r.start_worker(config, "--concurrency", "1", log_name="worker-lost.log")
t.true(wait_log(w, "vulnerability snapshot 5 loaded", 60), "a new worker loads snapshot 5")
since = time.time()
t.eq(forget_keys(), [], "this test's keys are deleted")
rc6, u6 = update(src2)
t.eq((rc6, u6["version"] if u6 else None), (0, 6),
     "after the keys are lost the next version is 6 (above the store's files), not 1")
t.eq(r.hgetall("vulndb:current").get("version"), "6", "vulndb:current is at 6")
t.eq(rescan_all(since), sorted((d, 6) for d in (d_vuln, d_clean, d_alpine)),
     "the running worker reports with snapshot 6")
t.true("vulnerability snapshot 6 loaded" in open(w.log_path).read(),
       "the running worker loaded snapshot 6")

# the store emptied too (a new volume): versions start again at 1, below the worker's 6
since = time.time()
old_store = os.path.join(r.tmp, "vulndb-store-old")
os.makedirs(old_store)
for name in os.listdir(store):
    if name.startswith("vulndb-"):
        os.rename(os.path.join(store, name), os.path.join(old_store, name))
t.eq(forget_keys(), [], "this test's keys are deleted again")
rc7, u7 = update(src1)
t.eq((rc7, u7["version"] if u7 else None), (0, 1), "an empty store and no vulndb:current: version 1")
t.true(u7 is not None and u7["path"] != u1["path"]
       and os.path.basename(u7["path"]).startswith("vulndb-000001-"),
       "its file name carries its content's hash: not the first snapshot 1's name")
t.eq(rescan_all(since), sorted((d, 1) for d in (d_vuln, d_clean, d_alpine)),
     "the running worker switched down to the new snapshot 1 (another sha256) and reports with it")
t.true(wait_log(w, "vulnerability snapshot 1 loaded", 1), "the running worker loaded the new snapshot 1")
w.send_signal(signal.SIGTERM)
w.wait(timeout=60)

proxy.close()
r.stop_all()
t.finish()
