#!/usr/bin/python3
"""Language packages of real applications through the embedded scan (no services), each set
checked against the real tool's own answer on the same tree, run here:

  npm     `npm install lodash@4.17.20 express@4.17.1` under /app: the npm packages are exactly
          the (name, version) set of `npm ls --all --json` (deduped entries once), each read from
          its own package.json; the package-lock.json beside node_modules adds no duplicate;
          the findings are exactly the npm records of ../shared/vulndb whose ranges hold the
          installed versions (computed here from the records).
  python  a venv's pip install of requests==2.25.0 urllib3==1.26.4 copied to
          /usr/local/lib/python3.11/dist-packages: the PyPI packages are exactly
          `pip list --path ... --format json` (PEP 503 names); beside them Debian's own
          python3-six and python3-urllib3 unpacked and configured by the real dpkg
          (--admindir/--instdir): they appear once each, as dpkg packages equal to
          `dpkg-query -W` of that database, never as PyPI; findings exactly as computed.
  gem     Debian's ruby-rack gemspec placed where Bundler installs gems: RubyGems rack with the
          gemspec's own name and version; its findings exactly as computed.
  dotnet, composer  a deps.json and both installed.json formats written here: exact packages.
  hostile a 50 MB METADATA and a 40 MB package.json beside small packages: the layer result
          skips both (path, LIMIT_EXCEEDED, analyzer), the scan still reports the rest.

Downloads (npm, PyPI, Debian) are cached under ${XDG_CACHE_HOME:-~/.cache}/regscan/ so reruns
are offline.
"""

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

from packaging.version import Version  # noqa: E402  (Debian's python3-packaging)

WORKER = os.path.join(h.BIN, "regscan-worker")
INDEX_LAYER = os.path.join(h.BIN, "rs-index-layer")
OSV = os.path.join(h.ROOT, "tests", "data", "osv", "records")  # a copy of ../shared/vulndb/osv
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "regscan")
PY_SITE = "usr/local/lib/python3.11/dist-packages"

t = h.Checks("apps")
tmp = tempfile.mkdtemp(prefix="regscan-apps-")
os.makedirs(CACHE, exist_ok=True)


def run(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)
    if p.returncode != 0:
        print(p.stdout[-3000:], p.stderr[-3000:])
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}")
    return p.stdout


def cached_tree(name, build):
    """The tarball CACHE/name, made by build(dir) the first time; extracted into a new dir."""
    tarball = os.path.join(CACHE, name)
    if not os.path.exists(tarball):
        work = tempfile.mkdtemp(prefix="regscan-apps-build-")
        build(work)
        with tarfile.open(tarball + ".part", "w") as tf:
            tf.add(work, arcname=".")
        os.replace(tarball + ".part", tarball)
        shutil.rmtree(work)
    out = tempfile.mkdtemp(dir=tmp)
    with tarfile.open(tarball) as tf:
        tf.extractall(out)
    return out


def debs(*names):
    """Debian's .deb files of `names` (apt-get download, cached)."""
    d = os.path.join(CACHE, "debs")
    os.makedirs(d, exist_ok=True)
    out = []
    for n in names:
        found = glob.glob(os.path.join(d, f"{n}_*.deb"))
        if not found:
            run(["apt-get", "download", n], cwd=d)
            found = glob.glob(os.path.join(d, f"{n}_*.deb"))
        out.append(sorted(found)[-1])
    return out


def scan(root, tag, compression="gzip"):
    """One-layer image of `root`, scanned; returns (report, layer blob path)."""
    layout = os.path.join(tmp, "layout-" + tag)
    run(["/usr/bin/python3", h.MKIMAGE, "from-dir", root, layout, tag, "--compression", compression])
    e = dict(os.environ)
    e.update({"REGSCAN_KAFKA_BROKERS": "127.0.0.1:1", "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0",
              "REGSCAN_LOG": "text"})
    p = subprocess.run([WORKER, "scan", f"oci-layout:{layout}:{tag}", "--format", "json",
                        "--vulndb", OSV], env=e, capture_output=True, text=True, timeout=600)
    t.eq(p.returncode, 0, f"{tag}: scan exit code")
    if p.returncode:
        print(p.stderr[-3000:])
        return {}, None
    img = h.layout_images(layout, tag)["linux/amd64"]
    return json.loads(p.stdout), os.path.join(layout, "blobs", "sha256", img["layers"][0][7:])


def diff(got, want, what):
    if got == want:
        t.passed += 1
        return
    t.failed += 1
    print(f"FAIL {what}: {len(got)} got, {len(want)} wanted")
    for row in sorted(want - got):
        print(f"  missing: {row}")
    for row in sorted(got - want):
        print(f"  extra:   {row}")


