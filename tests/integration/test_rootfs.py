#!/usr/bin/python3
"""A real Debian 12 root file system (debootstrap --variant=minbase, deploy/local/rootfs.sh)
through the whole pipeline and through the embedded mode: the inventory lists exactly what
dpkg-query lists for that file system (names, versions, source names, source versions),
nothing else; the os is Debian 12; every package comes from the single layer; the report
counts them.

Then dpkg's package states on the same real database: some stanzas get other Status
values (a selection of deinstall/purge/hold on an installed package, pending or awaited
triggers, config-files, unpacked, half-configured, half-installed, not-installed), and the
scan must list exactly the packages that dpkg-query says are installed
(${db:Status-Status} installed, triggers-pending or triggers-awaited), whatever their
selection. (`dpkg-query -W` itself also lists config-files, unpacked and half-* packages:
it omits only not-installed ones; the unmodified minbase database has none of those.)
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ROOTFS_SH = os.path.join(h.ROOT, "deploy", "local", "rootfs.sh")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                     "regscan", "debootstrap-bookworm-minbase.tar")
if not os.path.exists(CACHE) and not shutil.which("debootstrap") and not os.path.exists("/usr/sbin/debootstrap"):
    print("skipped: no cached minbase root file system and no debootstrap (deploy/local/install-deps.sh)")
    sys.exit(h.SKIP)

t = h.Checks("rootfs")
r = h.Run("rootfs")
reg = r.open
ns = r.ns
WORKER = os.path.join(h.BIN, "regscan-worker")


def diff(got, want, what):
    """Exact set comparison; on failure prints what is missing and what is extra."""
    if got == want:
        t.passed += 1
        return True
    t.failed += 1
    print(f"FAIL {what}: {len(got)} got, {len(want)} wanted")
    for row in sorted(want - got):
        print(f"  missing: {row}")
    for row in sorted(got - want):
        print(f"  extra:   {row}")
    return False


def pkg_tuples(packages):
    out = []
    for p in packages:
        src = p.get("source") or {}
        out.append((p["name"], p["version"], src.get("name"), src.get("version")))
    return out


def embedded(ref, what):
    e = dict(os.environ)
    e.update({"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1", "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0",
              "REGSCAN_LOG": "text"})
    p = subprocess.run([WORKER, "scan", ref, "--format", "json"], env=e, capture_output=True,
                       text=True, timeout=300)
    t.eq(p.returncode, 0, f"{what}: exit code")
    if p.returncode:
        print(p.stderr[-3000:])
        return {}
    return json.loads(p.stdout)


# ---- the root file system, its layout and dpkg-query's list ----
outdir = os.path.join(r.tmp, "rootfs")
os.makedirs(outdir)
layout = os.path.join(outdir, "layout")
p = subprocess.run([ROOTFS_SH, layout], capture_output=True, text=True, timeout=1800)
if p.returncode != 0:
    print(p.stdout[-2000:], p.stderr[-4000:])
    raise RuntimeError(f"rootfs.sh exited {p.returncode}")
with open(os.path.join(outdir, "expected-packages.tsv")) as f:
    lines = [l for l in f.read().splitlines() if l]
expected = set()
for l in lines:
    cols = l.split("\t")
    t.eq(len(cols), 4, f"expected-packages.tsv line has 4 columns: {l!r}")
    expected.add(tuple(cols))
t.eq(len(expected), len(lines), "dpkg-query lists each package once")
t.true(len(expected) > 50, f"a minbase system has dozens of packages ({len(expected)})")

images = h.layout_images(layout, "bookworm")
t.eq(sorted(images), ["linux/amd64"], "one linux/amd64 image")
image = images["linux/amd64"]
t.eq(len(image["layers"]), 1, "a single layer")
layer = image["layers"][0]
digest = image["digest"]

# ---- the pipeline: registry -> coordinator -> Kafka -> one worker ----
r.push(f"{layout}:bookworm", f"{reg}/{ns}/debian-rootfs:12")
config = r.tenants_file([{"name": "acme", "registries": [r.registry(reg)]}])
p, s = r.coordinator(config)
t.eq(s["published"], {"total": 1, "scan": 1, "rematch": 0}, "coordinator publishes one request")
t.eq(s["errors"], 0, "coordinator: no errors")
w = r.start_worker(config, "--exit-when-idle", "5")
h.wait_all([w], 240)
t.eq(w.returncode, 0, "worker exits 0 when idle")

reports = r.consume(r.topic("regscan.findings"), want=1, timeout=60)
invs = r.consume(r.topic("regscan.inventory"), want=1, timeout=60)
t.eq([k for k, _ in reports], [f"acme/{digest}"], "one report, keyed tenant/digest")
t.eq([k for k, _ in invs], [f"acme/{digest}"], "one inventory, keyed tenant/digest")
rep = reports[0][1] if reports else {}
inv = invs[0][1] if invs else {}
t.eq((rep.get("status"), rep.get("parts"), inv.get("parts")), ("ok", 1, 1), "report ok, one part each")
t.eq((rep.get("os") or {}).get("id"), "debian", "os id")
t.eq((rep.get("os") or {}).get("version_id"), "12", "os version_id")
t.eq((rep.get("os") or {}).get("pretty_name"), "Debian GNU/Linux 12 (bookworm)", "os pretty_name")

pkgs = inv.get("packages", [])
got_list = pkg_tuples(pkgs)
t.eq(len(got_list), len(set(got_list)), "inventory lists each package once")
diff(set(got_list), expected, "inventory = dpkg-query (name, version, source, source version)")
t.eq(sorted({p.get("layer") for p in pkgs}), [layer], "every package comes from the single layer")
t.eq(sorted({p.get("ecosystem") for p in pkgs}), ["Debian:12"], "ecosystem Debian:12")
t.eq(sorted({p.get("path") for p in pkgs}), ["/var/lib/dpkg/status"], "path of every package")
t.eq(sorted({p.get("type") for p in pkgs}), ["dpkg"], "type of every package")
t.eq((rep.get("summary") or {}).get("packages"), len(expected), "summary count = number of packages")
t.eq(r.hgetall(f"done:acme:{digest}").get("status"), "ok", "done key written")

# ---- the embedded mode on the same layout ----
erep = embedded(f"oci-layout:{layout}", "embedded scan of the rootfs layout")
t.eq((erep.get("status"), erep.get("digest")), ("ok", digest), "embedded: status and digest")
diff(set(pkg_tuples(erep.get("packages", []))), expected, "embedded packages = dpkg-query")
t.eq(sorted({p.get("layer") for p in erep.get("packages", [])}), [layer], "embedded: the single layer")
t.eq((erep.get("summary") or {}).get("packages"), len(expected), "embedded: summary count")
erep = embedded(f"oci-layout:{layout}:bookworm", "embedded scan with the tag")
diff(set(pkg_tuples(erep.get("packages", []))), expected, "embedded packages with :TAG = dpkg-query")

# ---- dpkg package states on the real database ----
blob = os.path.join(layout, "blobs", "sha256", layer.split(":", 1)[1])
status_text = os_release = None
with tarfile.open(blob, "r:*") as tf:
    for m in tf:
        name = m.name[2:] if m.name.startswith("./") else m.name
        if name == "var/lib/dpkg/status":
            status_text = tf.extractfile(m).read().decode()
        elif name == "usr/lib/os-release":
            os_release = tf.extractfile(m).read().decode()
t.true(status_text and os_release, "the layer holds the dpkg status and os-release")

states = [  # (Status, extra field, counts as installed)
    ("deinstall ok installed", None, True),
    ("purge ok installed", None, True),
    ("hold ok installed", None, True),
    ("install ok triggers-pending", "Triggers-Pending: ldconfig", True),
    ("install ok triggers-awaited", "Triggers-Awaited: libc-bin", True),
    ("install reinstreq installed", None, True),
    ("deinstall ok config-files", None, False),
    ("install ok unpacked", None, False),
    ("install ok half-configured", None, False),
    ("install reinstreq half-installed", None, False),
    ("purge ok not-installed", None, False),
]
stanzas = status_text.strip("\n").split("\n\n")
names = sorted(s.split("\n", 1)[0].split(": ", 1)[1] for s in stanzas)
changed = {names[i]: states[i] for i in range(len(states))}
out = []
for s in stanzas:
    ls = s.split("\n")
    name = ls[0].split(": ", 1)[1]
    if name in changed:
        st, extra, _ = changed[name]
        ls = [f"Status: {st}" if l.startswith("Status: ") else l for l in ls]
        if extra:
            ls.insert(2, extra)
    out.append("\n".join(ls))
states_dir = os.path.join(r.tmp, "states")
os.makedirs(os.path.join(states_dir, "var", "lib", "dpkg"))
with open(os.path.join(states_dir, "var", "lib", "dpkg", "status"), "w") as f:
    f.write("\n\n".join(out) + "\n")
with open(os.path.join(states_dir, "os-release"), "w") as f:
    f.write(os_release)

q = subprocess.run(["dpkg-query", f"--admindir={states_dir}/var/lib/dpkg", "-W", "-f",
                    "${Package}\t${Version}\t${source:Package}\t${source:Version}\t${db:Status-Status}\n"],
                   capture_output=True, text=True, check=True)
want_states = set()
listed_by_w = set()
for l in q.stdout.splitlines():
    n, v, sn, sv, st = l.split("\t")
    listed_by_w.add(n)
    if st in ("installed", "triggers-pending", "triggers-awaited"):
        want_states.add((n, v, sn, sv))
t.eq(sorted(n for n, (_, _, keep) in changed.items() if keep),
     sorted(n for n in changed if n in {w[0] for w in want_states}),
     "dpkg-query agrees on which changed packages are installed")
t.eq(sorted(n for n in changed if n not in listed_by_w), [names[len(states) - 1]],
     "dpkg-query -W omits only the not-installed package")

spec = {"name": "rootfs-states", "tag": "states", "image": {
    "os": "linux", "architecture": "amd64", "layers": [{"entries": [
        {"type": "file", "path": "usr/lib/os-release", "source": "states/os-release"},
        {"type": "symlink", "path": "etc/os-release", "target": "../usr/lib/os-release"},
        {"type": "file", "path": "var/lib/dpkg/status", "source": "states/var/lib/dpkg/status"},
    ]}]}}
spec_path = os.path.join(r.tmp, "rootfs-states.json")
with open(spec_path, "w") as f:
    json.dump(spec, f)
states_layout = os.path.join(r.tmp, "states-layout")
subprocess.run(["/usr/bin/python3", h.MKIMAGE, "build", spec_path, states_layout], check=True,
               capture_output=True, text=True)
srep = embedded(f"oci-layout:{states_layout}:states", "embedded scan of the changed states")
got_states = set(pkg_tuples(srep.get("packages", [])))
diff(got_states, want_states, "packages = dpkg-query's installed ones (db:Status-Status)")
got_names = {g[0] for g in got_states}
for n, (st, _, keep) in sorted(changed.items()):
    t.eq(n in got_names, keep, f"'{st}' ({n}) {'listed' if keep else 'not listed'}")

r.stop_all()
t.finish()
