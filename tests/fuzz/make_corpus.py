#!/usr/bin/python3
"""Regenerate the seed corpora of tests/fuzz/corpus/<target>/ from the project's test data.

Usage: tests/fuzz/make_corpus.py      (run from anywhere; Debian's python3, needs `zstd`)

Sources: tests/data/** (manifests, analyzer files, auth answers, tenants files, OSV records,
CVSS vectors, version pairs), the OCI
layouts deploy/local/mkimage.py builds from deploy/local/images/*.json (the sample images
and their files/) and tests/data/images/*.json (their manifests,
indexes and layer blobs), and a few hand-written values below for the parsers whose inputs
have no file in tests/data (Link headers, image references, cached JSON forms). Every seed
is named by the sha1 of its content, as libFuzzer names what it adds, so regenerating is
idempotent and files libFuzzer added (crash reproducers) stay. Seeds over 64 KiB are left out.
"""

import base64
import glob
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data")
SAMPLE_IMAGES = os.path.join(ROOT, "deploy", "local", "images")
CORPUS = os.path.join(HERE, "corpus")
MAX_SEED = 64 * 1024

DA = "sha256:" + "a" * 64
DB = "sha256:" + "b" * 64


def add(target, content):
    if isinstance(content, str):
        content = content.encode()
    if len(content) > MAX_SEED:
        return
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(content).hexdigest()), "wb") as f:
        f.write(content)


def add_file(target, path):
    with open(path, "rb") as f:
        add(target, f.read())


def jdump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def tar_bytes(members):
    """members: (name, type, payload) with type file/symlink/hardlink/dir."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload in members:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            if kind == "file":
                ti.size = len(payload)
                t.addfile(ti, io.BytesIO(payload))
                continue
            ti.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                       "hardlink": tarfile.LNKTYPE}[kind]
            if kind != "dir":
                ti.linkname = payload
            t.addfile(ti)
    return raw.getvalue()


def image_layouts():
    """Builds every image spec and feeds manifests, indexes and layers to the corpora."""
    with tempfile.TemporaryDirectory() as tmp:
        for spec in sorted(glob.glob(os.path.join(SAMPLE_IMAGES, "*.json"))
                           + glob.glob(os.path.join(DATA, "images", "*.json"))):
            out = os.path.join(tmp, os.path.basename(spec)[:-5])
            subprocess.run([sys.executable, os.path.join(ROOT, "deploy", "local", "mkimage.py"),
                            "build", spec, out], check=True, stdout=subprocess.DEVNULL)
            add_file("manifest", os.path.join(out, "index.json"))
            local_source_seeds(out)
            for blob in sorted(glob.glob(os.path.join(out, "blobs", "sha256", "*"))):
                with open(blob, "rb") as f:
                    b = f.read()
                if b[:1] == b"{":
                    try:
                        doc = json.loads(b)
                    except ValueError:
                        continue
                    if "manifests" in doc or "layers" in doc:
                        add("manifest", b)
                elif b[:2] == b"\x1f\x8b" or b[:4] == b"\x28\xb5\x2f\xfd" or b[257:262] == b"ustar":
                    add("layer", b)


def layout_blobs(out):
    """{digest: bytes} of a layout's blobs and its index.json document."""
    blobs = {}
    for blob in glob.glob(os.path.join(out, "blobs", "sha256", "*")):
        with open(blob, "rb") as f:
            blobs["sha256:" + os.path.basename(blob)] = f.read()
    with open(os.path.join(out, "index.json"), "rb") as f:
        return blobs, json.loads(f.read())