def pkgs(report, eco):
    return [p for p in report.get("packages", []) if p.get("ecosystem") == eco]


# ---- version orders of the oracle: independent of the C code ----
def semver_key(v):
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$", v)
    if not m:
        raise ValueError(v)
    pre = m.group(4)
    pk = (1,) if pre is None else (0, tuple((0, int(x), "") if x.isdigit() else (1, 0, x)
                                            for x in pre.split(".")))
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), pk)


def gem_key(v):
    segs = [(1, int(x), "") if x.isdigit() else (0, 0, x) for x in re.findall(r"\d+|[a-zA-Z]+", v)]
    while segs and segs[-1] == (1, 0, ""):
        segs.pop()
    return tuple(segs)


KEYS = {"npm": semver_key, "PyPI": Version, "RubyGems": gem_key}
NORM = {"npm": lambda n: n, "PyPI": lambda n: re.sub(r"[-_.]+", "-", n).lower(),
        "RubyGems": lambda n: n}


def affected(rec, eco, name, version):
    key = KEYS[eco]
    for a in rec.get("affected", []):
        pk = a.get("package", {})
        if pk.get("ecosystem") != eco or NORM[eco](pk.get("name", "")) != NORM[eco](name):
            continue
        if version in a.get("versions", []):
            return True
        for r in a.get("ranges", []):
            if r.get("type") not in ("SEMVER", "ECOSYSTEM"):
                continue
            ev = []
            for e in r.get("events", []):
                (kind, val), = e.items()
                ev.append((key("0.0.0" if eco == "npm" and val == "0" else val), kind))
            ev.sort(key=lambda x: x[0])
            hit = False
            for val, kind in ev:
                if kind == "introduced" and key(version) >= val:
                    hit = True
                elif kind == "fixed" and key(version) >= val:
                    hit = False
                elif kind == "last_affected" and key(version) > val:
                    hit = False
            if hit:
                return True
    return False


def expected_findings(eco, packages):
    """{(name, version, record id)} of the records of ../shared/vulndb/osv/<eco>/ that hold."""
    out = set()
    for f in sorted(glob.glob(os.path.join(OSV, eco, "*.json"))):
        with open(f) as fh:
            rec = json.load(fh)
        if rec.get("withdrawn"):
            continue
        for name, version in packages:
            if affected(rec, eco, name, version):
                out.add((name, version, rec["id"]))
    return out


def got_findings(report, eco):
    ids = {os.path.basename(f)[:-5] for f in glob.glob(os.path.join(OSV, eco, "*.json"))}
    out = set()
    for v in report.get("vulnerabilities", []):
        if v.get("ecosystem") == eco:
            for i in {v["id"], *v.get("aliases", [])} & ids:
                out.add((v["package"], v["installed_version"], i))
    return out


def os_release(root):
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    shutil.copy("/usr/lib/os-release", os.path.join(root, "etc", "os-release"))


# ---- npm ----
def npm_build(d):
    run(["npm", "install", "--no-audit", "--no-fund", "lodash@4.17.20", "express@4.17.1"], cwd=d)


npm_root = cached_tree("apps-npm-lodash-4.17.20-express-4.17.1.tar", npm_build)
img = os.path.join(tmp, "npm-img")
shutil.copytree(npm_root, os.path.join(img, "app"), symlinks=True)
os_release(img)
truth = json.loads(run(["npm", "ls", "--all", "--json"], cwd=os.path.join(img, "app")))
want_npm = set()


def flatten(deps):
    for name, d in (deps or {}).items():
        if "version" in d:
            want_npm.add((name, d["version"]))
        flatten(d.get("dependencies"))


flatten(truth.get("dependencies"))
t.true(("lodash", "4.17.20") in want_npm and ("express", "4.17.1") in want_npm,
       "npm ls lists lodash 4.17.20 and express 4.17.1")
rep, _ = scan(img, "npm")
got = pkgs(rep, "npm")
diff({(p["name"], p["version"]) for p in got}, want_npm, "npm packages = npm ls --all")
manifests = set()
for dirpath, dirs, files in os.walk(os.path.join(img, "app", "node_modules")):
    rel = "/" + os.path.relpath(dirpath, img)
    if "package.json" in files and re.search(r"/node_modules/(@[^/]+/)?[^/@.][^/]*$", rel):
        manifests.add(rel + "/package.json")
t.eq(sorted(p["path"] for p in got), sorted(manifests),
     "one npm package per installed package.json, read from it (no lock-file duplicate)")
