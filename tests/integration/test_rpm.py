#!/usr/bin/python3
"""RPM systems, with Debian's rpm as the ground truth (embedded scan only: no service).

Three tiny packages are built here with `rpmbuild` (rs-hello: a file list; rs-suite with
`Epoch: 2` and its subpackage rs-suite-libs, whose source RPM is rs-suite's; rs-data:
noarch) and installed with `rpm --dbpath DIR --justdb` into an rpmdb.sqlite (rpm 4.18's
default backend). `rpm -qa --dbpath DIR --qf ...` is the ground truth. The same header
blobs then go into the two other formats: a BerkeleyDB hash `Packages` made by
BerkeleyDB's own db5.3_load (both byte orders), and an ndb `Packages.db`, written from
rpm's format by tests/rpmdb_tools.py (Debian's rpm has no ndb backend to write one). The
Azure Linux manifest is what `rpm -qa` prints with the manifest's query format.

Images (one layer each, with the distribution's real os-release):
  Rocky Linux 9.3 + /var/lib/rpm/rpmdb.sqlite           ecosystem "Rocky Linux:9"
  Amazon Linux 2023 + /var/lib/rpm/Packages (bdb)       no ecosystem; the report says no
                                                        source covers amzn 2023
  openSUSE Leap 15.5 + /usr/lib/sysimage/rpm/Packages.db ecosystem "openSUSE:Leap 15.5"
  Azure Linux 3.0 + container-manifest-2                ecosystem "Azure Linux:3"
For each, the inventory's rpm packages equal rpm -qa's exactly: name, [epoch:]version-
release, arch, source name and [epoch:]version, path, purl, ecosystem. An OSV record
written here for rs-suite on Rocky Linux 9 shows that the source name and the epoch are
what is matched. Hostile databases (rs-index-layer on layers): a truncated rpmdb.sqlite is
skipped (INVALID) while the ndb beside it is read; an overflow chain that loops in the
bdb and a header whose offsets point out of its data store each cost exactly that
package (counted malformed), the others are read.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import harness as h  # noqa: E402
import rpmdb_tools  # noqa: E402

for tool in ("rpmbuild", "rpm", "db5.3_load"):
    if not shutil.which(tool):
        print(f"skipped: {tool} missing (deploy/local/install-deps.sh)")
        sys.exit(h.SKIP)

t = h.Checks("rpm")
WORKER = os.path.join(h.BIN, "regscan-worker")
INDEX = os.path.join(h.BIN, "rs-index-layer")
tmp = tempfile.mkdtemp(prefix="regscan-rpm-")

SPECS = {
    "rs-hello": """Name: rs-hello
Version: 1.2.3
Release: 4.el9
Summary: regscan test package
License: MIT
Vendor: regscan tests
BuildArch: x86_64
%description
A package with a file list.
%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/share/rs-hello
echo hello > %{buildroot}/usr/bin/rs-hello
echo data > %{buildroot}/usr/share/rs-hello/data.txt
%files
/usr/bin/rs-hello
/usr/share/rs-hello/data.txt
""",
    "rs-suite": """Name: rs-suite
Epoch: 2
Version: 0.9
Release: 1
Summary: regscan test package with an epoch
License: GPL-2.0-or-later
BuildArch: x86_64
%description
A package with an epoch and a subpackage.
%package libs
Summary: its library
%description libs
The library.
%install
mkdir -p %{buildroot}/usr/lib64 %{buildroot}/usr/bin
echo lib > %{buildroot}/usr/lib64/librs.so.0
echo bin > %{buildroot}/usr/bin/rs-suite
%files
/usr/bin/rs-suite
%files libs
/usr/lib64/librs.so.0
""",
    "rs-data": """Name: rs-data
Version: 2024.1
Release: 1
Summary: regscan noarch test package
License: CC0
BuildArch: noarch
%description
A noarch package.
%install
mkdir -p %{buildroot}/usr/share/rs-data
echo x > %{buildroot}/usr/share/rs-data/table.csv
%files
/usr/share/rs-data/table.csv
""",
}

OS_RELEASE = {
    "rocky": """NAME="Rocky Linux"
VERSION="9.3 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.3"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.3"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.3"
""",
    "amzn": """NAME="Amazon Linux"
VERSION="2023"
ID="amzn"
ID_LIKE="fedora"
VERSION_ID="2023"
PLATFORM_ID="platform:al2023"
PRETTY_NAME="Amazon Linux 2023.3.20240108"
ANSI_COLOR="0;33"
CPE_NAME="cpe:2.3:o:amazon:amazon_linux:2023"
HOME_URL="https://aws.amazon.com/linux/amazon-linux-2023/"
DOCUMENTATION_URL="https://docs.aws.amazon.com/linux/"
SUPPORT_URL="https://aws.amazon.com/premiumsupport/"
BUG_REPORT_URL="https://github.com/amazonlinux/amazon-linux-2023"
VENDOR_NAME="AWS"
VENDOR_URL="https://aws.amazon.com/"
SUPPORT_END="2028-03-15"
""",
    "opensuse-leap": """NAME="openSUSE Leap"