def oci_sections(index, blobs):
    """The fuzz_oci_layout input of a layout: index.json then its blobs, every
    descriptor's digest written "$N" and its size %N (N: the blob's section)."""
    def kind(b):
        doc = json.loads(b) if b[:1] == b"{" else {}
        return 0 if "manifests" in doc else 1 if "layers" in doc else 2
    order = sorted(blobs, key=lambda d: (kind(blobs[d]), d))
    if len(order) > 9:
        return None
    num = {d: i + 1 for i, d in enumerate(order)}

    def rewrite(doc):
        if isinstance(doc, dict):
            if doc.get("digest") in num and "size" in doc:
                n = num[doc["digest"]]
                doc = dict(doc, digest="$%d" % n, size="%%%d" % n)
            return {k: rewrite(v) for k, v in doc.items()}
        if isinstance(doc, list):
            return [rewrite(v) for v in doc]
        return doc

    def text(doc):
        t = jdump(rewrite(doc))
        for n in range(1, 10):
            t = t.replace('"%%%d"' % n, "%%%d" % n)
        return t.encode()

    parts = [text(index)]
    for d in order:
        b = blobs[d]
        parts.append(text(json.loads(b)) if b[:1] == b"{" else b)
    return b"\n--\n".join(parts)


def docker_archive(index, blobs):
    """A `docker save` tar of the layout's first image manifest (None when it has none)."""
    for desc in index.get("manifests", []):
        man = json.loads(blobs.get(desc.get("digest"), b"{}"))
        if "layers" not in man:
            continue
        cfg = man["config"]["digest"]
        members = [(cfg[7:] + ".json", "file", blobs[cfg])]
        names = []
        for layer in man["layers"]:
            names.append(layer["digest"][7:] + "/layer.tar")
            members.append((names[-1], "file", blobs[layer["digest"]]))
        mj = [{"Config": cfg[7:] + ".json", "RepoTags": ["fuzz:1"], "Layers": names}]
        members.append(("manifest.json", "file", jdump(mj).encode()))
        return tar_bytes(members)
    return None


def local_source_seeds(out):
    """fuzz_oci_layout and fuzz_docker seeds of a built layout (small ones only)."""
    blobs, index = layout_blobs(out)
    sections = oci_sections(index, blobs)
    if sections:
        add("oci_layout", sections)
    archive = docker_archive(index, blobs)
    if archive:
        add("docker", archive)
        add("docker", gzip.compress(archive, mtime=0))


def match_seeds():
    """OSV records (tests/data/osv: real ones copied from ../shared/vulndb, and made ones),
    their CVSS vectors, version pairs of tests/data/versions, snapshots, EOL lookups."""
    records = sorted(glob.glob(os.path.join(DATA, "osv", "**", "*.json"), recursive=True)
                     + glob.glob(os.path.join(DATA, "cvss", "osv", "**", "*.json"), recursive=True))
    docs = []
    for path in records:
        add_file("osv", path)
        try:
            doc = json.loads(open(path, "rb").read())
        except ValueError:
            continue
        docs.append(doc)
        for sev in doc.get("severity", []) if isinstance(doc, dict) else []:
            if isinstance(sev, dict) and isinstance(sev.get("score"), str):
                add("cvss", sev["score"])
    for v in ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "AV:L/AC:H/Au:M/C:N/I:N/A:C/E:U/RL:OF/RC:C",
              "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
              "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:L/A:N/E:X/MAV:A",
              "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"):
        add("cvss", v)
    schemes = ["dpkg", "apk", "rpm", "pep440", "semver", "go", "maven", "rubygems", "nuget"]
    for i, scheme in enumerate(schemes):
        for path in sorted(glob.glob(os.path.join(DATA, "versions", scheme, "*"))):
            pairs = [line.rstrip("\n").split("\t") for line in open(path, encoding="utf-8")
                     if line.strip() and not line.startswith("#")]
            for pair in pairs[:40]:
                if len(pair) >= 2:
                    add("version", bytes([i]) + pair[0].encode() + b"\0" + pair[1].encode())
    good = [d for d in docs if isinstance(d, dict) and "id" in d][:6]
    header = {"schema": "regscan.vulndb-snapshot/v1", "version": 3, "built_at": "2024-01-01T00:00:00Z",
              "records": len(good), "sources": ["fuzz"]}
    add("vulndb", "\n".join(jdump(d) for d in [header] + good) + "\n")
    add("vulndb", jdump(header) + "\n{\"id\": 1}\nnot json\n")
    if good:
        add("vulndb", jdump(good[0]))
        add("vulndb", zip_bytes([(d["id"] + ".json", jdump(d).encode()) for d in good[:3]]))
    for os_id, ver, code in (("debian", "12", "bookworm"), ("ubuntu", "22.04", "jammy"),
                             ("alpine", "3.19.1", ""), ("ubuntu", "23.10", "mantic"),
                             ("debian", "", "trixie")):
        add("eol", "\0".join([os_id, ver, code, "2025-06-30"]))