bad = []
for p in got:
    with open(os.path.join(img, p["path"].lstrip("/"))) as f:
        pj = json.load(f)
    if (pj.get("name"), pj.get("version")) != (p["name"], p["version"]):
        bad.append(p["path"])
    scope, _, bare = p["name"].rpartition("/")
    want_purl = f"pkg:npm/{scope.replace('@', '%40') + '/' if scope else ''}{bare}@{p['version']}"
    if (p["type"], p["purl"]) != ("npm", want_purl):
        bad.append(p["purl"])
t.eq(bad, [], "every npm package's path, type and purl")
want_v = expected_findings("npm", want_npm)
t.true({i for _, _, i in want_v} >= {"GHSA-35jh-r3h4-6jhm", "GHSA-rv95-896h-c2vc"},
       "the records say lodash 4.17.20 and express 4.17.1 are affected")
diff(got_findings(rep, "npm"), want_v, "npm findings = records holding the versions")

# the lock file alone (no node_modules): its packages, path = the lock file
lock_img = os.path.join(tmp, "npm-lock-img")
os.makedirs(os.path.join(lock_img, "app"))
shutil.copy(os.path.join(npm_root, "package-lock.json"), os.path.join(lock_img, "app"))
rep, _ = scan(lock_img, "npmlock")
diff({(p["name"], p["version"], p["path"]) for p in pkgs(rep, "npm")},
     {(n, v, "/app/package-lock.json") for n, v in want_npm}, "lock file alone = npm ls --all")


# ---- Python: pip-installed beside Debian's own ----
def pip_build(d):
    venv = os.path.join(d, "venv")
    run(["/usr/bin/python3", "-m", "venv", venv])
    run([os.path.join(venv, "bin", "pip"), "install", "--no-cache-dir", "requests==2.25.0",
         "urllib3==1.26.4"])
    site = os.path.join(venv, "lib", "python3.11", "site-packages")
    shutil.move(site, os.path.join(d, "site-packages"))
    shutil.rmtree(venv)


site_root = cached_tree("apps-pip-requests-2.25.0-urllib3-1.26.4.tar", pip_build)
img = os.path.join(tmp, "py-img")
shutil.copytree(os.path.join(site_root, "site-packages"), os.path.join(img, PY_SITE), symlinks=True)
os_release(img)
admin = os.path.join(img, "var", "lib", "dpkg")
for sub in ("info", "updates", "triggers"):
    os.makedirs(os.path.join(admin, sub))
for f in ("status", "available"):
    open(os.path.join(admin, f), "w").close()
dpkg = ["dpkg", f"--admindir={admin}", f"--instdir={img}", "--force-not-root", "--force-depends",
        "--force-script-chrootless"]
run(dpkg + ["--unpack"] + debs("python3-six", "python3-urllib3"))
# postinst only byte-compiles (py3compile): dropped, so configuring runs nothing on this host
for f in glob.glob(os.path.join(admin, "info", "*.postinst")):
    os.remove(f)
run(dpkg + ["--configure", "-a"])
want_deb = {tuple(l.split("\t")[:2]) for l in run(
    ["dpkg-query", f"--admindir={admin}", "-W", "-f", "${Package}\t${Version}\t${db:Status-Status}\n"]
).splitlines() if l.endswith("\tinstalled")}
t.eq(sorted(n for n, _ in want_deb), ["python3-six", "python3-urllib3"], "dpkg configured both")
pip_list = json.loads(run(["/usr/bin/python3", "-m", "pip", "list", "--path",
                           os.path.join(img, PY_SITE), "--format", "json"]))
want_py = {(NORM["PyPI"](p["name"]), p["version"]) for p in pip_list}
t.true({"requests", "urllib3", "pip", "setuptools"} <= {n for n, _ in want_py},
       "pip list has requests, urllib3, pip and setuptools")
rep, _ = scan(img, "python")
got = pkgs(rep, "PyPI")
diff({(p["name"], p["version"]) for p in got}, want_py, "PyPI packages = pip list")
t.eq(sorted({p["path"].rsplit("/", 2)[0] for p in got}), ["/" + PY_SITE],
     "every PyPI package is read from the pip site")
t.eq(sorted({p["type"] for p in got}), ["python"], "PyPI packages have type python")
t.eq(sorted(p["purl"] for p in got), sorted(f"pkg:pypi/{n}@{v}" for n, v in want_py), "PyPI purls")
diff({(p["name"], p["version"]) for p in rep.get("packages", []) if p.get("type") == "dpkg"},
     want_deb, "Debian's python3 packages once each, as dpkg = dpkg-query")