VERSION="15.5"
ID="opensuse-leap"
ID_LIKE="suse opensuse"
VERSION_ID="15.5"
PRETTY_NAME="openSUSE Leap 15.5"
ANSI_COLOR="0;32"
CPE_NAME="cpe:/o:opensuse:leap:15.5"
BUG_REPORT_URL="https://bugs.opensuse.org"
HOME_URL="https://www.opensuse.org/"
DOCUMENTATION_URL="https://en.opensuse.org/Portal:Leap"
LOGO="distributor-logo-Leap"
""",
    "azurelinux": """NAME="Microsoft Azure Linux"
VERSION="3.0.20240727"
ID=azurelinux
VERSION_ID="3.0"
PRETTY_NAME="Microsoft Azure Linux 3.0"
ANSI_COLOR="1;34"
HOME_URL="https://aka.ms/azurelinux"
BUG_REPORT_URL="https://aka.ms/azurelinux"
SUPPORT_URL="https://aka.ms/azurelinux"
""",
}


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode:
        print(p.stdout[-2000:], p.stderr[-2000:])
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}")
    return p.stdout


# ---- the packages, the rpmdb.sqlite and rpm -qa's answer ----
top = os.path.join(tmp, "rpmbuild")
for name, spec in SPECS.items():
    os.makedirs(os.path.join(top, "SPECS"), exist_ok=True)
    path = os.path.join(top, "SPECS", name + ".spec")
    with open(path, "w") as f:
        f.write(spec)
    run(["rpmbuild", "--define", f"_topdir {top}", "--define", "_build_id_links none", "-bb", path])
rpms = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(top, "RPMS")) for f in fs)
t.eq(len(rpms), 4, "rpmbuild made four packages")
dbdir = os.path.join(tmp, "db")
os.makedirs(dbdir)
run(["rpm", "--dbpath", dbdir, "--justdb", "--nodeps", "--noscripts", "--ignorearch", "-i", *rpms])
t.eq(run(["rpm", "--eval", "%_db_backend"]).strip(), "sqlite", "rpm writes sqlite by default")

QF = "%{NAME}\\t%{EPOCH}\\t%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\n"
truth = set()
for line in run(["rpm", "-qa", "--dbpath", dbdir, "--qf", QF]).splitlines():
    name, epoch, vr, arch, srpm = line.split("\t")
    ep = "" if epoch == "(none)" else epoch + ":"
    sname, sv, sr = srpm[: -len(".src.rpm")].rsplit("-", 2)
    truth.add((name, ep + vr, arch, sname, f"{ep}{sv}-{sr}"))
t.eq(len(truth), 4, "rpm -qa lists four packages")
t.true(("rs-suite-libs", "2:0.9-1", "x86_64", "rs-suite", "2:0.9-1") in truth,
       "the subpackage carries the epoch and its source rpm")

with sqlite3.connect(f"file:{dbdir}/rpmdb.sqlite?mode=ro", uri=True) as c:
    rows = [(hn, bytes(b)) for hn, b in c.execute("SELECT hnum, blob FROM Packages ORDER BY hnum")]
t.eq(len(rows), 4, "four header blobs in Packages")


def bdb(path, rows, big_endian=False, pagesize=4096):
    dump = path + ".dump"
    with open(dump, "w") as f:
        f.write(rpmdb_tools.bdb_dump(rows, big_endian))
    run(["db5.3_load", "-f", dump, "-c", f"db_lorder={4321 if big_endian else 1234}",
         "-c", f"db_pagesize={pagesize}", path])
    os.unlink(dump)


def sqlite_copy():
    """rpmdb.sqlite as rpm left it, read through rpm's own WAL (the copy is complete)."""
    dst = os.path.join(tmp, "rpmdb.sqlite")
    with sqlite3.connect(f"file:{dbdir}/rpmdb.sqlite?mode=ro", uri=True) as src, \
            sqlite3.connect(dst) as d:
        src.backup(d)
    with sqlite3.connect(dst) as d:
        d.execute("PRAGMA journal_mode=WAL")  # as rpm writes it: header bytes 18-19 are 2
    with open(dst, "rb") as f:
        data = f.read()
    t.eq(data[18:20], b"\x02\x02", "the sqlite copy is in WAL mode, as rpm's")
    return data


