#!/usr/bin/python3
"""The embedded mode, `regscan-worker scan IMAGE_REF`: one image, no Kafka, no Redis.

Every scan runs with REGSCAN_KAFKA_BROKERS and REGSCAN_REDIS_URL pointing to closed
loopback ports, HOME pointing to an empty directory and DOCKER_CONFIG unset unless a case
sets it: a scan that works proves it needed neither service nor the machine's own Docker
credentials. Sources: OCI layouts (with and without a tag), a multi-arch index, a docker
archive that skopeo converted, the open registry, the htpasswd registry (flags, Docker
config file) and the token registry; images whose package databases and os-release hold
bytes that are not UTF-8 (badtext-*: U+FFFD, "invalid-utf8" flags, a table with no control
character; badtext-escapes: ESC[2J, OSC 8, BEL and CR shown as '?'). Exit codes follow DESIGN.md §2:
  2  usage: unknown option, unknown --format, no IMAGE_REF, --password-env naming no variable;
  3  the outside refuses: wrong or missing credentials (UNAUTHORIZED), a tag the registry or
     the layout does not have, a platform the index lacks (MANIFEST_UNKNOWN, the code a
     registry gives); error messages carry that code;
  4  the local image cannot be read: a layout directory or an archive file that does not
     exist or is not one (in the local modes the path is the image itself).
A report that cannot be written (stdout on a full device) exits 3 (an internal error), never 0
with no output.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

t = h.Checks("embedded")
r = h.Run("embedded")
ns = r.ns
WORKER = os.path.join(h.BIN, "regscan-worker")

home = os.path.join(r.tmp, "home")
os.makedirs(home)
base_env = dict(os.environ)
base_env.pop("DOCKER_CONFIG", None)
base_env.update({
    "REGSCAN_KAFKA_BROKERS": "127.0.0.1:1",        # closed: a Kafka client would fail or hang
    "REGSCAN_REDIS_URL": "redis://127.0.0.1:1/0",  # closed: so would a Redis client
    "REGSCAN_LOG": "text",
    "HOME": home,                                  # no ~/.docker/config.json
})


def scan(ref, *args, env=None, timeout=120):
    e = dict(base_env)
    e.update(env or {})
    return subprocess.run([WORKER, "scan", ref, *args], env=e, capture_output=True, text=True,
                          timeout=timeout)


def scan_json(ref, *args, what, env=None):
    p = scan(ref, "--format", "json", *args, env=env)
    t.eq(p.returncode, 0, f"{what}: exit code")
    try:
        return json.loads(p.stdout)
    except ValueError:
        print(f"{what}: stdout is not JSON:\n{p.stdout[-2000:]}\nstderr:\n{p.stderr[-2000:]}")
        t.eq("not JSON", "JSON", f"{what}: --format json output")
        return {}


def rows(report, with_layer=True):
    """(ecosystem, name, version, source name, source version, path[, layer]), sorted."""
    out = []
    for p in report.get("packages", []):
        src = p.get("source") or {}
        row = (p.get("ecosystem"), p["name"], p["version"], src.get("name"), src.get("version"),
               p.get("path"))
        out.append(row + (p.get("layer"),) if with_layer else row)
    return sorted(out)


def expected_rows(spec_name, platform, layers, with_layer=True):
    """Rows of the spec's "expected" for `platform`; the layer is
    layers[layer_index]."""
    img = next(i for i in h.spec_expected(spec_name)["images"] if i["platform"] == platform)
    out = []
    for p in img["packages"]:
        src = p.get("source") or {}
        row = (p["ecosystem"], p["name"], p["version"], src.get("name", p["name"]),
               src.get("version", p["version"]), p["path"])
        out.append(row + (layers[p["layer_index"]],) if with_layer else row)
    return sorted(out), img


def os_of(report):
    o = report.get("os") or {}
    return {k: o.get(k) for k in ("id", "version_id", "pretty_name")}


def check_report(report, spec_name, platform, image, what):
    """An ok report of `image` ({"digest", "layers"}) with exactly the expected packages."""
    want, img = expected_rows(spec_name, platform, image["layers"])
    t.eq(report.get("status"), "ok", f"{what}: status")
    t.eq(report.get("schema"), "regscan.image-report/v1", f"{what}: schema")
    t.eq(report.get("digest"), image["digest"], f"{what}: digest")
    plat = report.get("platform") or {}
    t.eq("/".join(x for x in (plat.get("os"), plat.get("architecture"), plat.get("variant")) if x),
         platform, f"{what}: platform")
    t.eq(os_of(report), img["os"], f"{what}: os")
    t.eq(rows(report), want, f"{what}: packages (ecosystem, name, version, source, path, layer)")
    t.eq((report.get("summary") or {}).get("packages"), len(want), f"{what}: summary count")
    names = {p["name"] for p in report.get("packages", [])}
    t.eq(sorted(names & set(img.get("absent_packages", []))), [], f"{what}: absent packages absent")


def no_service_noise(p, what):
    low = (p.stdout + p.stderr).lower()
    t.eq(("kafka" in low, "redis" in low), (False, False), f"{what}: no Kafka or Redis mentioned")


# ---- images ----
single, _ = r.build("debian-single")
layers, _ = r.build("debian-layers")
alpine, _ = r.build("alpine")
multi, _ = r.build("multiarch")
zstd, _ = r.build("tiny-zstd")
img_single = h.layout_images(single, "12")["linux/amd64"]
img_layers = h.layout_images(layers, "3-layers")["linux/amd64"]
img_alpine = h.layout_images(alpine, "3.19.1")["linux/amd64"]
img_multi = h.layout_images(multi, "12-multi")
img_zstd = h.layout_images(zstd, "zstd")["linux/amd64"]

# ---- OCI layouts, json: with and without the tag ----
for spec, layout, tag, image in (("debian-layers", layers, "3-layers", img_layers),
                                 ("alpine", alpine, "3.19.1", img_alpine),
                                 ("debian-single", single, "12", img_single)):
    for ref in (f"oci-layout:{layout}", f"oci-layout:{layout}:{tag}"):
        rep = scan_json(ref, what=ref)
        check_report(rep, spec, "linux/amd64", image, ref)
        t.eq(rep.get("worker"), "embedded", f"{ref}: worker")
t.eq(sorted({p["ecosystem"] for p in scan_json(f"oci-layout:{alpine}", what="alpine").get("packages", [])}),
     ["Alpine:v3.19"], "alpine ecosystem")

p = scan(f"oci-layout:{layers}", "--format", "json")
no_service_noise(p, "layout scan")

# a stronger proof than closed ports: listening sockets that no scan may connect to
sentinels = []
for _ in range(2):
    sk = socket.socket()
    sk.bind(("127.0.0.1", 0))
    sk.listen(8)
    sk.setblocking(False)
    sentinels.append(sk)
sentinel_env = {"REGSCAN_KAFKA_BROKERS": "127.0.0.1:%d" % sentinels[0].getsockname()[1],
                "REGSCAN_REDIS_URL": "redis://127.0.0.1:%d/0" % sentinels[1].getsockname()[1],
                "REGSCAN_CACHE_REDIS_URL": "redis://127.0.0.1:%d/0" % sentinels[1].getsockname()[1]}


def connections():
    n = 0
    for sk in sentinels:
        while True:
            try:
                c, _ = sk.accept()
            except BlockingIOError:
                break
            c.close()
            n += 1
    return n


p = scan(f"oci-layout:{layers}", "--format", "json", env=sentinel_env)
t.eq((p.returncode, connections()), (0, 0), "layout scan: no connection to the Kafka or Redis address")

# ---- table: header and one row per package, exact for debian-single ----
p = scan(f"oci-layout:{single}:12", "--format", "table")
t.eq(p.returncode, 0, "table: exit code")
lay = img_single["layers"][0][:19]
t.eq(p.stdout.splitlines()[:9], [
    f"image     oci-layout:{single}:12",
    f"digest    {img_single['digest']}",
    "platform  linux/amd64",
    "os        Debian GNU/Linux 12 (bookworm)",
    "layers    1",
    "packages  6",
    "",
    "PACKAGE     VERSION              SOURCE      TYPE  LAYER",
    f"base-files  12.4+deb12u5         base-files  dpkg  0 {lay}",
], "table: header lines")
table_rows = [l for l in p.stdout.splitlines()[8:] if l.strip() and " dpkg " in l]
t.eq(table_rows, [
    f"base-files  12.4+deb12u5         base-files  dpkg  0 {lay}",
    f"bsdutils    1:2.38.1-5+deb12u1   util-linux  dpkg  0 {lay}",
    f"libc6       2.36-9+deb12u4       glibc       dpkg  0 {lay}",
    f"libssl3     3.0.11-1~deb12u2+b1  openssl     dpkg  0 {lay}",
    f"tzdata      2024a-0+deb12u1      tzdata      dpkg  0 {lay}",
    f"zlib1g      1:1.2.13.dfsg-1      zlib        dpkg  0 {lay}",
], "table: one row per package, exact")
# what follows the rows of an image with no USER and no HEALTHCHECK, scanned without
# --vulndb and --policy
TABLE_TAIL = [
    "",
    "vulnerabilities: not matched (no --vulndb given)",
    "",
    "secrets  0",
    "",
    "misconfigurations  2",
    "",
    "SEVERITY    ID              CIS    EVIDENCE",
    "low         no-healthcheck  4.6    config.Healthcheck is not set",
    "high        root-user       4.1    config.User is not set: the container runs as root",
    "",
    "policy    none (--policy FILE gives a verdict)",
]
t.eq(p.stdout.splitlines()[14:], TABLE_TAIL,
     "table: after the rows, the vulnerability line, secrets, misconfigurations, policy")

# table of a three-layer image: the row's layer index is the package's layer
p = scan(f"oci-layout:{layers}", "--format", "table")
want, _ = expected_rows("debian-layers", "linux/amd64", img_layers["layers"])
got = {}
for line in p.stdout.splitlines():
    f = line.split()
    if len(f) == 6 and f[3] == "dpkg":
        got[f[0]] = (f[1], f[2], int(f[4]), f[5])
t.eq(got, {w[1]: (w[2], w[3], img_layers["layers"].index(w[6]), w[6][:19]) for w in want},
     "table of debian-layers: version, source, layer index and digest per package")
t.true("layers    3" in p.stdout.splitlines(), "table of debian-layers: 3 layers")

# ---- multi-arch index ----
rep = scan_json(f"oci-layout:{multi}:12-multi", what="multiarch default")
check_report(rep, "multiarch", "linux/amd64", img_multi["linux/amd64"], "multiarch default platform")
rep = scan_json(f"oci-layout:{multi}:12-multi", "--platform", "linux/arm64/v8", what="multiarch arm64")
check_report(rep, "multiarch", "linux/arm64/v8", img_multi["linux/arm64/v8"], "multiarch --platform linux/arm64/v8")
p = scan(f"oci-layout:{multi}:12-multi", "--platform", "linux/s390x")
t.eq(p.returncode, 3, "multiarch: a platform the index lacks: exit 3")
t.true("MANIFEST_UNKNOWN" in p.stderr, "multiarch: absent platform is MANIFEST_UNKNOWN")
t.eq(p.stdout, "", "multiarch: nothing on stdout for an absent platform")

# ---- zstd layer ----
rep = scan_json(f"oci-layout:{zstd}:zstd", what="tiny-zstd")
check_report(rep, "tiny-zstd", "linux/amd64", img_zstd, "tiny-zstd")

# ---- text that is not UTF-8 (tests/data/images/badtext-*.json) ----
# U+FFFD where the analyzers read, "flags": ["invalid-utf8"] on the package or the os,
# os-release values cut on character boundaries; the JSON is valid UTF-8 and the table
# carries no control character. Bytes are compared, not text: stdout must decode as UTF-8.
FFFD = "\ufffd"


def scan_bytes(ref, *args):
    return subprocess.run([WORKER, "scan", ref, *args], env=base_env, capture_output=True,
                          timeout=120)


def utf8(b, what):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        t.eq(str(e), "", f"{what}: stdout is UTF-8")
        return b.decode("utf-8", "replace")


def pkg_fields(pkgs):
    """{name: (version, source, arch, path, flags)} of report or spec packages."""
    return {p["name"]: (p["version"], p.get("source"), p.get("arch"), p["path"], p.get("flags"))
            for p in pkgs}


def no_controls(b, what):
    """No byte < 0x20 but newline, no DEL, no C1 control (C2 80..C2 9F) in b."""
    bad = [i for i, c in enumerate(b) if (c < 0x20 and c != 0x0A) or c == 0x7F]
    bad += [i for i in range(len(b) - 1) if b[i] == 0xC2 and 0x80 <= b[i + 1] <= 0x9F]
    t.eq(bad, [], f"{what}: no control character on the terminal")


badtext = {}
for spec, tag in (("badtext-apk", "3.19.1"), ("badtext-dpkg", "12"),
                  ("badtext-osrelease", "12")):
    layout, _ = r.build(spec)
    image = h.layout_images(layout, tag)["linux/amd64"]
    badtext[spec] = (layout, image)
    want, img = expected_rows(spec, "linux/amd64", image["layers"])
    p = scan_bytes(f"oci-layout:{layout}", "--format", "json")
    t.eq(p.returncode, 0, f"{spec} json: exit code")
    try:
        rep = json.loads(utf8(p.stdout, f"{spec} json"))
    except ValueError:
        print(f"{spec}: stdout is not JSON:\n{p.stdout[-2000:]!r}\nstderr:\n{p.stderr[-2000:]!r}")
        rep = {}
    t.eq(rep.get("status"), "ok", f"{spec} json: status")
    t.eq(rep.get("digest"), image["digest"], f"{spec} json: digest")
    t.eq(rows(rep), want, f"{spec} json: packages (ecosystem, name, version, source, path, layer)")
    t.eq(pkg_fields(rep.get("packages", [])), pkg_fields(img["packages"]),
         f"{spec} json: version, source, arch, path and flags per package")
    t.eq((rep.get("summary") or {}).get("packages"), len(want), f"{spec} json: summary count")
    eos = img["os"]
    t.eq(os_of(rep), {k: eos[k] for k in ("id", "version_id", "pretty_name")}, f"{spec} json: os")
    t.eq((rep.get("os") or {}).get("flags"), eos.get("flags"), f"{spec} json: os flags")

apk_flags = {p["name"]: p.get("flags") for p in scan_json(
    f"oci-layout:{badtext['badtext-apk'][0]}", what="badtext-apk").get("packages", [])}
t.eq(apk_flags, {"bar\u009b31m": None, "foo" + FFFD: ["invalid-utf8"], "musl": None},
     "badtext-apk: 0xff in name and version flags foo only; valid U+009B is no replacement")

layout, image = badtext["badtext-apk"]
p = scan_bytes(f"oci-layout:{layout}", "--format", "table")
t.eq(p.returncode, 0, "badtext-apk table: exit code")
no_controls(p.stdout, "badtext-apk table")
lay = image["layers"][0][:19]
t.eq(utf8(p.stdout, "badtext-apk table").splitlines(), [
    f"image     oci-layout:{layout}",
    f"digest    {image['digest']}",
    "platform  linux/amd64",
    "os        Alpine Linux v3.19",
    "layers    1",
    "packages  3",
    "",
    "PACKAGE  VERSION               SOURCE  TYPE  LAYER",
    f"bar?31m  2.0-r0                bar     apk   0 {lay}",
    f"foo{FFFD}     1.0{FFFD}-r0               foo     apk   0 {lay}",
    f"musl     1.2.4_git20230717-r4  musl    apk   0 {lay}",
] + TABLE_TAIL, "badtext-apk table: exact, CSI shown as '?', U+FFFD kept, columns by characters")

layout, image = badtext["badtext-dpkg"]
p = scan_bytes(f"oci-layout:{layout}", "--format", "table")
t.eq(p.returncode, 0, "badtext-dpkg table: exit code")
no_controls(p.stdout, "badtext-dpkg table")
lay = image["layers"][0][:19]
t.eq(utf8(p.stdout, "badtext-dpkg table").splitlines()[7:14], [
    "PACKAGE     VERSION          SOURCE      TYPE  LAYER",
    f"archbad     1.0-1            archbad     dpkg  0 {lay}",
    f"base-files  12.4+deb12u5     base-files  dpkg  0 {lay}",
    f"nulbad      3.0-1            nulbad      dpkg  0 {lay}",
    f"srcbad      2.0-1+b1         src{FFFD}        dpkg  0 {lay}",
    f"tzdata      2024a-0+deb12u1  tzdata      dpkg  0 {lay}",
    f"verbad      1.0{FFFD}-1           verbad      dpkg  0 {lay}",
], "badtext-dpkg table: rows exact")

layout, image = badtext["badtext-osrelease"]
p = scan_bytes(f"oci-layout:{layout}", "--format", "table")
t.eq(p.returncode, 0, "badtext-osrelease table: exit code")
no_controls(p.stdout, "badtext-osrelease table")
t.eq(utf8(p.stdout, "badtext-osrelease table").splitlines()[3], "os        " + "\u00e9" * 63,
     "badtext-osrelease table: the pretty name cut after 63 characters (126 bytes), none halved")

# terminal escapes from image content (tests/data/images/badtext-escapes.json): ESC[2J, OSC 8,
# BEL and CR in the os-release PRETTY_NAME and in a secret's file name are '?' in the table;
# apk packages whose name or version carry them are malformed records, in no output at all
layout, _ = r.build("badtext-escapes")
image = h.layout_images(layout, "3.19.1")["linux/amd64"]
lay = image["layers"][0][:19]
p = scan_bytes(f"oci-layout:{layout}", "--format", "table")
t.eq(p.returncode, 0, "badtext-escapes table: exit code")
no_controls(p.stdout, "badtext-escapes table")
out = utf8(p.stdout, "badtext-escapes table").splitlines()
t.eq(out[:10], [
    f"image     oci-layout:{layout}",
    f"digest    {image['digest']}",
    "platform  linux/amd64",
    "os        Alpine?[2J Linux? v3.19?",
    "layers    1",
    "packages  1",
    "",
    "PACKAGE  VERSION               SOURCE  TYPE  LAYER",
    f"musl     1.2.4_git20230717-r4  musl    apk   0 {lay}",
    "",
], "badtext-escapes table: os line escaped, packages with escapes refused by the analyzer")
t.eq(out[12:17], [
    "secrets  1",
    "",
    "SEVERITY    RULE               PATH                LINE    MATCH     LAYER",
    f"critical    aws-access-key-id  /app/?[2Jkey??.env  1       AKIA****  {lay}",
    "",
], "badtext-escapes table: the secret's path with ESC[2J, BEL and CR shown as '?'")
rep = json.loads(utf8(scan_bytes(f"oci-layout:{layout}", "--format", "json").stdout,
                      "badtext-escapes json"))
t.eq(((rep.get("os") or {}).get("pretty_name"), [s.get("path") for s in rep.get("secrets", [])],
      [x["name"] for x in rep.get("packages", [])]),
     ("Alpine\x1b[2J Linux\x07 v3.19\r", ["/app/\x1b[2Jkey\x07\r.env"], ["musl"]),
     "badtext-escapes json: the text kept as it is (jansson escapes it), the same one package")

# a report that cannot be written is an error (exit 3), never a silent success
with open("/dev/full", "wb") as full:
    for fmt in ("json", "table"):
        p = subprocess.run([WORKER, "scan", f"oci-layout:{badtext['badtext-apk'][0]}", "--format",
                            fmt], env=base_env, stdout=full, stderr=subprocess.PIPE, timeout=120)
        t.eq((p.returncode, b"cannot write the" in p.stderr), (3, True),
             f"--format {fmt} to a full device: exit 3 and the reason on stderr")

# ---- docker archive, converted by skopeo ----
archive = os.path.join(r.tmp, "layers.tar")
subprocess.run(["skopeo", "copy", "-q", f"oci:{layers}:3-layers", f"docker-archive:{archive}:layers:3"],
               check=True, capture_output=True)
with tarfile.open(archive) as tf:
    amanifest = json.load(tf.extractfile("manifest.json"))
alayers = ["sha256:" + os.path.basename(l).split(".")[0] for l in amanifest[0]["Layers"]]
t.eq(len(alayers), 3, "docker archive: 3 layers")
rep = scan_json(f"docker-archive:{archive}", what="docker-archive")
want, img = expected_rows("debian-layers", "linux/amd64", alayers)
t.eq(rep.get("status"), "ok", "docker-archive: status")
t.eq(rows(rep, with_layer=False), [w[:6] for w in want],
     "docker-archive: same packages as the OCI layout (names, versions, sources, paths)")
t.eq(rows(rep), want, "docker-archive: each package's layer is the archive's layer at the same index")
t.eq(os_of(rep), img["os"], "docker-archive: os")
p = scan(f"docker-archive:{archive}", "--format", "table")
t.eq((p.returncode, "layers    3" in p.stdout.splitlines()), (0, True), "docker-archive table: 3 layers")

# the archive's limits (REGSCAN_LIMIT_ARCHIVE_*, --limit-archive-*): exceeded, the archive is
# not read (exit 4) and the error names the limit; a value that is no number is a usage error
with tarfile.open(archive) as tf:
    n_entries = len(tf.getmembers())
p = scan(f"docker-archive:{archive}", "--limit-archive-entries", str(n_entries - 1))
t.eq((p.returncode, f"docker archive '{archive}' exceeds max_entries ({n_entries - 1} entries)"
      in p.stderr), (4, True), "docker-archive: --limit-archive-entries exceeded: exit 4, named")
p = scan(f"docker-archive:{archive}", env={"REGSCAN_LIMIT_ARCHIVE_BYTES": "4096"})
t.eq((p.returncode, f"docker archive '{archive}' exceeds max_bytes (4096 bytes)" in p.stderr),
     (4, True), "docker-archive: REGSCAN_LIMIT_ARCHIVE_BYTES exceeded: exit 4, named")
p = scan(f"docker-archive:{archive}", "--limit-archive-entries", str(n_entries),
         env={"REGSCAN_LIMIT_ARCHIVE_BYTES": "0"})
t.eq(p.returncode, 0, "docker-archive: limits that hold (entries = the archive's, bytes 0 = none)")
p = scan(f"docker-archive:{archive}", env={"REGSCAN_LIMIT_ARCHIVE_RATIO": "ten"})
t.eq((p.returncode, "REGSCAN_LIMIT_ARCHIVE_RATIO: 'ten' is not a number" in p.stderr), (2, True),
     "docker-archive: a limit that is not a number: exit 2, named")

# ---- registries ----
reg = r.open
r.push(f"{single}:12", f"{reg}/{ns}/debian:12")
r.push(f"{multi}:12-multi", f"{reg}/{ns}/multi:12")
rep = scan_json(f"{reg}/{ns}/debian:12", what="open registry")
check_report(rep, "debian-single", "linux/amd64", img_single, "open registry by tag")
p = scan(f"{reg}/{ns}/debian:12", env=sentinel_env)
t.eq((p.returncode, connections()), (0, 0), "registry scan: no connection to the Kafka or Redis address")
t.eq((rep.get("registry"), rep.get("repository")), (reg, f"{ns}/debian"), "open registry: registry and repository")
rep = scan_json(f"{reg}/{ns}/debian@{img_single['digest']}", what="open registry by digest")
check_report(rep, "debian-single", "linux/amd64", img_single, "open registry by digest")
port = reg.rsplit(":", 1)[1]
rep = scan_json(f"localhost:{port}/{ns}/debian:12", what="localhost")
t.eq((rep.get("status"), rep.get("digest")), ("ok", img_single["digest"]), "localhost is loopback: plain HTTP")
rep = scan_json(f"{reg}/{ns}/multi:12", "--platform", "linux/arm64/v8", what="registry multiarch")
check_report(rep, "multiarch", "linux/arm64/v8", img_multi["linux/arm64/v8"], "registry index, --platform arm64")

p = scan(f"{reg}/{ns}/debian:no-such-tag")
t.eq(p.returncode, 3, "tag not in the registry: exit 3")
t.true("MANIFEST_UNKNOWN" in p.stderr, "tag not in the registry: MANIFEST_UNKNOWN in the message")
t.eq(p.stdout, "", "tag not in the registry: nothing on stdout")
p = scan(f"oci-layout:{single}:no-such-tag")
t.eq(p.returncode, 3, "tag not in the layout: exit 3, as for a registry")
t.true("MANIFEST_UNKNOWN" in p.stderr, "tag not in the layout: MANIFEST_UNKNOWN in the message")

if r.basic and r.user and r.password:
    basic = r.basic
    r.push(f"{single}:12", f"{basic}/{ns}/debian:12", creds=f"{r.user}:{r.password}")
    ref = f"{basic}/{ns}/debian:12"
    rep = scan_json(ref, "--username", r.user, "--password-env", "RS_PW", env={"RS_PW": r.password},
                    what="htpasswd registry")
    check_report(rep, "debian-single", "linux/amd64", img_single, "htpasswd registry with --username")

    wrong = "wrong-pw-" + r.id
    p = scan(ref, "--username", r.user, "--password-env", "RS_PW", env={"RS_PW": wrong})
    t.eq(p.returncode, 3, "wrong password: exit 3")
    t.true("unauthorized" in p.stderr.lower(), "wrong password: 'unauthorized' in the message")
    t.eq(wrong in p.stdout + p.stderr, False, "wrong password: the password is not printed")
    t.eq(p.stdout, "", "wrong password: nothing on stdout")

    p = scan(ref)
    t.eq(p.returncode, 3, "no credentials at all: exit 3")
    t.true("UNAUTHORIZED" in p.stderr, "no credentials: UNAUTHORIZED in the message")

    dc = os.path.join(r.tmp, "docker-config")
    os.makedirs(dc)
    with open(os.path.join(dc, "config.json"), "w") as f:
        json.dump({"auths": {basic: {"auth": base64.b64encode(
            f"{r.user}:{r.password}".encode()).decode()}}}, f)
    rep = scan_json(ref, env={"DOCKER_CONFIG": dc}, what="Docker config")
    check_report(rep, "debian-single", "linux/amd64", img_single, "htpasswd registry with DOCKER_CONFIG auths")

    # ~/.docker/config.json when DOCKER_CONFIG is unset
    os.makedirs(os.path.join(home, ".docker"))
    with open(os.path.join(home, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {f"http://{basic}/v2/": {"auth": base64.b64encode(
            f"{r.user}:{r.password}".encode()).decode()}}}, f)
    rep = scan_json(ref, what="~/.docker/config.json")
    t.eq((rep.get("status"), rep.get("digest")), ("ok", img_single["digest"]),
         "htpasswd registry with ~/.docker/config.json (URL-form key)")

    # flags win over the Docker config file
    p = scan(ref, "--username", r.user, "--password-env", "RS_PW", env={"RS_PW": wrong, "DOCKER_CONFIG": dc})
    t.eq(p.returncode, 3, "--username/--password-env win over the Docker config file")
    os.remove(os.path.join(home, ".docker", "config.json"))

    if r.token:
        r.push(f"{single}:12", f"{r.token}/{ns}/debian:12", creds=f"{r.user}:{r.password}")
        tref = f"{r.token}/{ns}/debian:12"
        rep = scan_json(tref, "--username", r.user, "--password-env", "RS_PW", env={"RS_PW": r.password},
                        what="token registry")
        check_report(rep, "debian-single", "linux/amd64", img_single, "token registry with --username")
        p = scan(tref, "--username", r.user, "--password-env", "RS_PW", env={"RS_PW": wrong})
        t.eq((p.returncode, wrong in p.stdout + p.stderr), (3, False),
             "token registry, wrong password: exit 3, password not printed")
else:
    print("note: no htpasswd registry in the environment; credential cases not run")
    t.eq(bool(r.basic), True, "REGSCAN_TEST_REGISTRY_BASIC is set")

# ---- exit codes ----
p = subprocess.run([WORKER, "scan", f"oci-layout:{single}", "--no-such-option"], env=base_env,
                   capture_output=True, text=True, timeout=30)
t.eq(p.returncode, 2, "unknown option: exit 2")
p = scan(f"oci-layout:{single}", "--format", "xml")
t.eq(p.returncode, 2, "unknown --format: exit 2")
p = subprocess.run([WORKER, "scan"], env=base_env, capture_output=True, text=True, timeout=30)
t.eq(p.returncode, 2, "no IMAGE_REF: exit 2")
p = scan(f"{reg}/{ns}/debian:12", "--username", "u", "--password-env", "RS_UNSET_VARIABLE")
t.eq(p.returncode, 2, "--password-env naming an unset variable: exit 2")
t.true("RS_UNSET_VARIABLE" in p.stderr, "the message names the variable")

missing = os.path.join(r.tmp, "no-such-layout")
p = scan(f"oci-layout:{missing}")
t.eq(p.returncode, 4, "nonexistent layout: exit 4")
t.true(missing in p.stderr, "nonexistent layout: the message names the directory")
empty = os.path.join(r.tmp, "empty-dir")
os.makedirs(empty)
p = scan(f"oci-layout:{empty}")
t.eq(p.returncode, 4, "a directory that is not an OCI layout: exit 4")
p = scan(f"docker-archive:{os.path.join(r.tmp, 'no-such.tar')}")
t.eq(p.returncode, 4, "nonexistent docker archive: exit 4")

t.finish()