t.eq(len(rep.get("packages", [])), len(want_py) + len(want_deb), "nothing else is reported")
want_v = expected_findings("PyPI", want_py)
t.true({i for _, _, i in want_v} >= {"GHSA-j8r2-6x86-q33q", "GHSA-v845-jxx5-vc9f"},
       "the records say requests 2.25.0 and urllib3 1.26.4 are affected")
diff(got_findings(rep, "PyPI"), want_v, "PyPI findings = records holding the versions")

# ---- RubyGems: Debian's gemspec where Bundler installs gems, no dpkg owner there ----
img = os.path.join(tmp, "gem-img")
unpacked = os.path.join(tmp, "ruby-rack")
run(["dpkg-deb", "-x", debs("ruby-rack")[0], unpacked])
spec = glob.glob(os.path.join(unpacked, "usr/share/rubygems-integration/all/specifications/rack-*.gemspec"))
t.eq(len(spec), 1, "ruby-rack ships one rack gemspec")
dest = os.path.join(img, "usr/local/bundle/specifications")
os.makedirs(dest)
shutil.copy(spec[0], dest)
os_release(img)
with open(spec[0]) as f:
    text = f.read()
gname = re.search(r'^\s*s\.name = "([^"]+)"', text, re.M).group(1)
gver = re.search(r'^\s*s\.version = "([^"]+)"', text, re.M).group(1)
rep, _ = scan(img, "gem")
t.eq([(p["type"], p["ecosystem"], p["name"], p["version"], p["purl"], p["path"]) for p in rep.get("packages", [])],
     [("gem", "RubyGems", gname, gver, f"pkg:gem/{gname}@{gver}",
       "/usr/local/bundle/specifications/" + os.path.basename(spec[0]))], "the gem, exactly")
diff(got_findings(rep, "RubyGems"), expected_findings("RubyGems", {(gname, gver)}),
     f"rack {gver} findings = records holding the version")

# ---- .NET and Composer, written to their documented formats ----
img = os.path.join(tmp, "written-img")
os.makedirs(os.path.join(img, "app"))
deps = {"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
        "compilationOptions": {},
        "targets": {".NETCoreApp,Version=v8.0": {
            "Web/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}, "runtime": {"Web.dll": {}}},
            "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}},
            "System.Text.Json/8.0.4": {}}},
        "libraries": {
            "Web/1.0.0": {"type": "project", "serviceable": False, "sha512": ""},
            "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": True, "sha512": "sha512-x",
                                       "path": "newtonsoft.json/13.0.1",
                                       "hashPath": "newtonsoft.json.13.0.1.nupkg.sha512"},
            "System.Text.Json/8.0.4": {"type": "package", "serviceable": True, "sha512": "sha512-y"},
            "Microsoft.AspNetCore.App/8.0.0": {"type": "reference", "serviceable": False}}}
with open(os.path.join(img, "app", "Web.deps.json"), "w") as f:
    json.dump(deps, f, indent=2)
c1 = [{"name": "monolog/monolog", "version": "1.25.1", "version_normalized": "1.25.1.0"},
      {"name": "symfony/console", "version": "v5.4.0", "version_normalized": "5.4.0.0"}]
c2 = {"packages": [{"name": "guzzlehttp/guzzle", "version": "7.4.0", "version_normalized": "7.4.0.0",
                    "install-path": "../guzzlehttp/guzzle"}],
      "dev": True, "dev-package-names": []}
for where, doc in (("srv/v1", c1), ("srv/v2", c2)):
    os.makedirs(os.path.join(img, where, "vendor", "composer"))
    with open(os.path.join(img, where, "vendor", "composer", "installed.json"), "w") as f:
        json.dump(doc, f, indent=4)
rep, _ = scan(img, "written")
t.eq(sorted((p["type"], p["ecosystem"], p["name"], p["version"], p["purl"], p["path"])
            for p in rep.get("packages", [])),
     sorted([("dotnet", "NuGet", "Newtonsoft.Json", "13.0.1", "pkg:nuget/Newtonsoft.Json@13.0.1",
              "/app/Web.deps.json"),
             ("dotnet", "NuGet", "System.Text.Json", "8.0.4", "pkg:nuget/System.Text.Json@8.0.4",
              "/app/Web.deps.json"),
             ("composer", "Packagist", "monolog/monolog", "1.25.1",
              "pkg:composer/monolog/monolog@1.25.1", "/srv/v1/vendor/composer/installed.json"),
             ("composer", "Packagist", "symfony/console", "5.4.0",
              "pkg:composer/symfony/console@5.4.0", "/srv/v1/vendor/composer/installed.json"),
             ("composer", "Packagist", "guzzlehttp/guzzle", "7.4.0",
              "pkg:composer/guzzlehttp/guzzle@7.4.0", "/srv/v2/vendor/composer/installed.json")]),
     ".NET and Composer packages, exactly")