def layer_extras():
    status = open(os.path.join(DATA, "dpkg", "status"), "rb").read()
    add("layer", tar_bytes([
        ("etc/", "dir", None),
        ("etc/os-release", "file", open(os.path.join(DATA, "osrelease", "debian"), "rb").read()),
        ("var/lib/dpkg/status", "file", status),
        ("var/lib/dpkg/status.d/libssl3", "hardlink", "var/lib/dpkg/status"),
        ("lib/apk/db/installed", "symlink", "../../../var/lib/dpkg/status"),
        ("opt/app/.wh..wh..opq", "file", b""),
        ("etc/.wh.motd", "file", b""),
        ("./usr//lib/../os-release", "file", b"ID=x\n"),
    ]))
    add("layer", b"")


def stream_form(lr):
    """A layer result's JSON form as the stream form the sandboxed child writes (index.h)."""
    keys = ("files", "links", "whiteouts", "opaque_dirs", "skipped")
    head = {k: len(lr[k]) for k in keys}
    head.update({k: v for k, v in lr.items() if k not in keys})
    head["layer_result_stream"] = 1
    lines = [head]
    for f in lr["files"]:
        h = {k: v for k, v in f.items() if k not in ("packages", "owned")}
        h["packages"] = len(f["packages"])
        h["owned"] = len(f.get("owned", []))
        lines += [h] + f["packages"] + f.get("owned", [])
    for k in keys[1:]:
        lines += lr[k]
    return "".join(jdump(x) + "\n" for x in lines).encode()