def image(name, files):
    """A one-layer OCI layout of `files` {path: bytes}; returns the layout directory."""
    root = os.path.join(tmp, name + "-root")
    for path, data in files.items():
        full = os.path.join(root, path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(data)
    layout = os.path.join(tmp, name + "-layout")
    run(["/usr/bin/python3", h.MKIMAGE, "from-dir", root, layout, "latest"])
    return layout


def scan(layout, what):
    e = dict(os.environ)
    e.update({"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1", "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0",
              "REGSCAN_LOG": "text"})
    p = subprocess.run([WORKER, "scan", f"oci-layout:{layout}:latest", "--format", "json",
                        "--vulndb", osv_dir], env=e, capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, f"{what}: exit code")
    if p.returncode:
        print(p.stderr[-3000:])
        return {}
    return json.loads(p.stdout)


def purl(ns, os_id, version_id, name, version, arch):
    epoch, _, vr = version.rpartition(":")
    q = f"?arch={arch}&distro={os_id}-{version_id}" + (f"&epoch={epoch}" if epoch else "")
    return f"pkg:rpm/{ns}/{name}@{vr}{q}"


# an OSV record for rs-suite on Rocky Linux 9, fixed at 2:0.9-2: matched through the
# source name (rs-suite-libs too) and the epoch (a fix at 0.9-2 without it is older)
osv_dir = os.path.join(tmp, "osv")
os.makedirs(osv_dir)
for rid, fixed in (("RLSA-2099:0001", "2:0.9-2"), ("RLSA-2099:0002", "0.9-2")):
    with open(os.path.join(osv_dir, rid.replace(":", "-") + ".json"), "w") as f:
        json.dump({"id": rid, "modified": "2099-01-01T00:00:00Z", "summary": "rs-suite test record",
                   "affected": [{"package": {"ecosystem": "Rocky Linux:9", "name": "rs-suite"},
                                 "ranges": [{"type": "ECOSYSTEM",
                                             "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]},
                  f)

cases = [
    # (name, os-release path, os id, VERSION_ID, db path, db bytes, ecosystem, purl ns)
    ("rocky", "/etc/os-release", "rocky", "9.3", "/var/lib/rpm/rpmdb.sqlite", sqlite_copy(),
     "Rocky Linux:9", "rocky-linux"),
]
bdb_path = os.path.join(tmp, "Packages")
bdb(bdb_path, rows)
with open(bdb_path, "rb") as f:
    cases.append(("amzn", "/etc/os-release", "amzn", "2023", "/var/lib/rpm/Packages", f.read(),
                  None, "amazon"))
cases.append(("opensuse-leap", "/usr/lib/os-release", "opensuse-leap", "15.5",
              "/usr/lib/sysimage/rpm/Packages.db", rpmdb_tools.ndb(rows), "openSUSE:Leap 15.5",
              "opensuse"))
manifest_qf = ("%{NAME}\\t%{VERSION}-%{RELEASE}\\t%{INSTALLTIME}\\t%{BUILDTIME}\\t%{VENDOR}\\t"
               "%{EPOCH}\\t%{SIZE}\\t%{ARCH}\\t%{EPOCHNUM}\\t%{SOURCERPM}\\n")
manifest = run(["rpm", "-qa", "--dbpath", dbdir, "--qf", manifest_qf]).encode()
cases.append(("azurelinux", "/etc/os-release", "azurelinux", "3.0",
              "/var/lib/rpmmanifest/container-manifest-2", manifest, "Azure Linux:3", "azure-linux"))

for name, osr, os_id, vid, dbpath, data, eco, ns in cases:
    layout = image(name, {osr: OS_RELEASE[name].encode(), dbpath: data})
    rep = scan(layout, name)
    pkgs = [p for p in rep.get("packages", []) if p.get("type") == "rpm"]
    got = {(p["name"], p["version"], p["arch"], (p.get("source") or {}).get("name"),
            (p.get("source") or {}).get("version")) for p in pkgs}
    t.eq(got, truth, f"{name}: packages = rpm -qa (name, [epoch:]version-release, arch, source)")
    t.eq(len(pkgs), len(truth), f"{name}: each package once")
    t.eq(sorted({p["path"] for p in pkgs}), [dbpath], f"{name}: path = the database")
    t.eq(sorted({p.get("ecosystem") for p in pkgs}, key=str), [eco], f"{name}: ecosystem")
    t.eq(sorted(p["purl"] for p in pkgs),
         sorted(purl(ns, os_id, vid, n, v, a) for n, v, a, _, _ in truth), f"{name}: purls")
    osj = rep.get("os") or {}
    t.eq((osj.get("id"), osj.get("vulnerability_source")), (os_id, eco), f"{name}: os and its source")
    if eco is None:
        t.eq(osj.get("coverage"),
             f"no OSV source for {os_id} {vid}: its packages are listed, none is matched",
             f"{name}: the report says no source covers it")
    else:
        t.eq(osj.get("coverage"), None, f"{name}: covered, no note")
    found = sorted((v["id"], v["package"]) for v in rep.get("vulnerabilities", []))
    want = [("RLSA-2099:0001", "rs-suite"), ("RLSA-2099:0001", "rs-suite-libs")] if name == "rocky" else []
    t.eq(found, want, f"{name}: findings (source name and epoch matched)")

# ---- hostile databases, through the layer walker (rs-index-layer) ----
def index_layer(name, files):
    path = os.path.join(tmp, name + ".tar")
    with tarfile.open(path, "w") as tf:
        for p, data in files.items():
            ti = tarfile.TarInfo(p.lstrip("/"))
            ti.size = len(data)
            f = os.path.join(tmp, "member")
            with open(f, "wb") as w:
                w.write(data)
            with open(f, "rb") as r:
                tf.addfile(ti, r)
    out = run([INDEX, path])
    return json.loads(out)


def names(res, path):
    return sorted(p["name"] for f in res["files"] if f["path"] == path for p in f["packages"])


def malformed(res, path):
    """The rpmdb analyzer's count of malformed records in `path` (the secrets analyzer
    records a file entry of its own for every file it scans)."""
    return [f["malformed"] for f in res["files"] if f["path"] == path and f["analyzer"] == "rpmdb"]


all_names = sorted(r[0] for r in truth)
sq = sqlite_copy()
res = index_layer("truncated", {"/var/lib/rpm/rpmdb.sqlite": sq[: len(sq) // 2],
                                "/usr/lib/sysimage/rpm/Packages.db": rpmdb_tools.ndb(rows)})
t.eq(res["skipped"], [{"path": "/var/lib/rpm/rpmdb.sqlite", "reason": "INVALID", "analyzer": "rpmdb",
                       "detail": "invalid rpm sqlite database: database disk image is malformed"}],
     "truncated sqlite: skipped as INVALID, with SQLite's reason")
t.eq(names(res, "/usr/lib/sysimage/rpm/Packages.db"), all_names, "truncated sqlite: the ndb is read")

# big-endian bdb, small pages: every header spans an overflow chain of several pages
be_path = os.path.join(tmp, "Packages-be")
bdb(be_path, rows, big_endian=True, pagesize=512)
with open(be_path, "rb") as f:
    be = bytearray(f.read())
t.eq(be[12:16], b"\x00\x06\x15\x61", "db5.3_load wrote a big-endian hash database")
res = index_layer("bdb-be", {"/var/lib/rpm/Packages": bytes(be)})
t.eq((names(res, "/var/lib/rpm/Packages"), malformed(res, "/var/lib/rpm/Packages")),
     (all_names, [0]), "big-endian bdb with 512-byte pages: every package")
# a cycle: the second page of one chain points back at its first
ps, first = 512, None
for pg in range(1, len(be) // ps):
    p = be[pg * ps:(pg + 1) * ps]
    nxt = int.from_bytes(p[16:20], "big")
    if p[25] == 7 and nxt and first is None and int.from_bytes(p[12:16], "big") == 0:
        first, second = pg, nxt
t.true(first is not None, "an overflow chain of two pages or more")
be[second * ps + 16: second * ps + 20] = first.to_bytes(4, "big")
res = index_layer("bdb-cycle", {"/var/lib/rpm/Packages": bytes(be)})
t.eq(malformed(res, "/var/lib/rpm/Packages"), [1], "overflow cycle: one record malformed")
t.eq(len(names(res, "/var/lib/rpm/Packages")), 3, "overflow cycle: the three other packages")
t.eq(res["skipped"], [], "overflow cycle: the file is not skipped")

# a header whose NAME entry points past its data store
bad = bytearray(rows[0][1])
il = int.from_bytes(bad[0:4], "big")
for i in range(il):
    e = 8 + i * 16
    if int.from_bytes(bad[e:e + 4], "big") == 1000:  # RPMTAG_NAME
        bad[e + 8:e + 12] = (0x7FFFFFF0).to_bytes(4, "big")
bad_rows = [(rows[0][0], bytes(bad))] + rows[1:]
res = index_layer("bad-header", {"/usr/lib/sysimage/rpm/Packages.db": rpmdb_tools.ndb(bad_rows)})
t.eq(malformed(res, "/usr/lib/sysimage/rpm/Packages.db"), [1], "bad offsets: one header malformed")
t.eq(len(names(res, "/usr/lib/sysimage/rpm/Packages.db")), 3, "bad offsets: the three others")

if t.failed == 0:
    shutil.rmtree(tmp, ignore_errors=True)
t.finish()