# ---- hostile: a 50 MB METADATA and a 40 MB package.json beside small packages ----
img = os.path.join(tmp, "hostile-img")
meta = os.path.join(img, PY_SITE, "huge-1.0.dist-info", "METADATA")
pj = os.path.join(img, "app", "node_modules", "huge", "package.json")
os.makedirs(os.path.dirname(meta))
os.makedirs(os.path.dirname(pj))
with open(meta, "w") as f:
    f.write("Metadata-Version: 2.1\nName: huge\nVersion: 1.0\n\n")
    f.write(("A long description line. " * 40 + "\n") * (50 * 1024 * 1024 // 1001))
with open(pj, "w") as f:
    f.write('{"name": "huge", "version": "1.0.0", "description": "')
    f.write("x" * (40 * 1024 * 1024))
    f.write('"}')
shutil.copytree(os.path.join(npm_root, "node_modules", "lodash"),
                os.path.join(img, "app", "node_modules", "lodash"))
shutil.copytree(os.path.join(site_root, "site-packages", "urllib3-1.26.4.dist-info"),
                os.path.join(img, PY_SITE, "urllib3-1.26.4.dist-info"))
rep, blob = scan(img, "hostile", compression="none")
t.eq(rep.get("status"), "partial", "hostile: the scan is partial (its errors say what was not read)")
t.eq(sorted((p["ecosystem"], p["name"], p["version"], p["path"]) for p in rep.get("packages", [])),
     [("PyPI", "urllib3", "1.26.4", f"/{PY_SITE}/urllib3-1.26.4.dist-info/METADATA"),
      ("npm", "lodash", "4.17.20", "/app/node_modules/lodash/package.json")],
     "hostile: the rest of the image is analysed")
layer = json.loads(run([INDEX_LAYER, blob])) if blob else {}
# each huge file is too large for its package analyzer, and (text over 10 MiB) for the
# secret scanner: neither reads it, and both say so
t.eq(sorted((s["path"], s["reason"], s.get("analyzer")) for s in layer.get("skipped", [])),
     [("/app/node_modules/huge/package.json", "LIMIT_EXCEEDED", "npm"),
      ("/app/node_modules/huge/package.json", "LIMIT_EXCEEDED", "secrets"),
      (f"/{PY_SITE}/huge-1.0.dist-info/METADATA", "LIMIT_EXCEEDED", "python"),
      (f"/{PY_SITE}/huge-1.0.dist-info/METADATA", "LIMIT_EXCEEDED", "secrets")],
     "hostile: both files skipped over the analyzers' limits")
digest = "sha256:" + os.path.basename(blob) if blob else None
t.eq(sorted((e["layer"] == digest, e["path"], e["code"], e["analyzer"], e["limit"])
            for e in rep.get("errors", [])),
     [(True, "/app/node_modules/huge/package.json", "LIMIT_EXCEEDED", "npm", "max_file_size"),
      (True, "/app/node_modules/huge/package.json", "LIMIT_EXCEEDED", "secrets", "analyzer"),
      (True, f"/{PY_SITE}/huge-1.0.dist-info/METADATA", "LIMIT_EXCEEDED", "python",
       "max_file_size"),
      (True, f"/{PY_SITE}/huge-1.0.dist-info/METADATA", "LIMIT_EXCEEDED", "secrets", "analyzer")],
     "hostile: the report's errors name layer, path, code, analyzer and limit")
t.eq(sorted(e.get("detail") for e in rep.get("errors", []) if e["analyzer"] == "secrets"),
     ["text file over 10485760 bytes"] * 2, "hostile: the secret scanner says its limit")
sizes = {"npm": os.path.getsize(pj), "python": os.path.getsize(meta)}
t.eq(sorted(e.get("detail") for e in rep.get("errors", []) if e["analyzer"] != "secrets"),
     sorted(f"{sizes[a]} bytes; the {a} analyzer reads at most {m}"
            for a, m in (("npm", 4 << 20), ("python", 16 << 20))),
     "hostile: the package analyzers say the size and their limit")
t.eq(rep["summary"].get("errors"), 4, "hostile: the summary counts the errors")

shutil.rmtree(tmp)
print(f"npm {len(want_npm)} packages, PyPI {len(want_py)}, dpkg {len(want_deb)}")
t.finish()