def json_seeds():
    pkg = {"type": "dpkg", "ecosystem": "Debian:12", "name": "libssl3",
           "version": "3.0.11-1~deb12u2+b1", "source": {"name": "openssl", "version": "3.0.11-1~deb12u2"},
           "arch": "amd64", "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2%2Bb1?arch=amd64&distro=debian-12",
           "path": "/var/lib/dpkg/status", "layer": DA}
    apk = {"type": "apk", "ecosystem": None, "name": "musl", "version": "1.2.4_git20230717-r4",
           "source": None, "arch": None, "purl": None, "path": "/lib/apk/db/installed", "layer": None}
    os_deb = {"id": "debian", "version_id": "12", "version_codename": "bookworm",
              "pretty_name": "Debian GNU/Linux 12 (bookworm)", "found": True}
    add("inventory", jdump({"os": os_deb, "layers": [DA, DB], "packages": [pkg, apk]}))
    add("inventory", jdump({"os": {"id": "", "version_id": "", "version_codename": "",
                                   "pretty_name": "", "found": False}, "layers": [], "packages": []}))
    lr = {"files": [{"path": "/var/lib/dpkg/status", "analyzer": "dpkg", "packages": [pkg],
                     "malformed": 1},
                    {"path": "/usr/lib/os-release", "analyzer": "os-release", "packages": [],
                     "os": os_deb, "malformed": 0},
                    {"path": "/var/lib/dpkg/info/python3-six.list", "analyzer": "dpkg-files",
                     "packages": [], "malformed": 0,
                     "owned": ["/usr/lib/python3/dist-packages/six.py", "/usr/share/doc/six"]}],
          "links": [{"path": "/etc/os-release", "target": "../usr/lib/os-release", "hard": False},
                    {"path": "/lib/apk/db/installed", "target": "x/installed", "hard": True}],
          "whiteouts": ["/etc/motd"], "opaque_dirs": ["/opt/app"],
          "skipped": [{"path": "/var/lib/dpkg/status.d/big", "reason": "LIMIT_EXCEEDED"}],
          "entries": 12, "uncompressed_bytes": 10240, "compressed_bytes": 2048}
    add("layer_result", jdump(lr))
    for step in (b"\x00", b"\x01", b"\xff"):  # the fuzz_layer_stream chunk size
        add("layer_stream", step + stream_form(lr))
    add("layer_result", jdump({"files": [], "links": [], "whiteouts": [], "opaque_dirs": [],
                               "skipped": [], "entries": 0, "uncompressed_bytes": 0,
                               "compressed_bytes": 0}))

    req = {"schema": "regscan.scan-request/v1", "mode": "scan", "force": True,
           "tenant": "contoso", "registry": "contoso.azurecr.io", "repository": "team/web",
           "digest": DA, "index_digest": DB,
           "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
           "refs": [{"registry": "contoso.azurecr.io", "repository": "team/api", "tags": ["1.0"]},
                    {"registry": "contoso.azurecr.io", "repository": "team/web",
                     "tags": ["1.4", "latest"]}],
           "batch_id": "b-1", "requested_at": "2026-11-27T10:00:00Z"}
    add("scan_request", json.dumps(req))
    add("scan_request", jdump({"schema": "regscan.scan-request/v1", "mode": "rematch",
                               "force": False, "tenant": "t", "registry": "127.0.0.1:5000",
                               "repository": "a/b", "digest": DB, "refs": []}))

    # message_split: one byte picks the part size (16 + 16 * byte), then the document
    report = open(os.path.join(DATA, "message", "report_ok.json"), "rb").read()
    for sel in (0, 8, 40, 255):
        add("message_split", bytes([sel]) + report)
    doc = {"schema": "regscan.image-inventory/v1", "part": 1, "parts": 1, "tenant": "t",
           "packages": [pkg, apk, pkg], "vulnerabilities": [{"id": "CVE-2024-%04d" % i} for i in range(6)],
           "secrets": [], "misconfigurations": ["x"]}
    for sel in (4, 20):
        add("message_split", bytes([sel]) + jdump(doc).encode())

    # a token endpoint's answers: distribution, ACR, OAuth2 with a JWT carrying exp
    for p in glob.glob(os.path.join(DATA, "auth", "*.json")):
        add_file("auth_token", p)
    jwt = "eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDM2MDB9.c2ln"
    add("auth_token", jdump({"access_token": jwt}))
    add("auth_token", jdump({"token": "abc", "expires_in": 300, "issued_at": "2023-11-14T22:13:20Z"}))
    add("auth_token", jdump({"token": "abc", "expires_in": -5, "issued_at": "2023-11-14T22:13:20.123456+01:00"}))


def string_seeds():
    with open(os.path.join(DATA, "auth", "challenges.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                add("auth_challenge", line.split("|")[0])
    for link in ['</v2/_catalog?last=b&n=100>; rel="next"',
                 '</v2/team/web/tags/list?n=50&last=1.4>; rel="next"',
                 '<https://reg.example.test/v2/_catalog?n=1&last=a>; rel=next',
                 '</a>; rel="prev", </b>; rel="next"; title="x"',
                 '</a>; rel="prev"', '<unterminated; rel="next"', '']:
        add("link_next", link)
    for ref in ["debian", "debian:12", "library/debian:12", "docker.io/library/debian:bookworm",
                "127.0.0.1:5000/team/web:1.4", "localhost/app@" + DA,
                "contoso.azurecr.io/team/web:1.4@" + DA, "[::1]:5001/a/b:c",
                "registry.test:5000/x", "UPPER/case", "a//b", "sha256-" + "c" * 64 + ".sig",
                "sha256-" + "d" * 64 + ".att", "1.4"]:
        add("imageref", ref)


def file_seeds():
    for p in sorted(glob.glob(os.path.join(DATA, "manifest", "*.json"))):
        add_file("manifest", p)
    for p in [os.path.join(DATA, "dpkg", "status"), os.path.join(DATA, "dpkg", "status.d", "libssl3")]:
        add_file("dpkg", p)
    for p in sorted(glob.glob(os.path.join(SAMPLE_IMAGES, "files", "*.status"))):
        add_file("dpkg", p)
    add_file("apk", os.path.join(DATA, "apk", "installed"))
    for p in sorted(glob.glob(os.path.join(SAMPLE_IMAGES, "files", "*.installed"))):
        add_file("apk", p)
    for p in sorted(glob.glob(os.path.join(DATA, "osrelease", "*"))):
        add_file("osrelease", p)
    for p in sorted(glob.glob(os.path.join(SAMPLE_IMAGES, "files", "*os-release"))):
        add_file("osrelease", p)
    add_file("config", os.path.join(DATA, "config", "valid.json"))
    for p in sorted(glob.glob(os.path.join(DATA, "config", "bad", "*.json"))):
        add_file("config", p)


def lang_seeds():
    """The language analyzers' test data; npm-lock's first byte picks the file kind."""
    for target, sub in (("npm", "npm"), ("python", "python"), ("gem", "gem"),
                        ("dotnet", "dotnet"), ("composer", "composer"), ("dpkgfiles", "dpkgfiles")):
        for p in sorted(glob.glob(os.path.join(DATA, sub, "*"))):
            if target != "npm" or p.endswith("package.json"):
                add_file(target, p)
    add("npm", '{"name":"@types/node","version":"20.1.0"}')
    add("npm", '{"name":"lodash","version":"4.17.20","dependencies":{"a":"^1"}}')
    add("dpkgfiles", "d41d8cd98f00b204e9800998ecf8427e  usr/lib/os-release\n")
    for p in sorted(glob.glob(os.path.join(DATA, "npm", "*"))):
        with open(p, "rb") as f:
            add("npmlock", (b"\x01" if p.endswith(".lock") else b"\x00") + f.read())


def badtext_seeds():
    """The analyzer files of the badtext-* image specs (bytes that are not UTF-8, inline as
    base64), for their analyzers and for utf8."""
    target_of = {"lib/apk/db/installed": "apk", "var/lib/dpkg/status": "dpkg",
                 "etc/os-release": "osrelease"}
    for spec in sorted(glob.glob(os.path.join(DATA, "images", "badtext-*.json"))):
        with open(spec) as f:
            layers = json.load(f)["image"]["layers"]
        for layer in layers:
            for e in layer["entries"]:
                if "base64" not in e:
                    continue
                b = base64.b64decode(e["base64"])
                add("utf8", b)
                if e.get("path") in target_of:
                    add(target_of[e["path"]], b)


def utf8_seeds():
    """Well-formed and ill-formed sequences (RFC 3629, Unicode 15 table 3-8), controls."""
    for v in [b"", b"abc", "\u00e9\u20ac\U0001F600\U0010FFFF".encode(), b"\xff", b"\xc0\x80",
              b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xed\x9f\xbf", b"\xf4\x90\x80\x80",
              b"\xf5\x80", b"a\xe2\x82", b"\xe2\x82a", b"\xf0\x9f\x98", b"a\x00b",
              b"\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64",
              b"\x1b[31mred\x1b[0m", b"a\xc2\x9b31m", b"\x7fx", ("\u00e9" * 200).encode(),
              b"x" + ("\u00e9" * 200).encode()]:
        add("utf8", v)


def rpm_seeds():
    """Header blobs, the ndb and bdb databases of them (bdb by BerkeleyDB's own db5.3_load,
    both byte orders, 512-byte pages so that headers span overflow chains) and an rpm
    manifest line set, from tests/rpmdb_tools.py."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import rpmdb_tools
    hdrs = rpmdb_tools.sample_headers()
    for b in hdrs:
        add("rpmhdr", b)
    add("rpmhdr", hdrs[0][: len(hdrs[0]) // 2])
    rows = list(enumerate(hdrs, 1))
    add("rpmndb", rpmdb_tools.ndb(rows))
    add("rpmndb", rpmdb_tools.ndb(rows[:1], slot_pages=2))
    with tempfile.TemporaryDirectory() as d:
        for be in (False, True):
            dump, db = os.path.join(d, "dump"), os.path.join(d, "Packages%d" % be)
            with open(dump, "w") as f:
                f.write(rpmdb_tools.bdb_dump(rows, be))
            subprocess.run(["db5.3_load", "-f", dump, "-c", "db_lorder=%d" % (4321 if be else 1234),
                            "-c", "db_pagesize=512", db], check=True)
            add("rpmbdb", open(db, "rb").read())
    add("rpmmanifest", "rs-hello\t1.2.3-4.el9\t1700000000\t1700000000\tregscan\t(none)\t12\t"
                       "x86_64\t0\trs-hello-1.2.3-4.el9.src.rpm\n"
                       "rs-suite-libs\t0.9-1\t1700000000\t1700000000\t(none)\t2\t4\tx86_64\t2\t"
                       "rs-suite-0.9-1.src.rpm\n"
                       "gpg-pubkey\t1-2\t0\t0\t(none)\t(none)\t0\t(none)\t0\t(none)\n")


def zip_bytes(members):
    """A zip of [(name, bytes)] (deflated), as a jar is."""
    import zipfile
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0)), data)
    return bio.getvalue()


def elf_bytes(section, data, is64=True, big=False):
    """A minimal ELF (tests/unit/rs_elfbuild.h's layout): one RW PT_LOAD mapping the file at
    0x10000, `data` at 0x200, a section table naming it `section` (None: no table)."""
    import struct
    o = ">" if big else "<"
    eh, ph, sh = (64, 56, 64) if is64 else (52, 32, 40)
    strtab = b"\0.shstrtab\0" + (section.encode() + b"\0" if section else b"")
    stroff = 0x200 + len(data)
    shoff = (stroff + len(strtab) + 7) & ~7
    total = shoff + 3 * sh if section else stroff
    b = bytearray(total)
    b[0:7] = b"\x7fELF" + bytes([2 if is64 else 1, 2 if big else 1, 1])
    w = "Q" if is64 else "I"
    struct.pack_into(o + "H", b, 16, 2)
    struct.pack_into(o + w, b, 32 if is64 else 28, eh)
    struct.pack_into(o + w, b, 40 if is64 else 32, shoff if section else 0)
    struct.pack_into(o + "HHHHH", b, 54 if is64 else 42, ph, 1, sh, 3 if section else 0, 1 if section else 0)
    if is64:
        struct.pack_into(o + "IIQQQQQQ", b, eh, 1, 6, 0, 0x10000, 0x10000, total, total, 0x1000)
    else:
        struct.pack_into(o + "IIIIIIII", b, eh, 1, 0, 0x10000, 0x10000, total, total, 6, 0x1000)
    b[0x200:0x200 + len(data)] = data
    if section:
        b[stroff:stroff + len(strtab)] = strtab
        for i, (name, typ, off, size) in enumerate(((1, 3, stroff, len(strtab)), (11, 1, 0x200, len(data))), 1):
            at = shoff + i * sh
            struct.pack_into(o + "II", b, at, name, typ)
            struct.pack_into(o + w + w, b, at + (24 if is64 else 16), off, size)
    return bytes(b)


def binary_seeds():
    """Jars (pom.properties, shaded, manifest, nested) and ELF files (Go build information
    inline and pointer-based, cargo-auditable data) for the jar, gobinary and rustaudit
    targets."""
    import zlib
    pom = lambda g, a, v: (f"META-INF/maven/{g}/{a}/pom.properties",
                           f"groupId={g}\nartifactId={a}\nversion={v}\n".encode())
    inner = zip_bytes([pom("org.apache.logging.log4j", "log4j-core", "2.14.1")])
    add("jar", inner)
    add("jar", zip_bytes([pom("a", "b", "1"), pom("c", "d", "2.0-jre"), ("x.class", b"\xca\xfe")]))
    add("jar", zip_bytes([("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nBundle-SymbolicName: a.b;s\r\n"
                                                    b" ingleton:=true\r\nBundle-Version: 1.0\r\n\r\n")]))
    add("jar", zip_bytes([pom("com.example", "app", "1.0"), ("BOOT-INF/lib/log4j-core-2.14.1.jar", inner),
                          ("WEB-INF/lib/w.war", zip_bytes([("lib/x.jar", inner)]))]))
    sentinel = b"0123456789abcdef"
    mod = (sentinel + b"path\tex.com/m\nmod\tex.com/m\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.6\th1:x=\n"
           b"dep\tgithub.com/a/b\tv1.0.0\th1:y=\n=>\tgithub.com/c/d\tv1.1.0\th1:z=\n" + sentinel)
    vers = b"go1.21.3"
    assert len(mod) < 1 << 14
    varint = bytes([0x80 | (len(mod) & 0x7f), len(mod) >> 7])
    blob = b"\xff Go buildinf:\x08\x02" + bytes(16) + bytes([len(vers)]) + vers + varint + mod
    add("gobinary", elf_bytes(".go.buildinfo", blob))
    add("gobinary", elf_bytes(None, blob))
    base = 0x10000 + 0x200
    hdr = b"\xff Go buildinf:\x04\x01" + (base + 64).to_bytes(4, "big") + (base + 96).to_bytes(4, "big")
    ptrs = hdr.ljust(64, b"\0") + (base + 128).to_bytes(4, "big") + len(vers).to_bytes(4, "big")
    ptrs = ptrs.ljust(96, b"\0") + (base + 144).to_bytes(4, "big") + len(mod).to_bytes(4, "big")
    ptrs = ptrs.ljust(128, b"\0") + vers.ljust(16, b"\0") + mod
    add("gobinary", elf_bytes(".go.buildinfo", ptrs, is64=False, big=True))
    deps = json.dumps({"packages": [
        {"name": "app", "version": "0.1.0", "source": "local", "dependencies": [1], "root": True},
        {"name": "regex", "version": "1.5.4", "source": "crates.io"},
        {"name": "cc", "version": "1.0.0", "source": "crates.io", "kind": "build"}]}).encode()
    add("rustaudit", elf_bytes(".dep-v0", zlib.compress(deps, 9)))
    add("rustaudit", elf_bytes(".dep-v0", zlib.compress(deps, 9)[:40], is64=False, big=True))


def policy_seeds():
    """Policies (deploy/local/policy.json and every rule) and OpenVEX documents."""
    add_file("policy", os.path.join(ROOT, "deploy", "local", "policy.json"))
    add("policy", jdump({"name": "p", "version": "1", "fail_on": {
        "vulnerability_severity": "high", "only_fixable": True, "secrets": True,
        "misconfiguration_severity": "medium"},
        "forbidden_packages": [{"ecosystem": "npm", "name": "left-pad", "versions": ["1.0"]}],
        "allow": [{"id": "CVE-2021-0001", "path": "/app/*", "expires": "2027-01-01"},
                  {"id": "aws-access-key-id", "expires": "2027-01-01T10:00:00Z"}]}))
    add("policy", jdump({"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": "CVE-2021-0001", "aliases": ["GHSA-aaaa"]},
         "products": [{"@id": "pkg:oci/app@sha256%3A" + "1" * 64,
                       "subcomponents": [{"@id": "pkg:npm/@scope/left-pad"}]}],
         "status": "not_affected", "justification": "component_not_present"},
        {"vulnerability": "GHSA-aaaa", "products": ["pkg:npm/%40scope/left-pad@1.0"],
         "status": "fixed"}]}))


def webhook_seeds():
    """ACR webhook bodies and Event Grid deliveries (coordinator/webhook.c)."""
    target = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 524,
              "digest": DA, "length": 524, "repository": "team/web", "tag": "v1"}
    request = {"id": "r", "host": "127.0.0.1:5002", "method": "PUT", "useragent": "docker"}
    push = {"id": "i", "timestamp": "2026-12-07T05:00:00Z", "action": "push",
            "target": target, "request": request}
    delete = dict(push, action="delete", target={"digest": DB, "repository": "team/web"})
    add("webhook", jdump(push))
    add("webhook", jdump(delete))

    def eg(kind, data):
        return {"id": "e", "topic": "/t", "subject": "team/web:v1", "eventType": kind,
                "eventTime": "2026-12-07T05:00:00Z", "data": data, "dataVersion": "1.0",
                "metadataVersion": "1"}
    add("webhook", jdump([eg("Microsoft.ContainerRegistry.ImagePushed", push),
                          eg("Microsoft.ContainerRegistry.ImageDeleted", delete)]))
    add("webhook", jdump([eg("Microsoft.EventGrid.SubscriptionValidationEvent",
                             {"validationCode": "512d38b6", "validationUrl": "https://v"})]))
    add("webhook", jdump({"specversion": "1.0", "type": "Microsoft.ContainerRegistry.ImagePushed",
                          "source": "/s", "id": "c", "data": push}))


def azure_list_seeds():
    """ACR's _tags pages and Resource Manager's list pages (docs/azure.md)."""
    tag = {"name": "v2", "digest": DA, "createdTime": "2026-01-02T00:00:00Z",
           "lastUpdateTime": "2026-01-02T03:04:05.1234567Z", "signed": False,
           "changeableAttributes": {"deleteEnabled": True, "listEnabled": True}}
    add("acr_tags", jdump({"registry": "r.example.test", "imageName": "team/web", "tags": [
        tag, dict(tag, name="v1", digest=DB, lastUpdateTime="2026-01-01T00:00:00Z")]}))
    add("acr_tags", jdump({"imageName": "team/web", "tags": [dict(tag, name="a/b")]}))
    add("acr_tags", jdump({"tags": [dict(tag, lastUpdateTime="2026-01-01T00:00:00Z"), tag]}))
    rm = "https://127.0.0.1:7443"
    subs = {"value": [{"id": "/subscriptions/s1", "subscriptionId": "s1", "tenantId": "t",
                       "displayName": "prod", "state": "Enabled"}],
            "nextLink": rm + "/subscriptions?api-version=2022-12-01&$skiptoken=1"}
    add("arm_list", b"\x00" + jdump(subs).encode())
    add("arm_list", b"\x00" + jdump(dict(subs, nextLink="https://elsewhere.test/x")).encode())
    regs = {"value": [{"id": "/subscriptions/s1/resourceGroups/g/providers/"
                             "Microsoft.ContainerRegistry/registries/one", "name": "one",
                       "type": "Microsoft.ContainerRegistry/registries",
                       "properties": {"loginServer": "one.example.test",
                                      "provisioningState": "Succeeded"}}]}
    add("arm_list", b"\x01" + jdump(regs).encode())
    bad = {"value": [{"properties": {"loginServer": "a@b:1"}}]}
    add("arm_list", b"\x01" + jdump(bad).encode())


def main():
    match_seeds()
    policy_seeds()
    azure_list_seeds()
    rpm_seeds()
    binary_seeds()
    file_seeds()
    webhook_seeds()
    lang_seeds()
    badtext_seeds()
    utf8_seeds()
    string_seeds()
    json_seeds()
    layer_extras()
    image_layouts()
    total = 0
    for d in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, d))
        size = sum(os.path.getsize(os.path.join(CORPUS, d, f)) for f in files)
        total += size
        print("%-16s %4d seeds %8d bytes" % (d, len(files), size))
    print("total %d bytes" % total)
    return 0 if total < 2 * 1024 * 1024 else 1


if __name__ == "__main__":
    sys.exit(main())
