#!/usr/bin/python3
"""Build OCI image layouts deterministically from a JSON spec, and push them with skopeo.

Commands
  mkimage.py build SPEC.json OUTDIR      one OCI layout (OUTDIR itself) per spec; prints
                                         "REF<TAB>MEDIATYPE<TAB>DIGEST" per ref
  mkimage.py push LAYOUT[:REF] DEST_REF [--creds U:P] [--format oci|v2s2]
                                         skopeo copy --all --preserve-digests
                                         --dest-tls-verify=false oci:LAYOUT:REF docker://DEST_REF
  mkimage.py from-dir DIR LAYOUT TAG [--compression gzip|zstd|none] [--os linux]
                                     [--architecture amd64] [--variant V]
                                         one-layer image from a directory tree (a rootfs)

Determinism: every tar member has mtime 0, uid/gid 0 (unless taken from a directory tree),
empty user/group names, members sorted by path with parents first; gzip streams carry
mtime 0 and no file name; zstd uses the `zstd` program at level 3; JSON is written with
sorted keys. The same spec always gives the same digests. Nothing is written outside
OUTDIR / LAYOUT (temporary files live inside it).

Spec format (one JSON object):
{
  "name": "debian-single",           # informative; also the default ref when "tag" is absent
  "description": "...",              # informative
  "tag": "latest",                   # ref name (org.opencontainers.image.ref.name) in index.json
  "image":    IMAGE,                 # exactly one of image / index / artifact, or "refs"
  "index":    {"images": [IMAGE, ...], "annotations": {...}},
  "artifact": ARTIFACT,
  "refs": [ {"tag": "t1", "image"|"index"|"artifact": ...}, ... ],   # several refs, one layout
  "expected": {...}                  # ignored by this tool: what a scanner must report
}
IMAGE = {
  "os": "linux", "architecture": "amd64", "variant": "v8" (optional),
  "created": "1970-01-01T00:00:00Z" (default),
  "config": {"Env": [...], "Cmd": [...], "Labels": {...}, ...}   # image config "config" part
  "annotations": {...},              # manifest annotations (optional)
  "layers": [LAYER, ...]
}
LAYER = {
  "compression": "gzip" | "zstd" | "none"     (default gzip),
  "created_by": "text for the history entry"  (optional),
  "implicit_dirs": true      add missing parent directories as 0755 entries (default true),
  "entries": [ENTRY, ...]    or  "from_dir": "path"  (relative to the spec file; symlinks,
                             hard links, modes, uid/gid kept; device nodes, fifos, sockets
                             skipped)
}
ENTRY (paths relative to the image root, no leading "/"):
  {"type": "file", "path": "etc/x", "text": "content"}                 inline text (UTF-8)
  {"type": "file", "path": "etc/x", "lines": ["a", "b"]}               lines joined, final "\n"
  {"type": "file", "path": "etc/x", "source": "files/x"}               bytes of a file, relative
                                                                       to the spec file
  {"type": "file", "path": "etc/x", "base64": "..."}                   raw bytes
  {"type": "file", "path_base64": "...", "text": "..."}                a path of raw bytes
                                                                       (any entry type)
  {"type": "dir", "path": "opt/app"}
  {"type": "symlink", "path": "etc/os-release", "target": "../usr/lib/os-release"}
  {"type": "hardlink", "path": "usr/bin/b", "target": "usr/bin/a"}
  {"type": "whiteout", "path": "opt/app/old"}     -> member "opt/app/.wh.old" (deletes it)
  {"type": "opaque", "path": "opt/app"}           -> member "opt/app/.wh..wh..opq"
  optional on every entry: "mode" ("0644" default for files, "0755" for dirs), "uid", "gid"
ARTIFACT = {                                       # a manifest that is not a runnable image
  "artifactType": "application/spdx+json"   (optional),
  "config": {"mediaType": "...", "json": {...} | "text": "..."},   # default: the empty
                                             # descriptor application/vnd.oci.empty.v1+json "{}"
  "layers": [ {"mediaType": "...", "json"|"text"|"base64"|"source": ...} or
              {"mediaType": "...", "entries": [...], "compression": "gzip"} ],
  "annotations": {...}
}
"""

import argparse
import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_LAYER = {
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
    "none": "application/vnd.oci.image.layer.v1.tar",
}
REF_ANNOTATION = "org.opencontainers.image.ref.name"
EPOCH = "1970-01-01T00:00:00Z"
CHUNK = 1 << 20


class SpecError(Exception):
    pass


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")


class Layout:
    """An OCI layout directory being written: blobs are content-addressed files."""

    def __init__(self, root):
        self.root = root
        self.blobs = os.path.join(root, "blobs", "sha256")
        self.tmp_seq = 0

    def prepare(self):
        if os.path.exists(self.root):
            if not os.path.isdir(self.root):
                raise SpecError("'%s' exists and is not a directory" % self.root)
            names = os.listdir(self.root)
            if names and not os.path.exists(os.path.join(self.root, "oci-layout")):
                raise SpecError("'%s' is not empty and not an OCI layout; refusing to "
                                "overwrite it" % self.root)
            # A rebuild starts afresh so no stale blob or ref survives.
            for n in names:
                p = os.path.join(self.root, n)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.unlink(p)
        os.makedirs(self.blobs, exist_ok=True)
        with open(os.path.join(self.root, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')

    def tmp_path(self):
        self.tmp_seq += 1
        return os.path.join(self.root, ".tmp-%d-%d" % (os.getpid(), self.tmp_seq))

    def put_bytes(self, data, media_type, extra=None):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = os.path.join(self.blobs, digest[7:])
        if not os.path.exists(path):
            tmp = self.tmp_path()
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        desc = {"mediaType": media_type, "digest": digest, "size": len(data)}
        if extra:
            desc.update(extra)
        return desc

    def put_file(self, tmp, media_type):
        """Move a finished temporary file into the blob store; return its descriptor."""
        h = hashlib.sha256()
        size = 0
        with open(tmp, "rb") as f:
            while True:
                b = f.read(CHUNK)
                if not b:
                    break
                h.update(b)
                size += len(b)
        digest = "sha256:" + h.hexdigest()
        os.replace(tmp, os.path.join(self.blobs, digest[7:]))
        return {"mediaType": media_type, "digest": digest, "size": size}

    def write_index(self, manifests):
        data = json.dumps({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests},
                          sort_keys=True, indent=2).encode() + b"\n"
        with open(os.path.join(self.root, "index.json"), "wb") as f:
            f.write(data)


def parse_mode(value, default):
    if value is None:
        return default
    if isinstance(value, int):
        return value
    return int(value, 8)


def entry_bytes(entry, base_dir):
    if "text" in entry:
        return entry["text"].encode("utf-8")
    if "lines" in entry:
        return ("\n".join(entry["lines"]) + "\n").encode("utf-8")
    if "base64" in entry:
        return base64.b64decode(entry["base64"])
    if "json" in entry:
        return canonical_json(entry["json"])
    if "source" in entry:
        with open(os.path.join(base_dir, entry["source"]), "rb") as f:
            return f.read()
    return b""


def norm_path(p):
    p = p.strip("/")
    if not p or p.startswith("../") or "/../" in p or p == "..":
        raise SpecError("bad path '%s'" % p)
    return p


def entry_path(entry):
    """The entry's path; "path_base64" gives raw bytes (not UTF-8, say), written to the
    PAX header as bytes (hdrcharset=BINARY)."""
    if "path_base64" in entry:
        return base64.b64decode(entry["path_base64"]).decode("utf-8", "surrogateescape")
    return entry["path"]


def tarinfo(name, kind, mode, uid=0, gid=0):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = 0
    ti.uid = uid
    ti.gid = gid
    ti.uname = ""
    ti.gname = ""
    return ti


def spec_members(entries, base_dir, implicit_dirs):
    """Turn spec entries into (path, TarInfo, bytes or None), sorted, parents first."""
    members = {}
    for e in entries:
        kind = e.get("type", "file")
        path = norm_path(entry_path(e))
        uid, gid = e.get("uid", 0), e.get("gid", 0)
        if kind == "file":
            data = entry_bytes(e, base_dir)
            ti = tarinfo(path, tarfile.REGTYPE, parse_mode(e.get("mode"), 0o644), uid, gid)
            ti.size = len(data)
            members[path] = (ti, data)
        elif kind == "dir":
            members[path] = (tarinfo(path + "/", tarfile.DIRTYPE,
                                     parse_mode(e.get("mode"), 0o755), uid, gid), None)
        elif kind == "symlink":
            ti = tarinfo(path, tarfile.SYMTYPE, parse_mode(e.get("mode"), 0o777), uid, gid)
            ti.linkname = e["target"]
            members[path] = (ti, None)
        elif kind == "hardlink":
            ti = tarinfo(path, tarfile.LNKTYPE, parse_mode(e.get("mode"), 0o644), uid, gid)
            ti.linkname = norm_path(e["target"])
            members[path] = (ti, None)
        elif kind == "whiteout":
            d, _, base = path.rpartition("/")
            wpath = (d + "/" if d else "") + ".wh." + base
            members[wpath] = (tarinfo(wpath, tarfile.REGTYPE, 0o644), b"")
        elif kind == "opaque":
            wpath = path + "/.wh..wh..opq"
            members[wpath] = (tarinfo(wpath, tarfile.REGTYPE, 0o644), b"")
        else:
            raise SpecError("unknown entry type '%s' for '%s'" % (kind, path))
    if implicit_dirs:
        for path in list(members):
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in members:
                    members[d] = (tarinfo(d + "/", tarfile.DIRTYPE, 0o755), None)
    for path in sorted(members, key=lambda p: p.split("/")):
        ti, data = members[path]
        yield ti, data


def dir_members(root, skipped):
    """Walk a directory tree (not following symlinks) and yield tar members, sorted."""
    seen_inodes = {}

    def walk(rel):
        full = os.path.join(root, rel) if rel else root
        names = sorted(os.listdir(full))
        for n in names:
            r = rel + "/" + n if rel else n
            p = os.path.join(root, r)
            st = os.lstat(p)
            m = st.st_mode
            perm = stat.S_IMODE(m)
            if stat.S_ISDIR(m):
                yield tarinfo(r + "/", tarfile.DIRTYPE, perm, st.st_uid, st.st_gid), None
                yield from walk(r)
            elif stat.S_ISLNK(m):
                ti = tarinfo(r, tarfile.SYMTYPE, perm, st.st_uid, st.st_gid)
                ti.linkname = os.readlink(p)
                yield ti, None
            elif stat.S_ISREG(m):
                key = (st.st_dev, st.st_ino)
                if st.st_nlink > 1 and key in seen_inodes:
                    ti = tarinfo(r, tarfile.LNKTYPE, perm, st.st_uid, st.st_gid)
                    ti.linkname = seen_inodes[key]
                    yield ti, None
                    continue
                if st.st_nlink > 1:
                    seen_inodes[key] = r
                ti = tarinfo(r, tarfile.REGTYPE, perm, st.st_uid, st.st_gid)
                ti.size = st.st_size
                yield ti, p
            else:
                skipped.append(r)

    yield from walk("")


class HashingWriter:
    """File-like object that hashes and counts what passes through to `out`."""

    def __init__(self, out):
        self.out = out
        self.h = hashlib.sha256()
        self.size = 0

    def write(self, b):
        self.h.update(b)
        self.size += len(b)
        return self.out.write(b)

    def flush(self):
        self.out.flush()


def write_tar(members, out):
    """Write the members to `out` as a PAX tar; data is bytes or a path to read."""
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in members:
            if data is None:
                tf.addfile(ti)
            elif isinstance(data, bytes):
                tf.addfile(ti, io.BytesIO(data))
            else:
                with open(data, "rb") as f:
                    tf.addfile(ti, f)


def compress_file(src, dst, compression):
    if compression == "none":
        os.replace(src, dst)
        return
    if compression == "gzip":
        with open(src, "rb") as fin, open(dst, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                               compresslevel=6) as gz:
                shutil.copyfileobj(fin, gz, CHUNK)
    elif compression == "zstd":
        if shutil.which("zstd") is None:
            raise SpecError("zstd compression needs the 'zstd' program")
        with open(src, "rb") as fin, open(dst, "wb") as fout:
            subprocess.run(["zstd", "-3", "-q", "-c", "--no-progress"], stdin=fin, stdout=fout,
                           check=True)
    else:
        raise SpecError("unknown compression '%s'" % compression)
    os.unlink(src)


def build_layer(layout, members, compression, media_type=None):
    """Write one layer blob; return (descriptor, diff_id)."""
    raw = layout.tmp_path()
    with open(raw, "wb") as f:
        hw = HashingWriter(f)
        write_tar(members, hw)
    diff_id = "sha256:" + hw.h.hexdigest()
    packed = layout.tmp_path()
    compress_file(raw, packed, compression)
    desc = layout.put_file(packed, media_type or MT_LAYER[compression])
    return desc, diff_id


def platform_of(img):
    p = {"os": img.get("os", "linux"), "architecture": img.get("architecture", "amd64")}
    if img.get("variant"):
        p["variant"] = img["variant"]
    return p


def build_image(layout, img, base_dir):
    """Write config, layers and manifest of one image; return the manifest descriptor."""
    layer_descs, diff_ids, history = [], [], []
    for i, layer in enumerate(img.get("layers", [])):
        compression = layer.get("compression", "gzip")
        if compression not in MT_LAYER:
            raise SpecError("layer %d: unknown compression '%s'" % (i, compression))
        if "from_dir" in layer:
            skipped = []
            members = dir_members(os.path.join(base_dir, layer["from_dir"]), skipped)
        else:
            members = spec_members(layer.get("entries", []), base_dir,
                                   layer.get("implicit_dirs", True))
        desc, diff_id = build_layer(layout, members, compression)
        layer_descs.append(desc)
        diff_ids.append(diff_id)
        history.append({"created": img.get("created", EPOCH),
                        "created_by": layer.get("created_by", "mkimage layer %d" % i)})
    config = {
        "created": img.get("created", EPOCH),
        "architecture": img.get("architecture", "amd64"),
        "os": img.get("os", "linux"),
        "config": img.get("config", {}),
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    if img.get("variant"):
        config["variant"] = img["variant"]
    cdesc = layout.put_bytes(canonical_json(config), MT_CONFIG)
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cdesc,
                "layers": layer_descs}
    if img.get("annotations"):
        manifest["annotations"] = img["annotations"]
    return layout.put_bytes(canonical_json(manifest), MT_MANIFEST)


def build_index(layout, index, base_dir):
    manifests = []
    for img in index["images"]:
        d = build_image(layout, img, base_dir)
        d["platform"] = platform_of(img)
        manifests.append(d)
    body = {"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": manifests}
    if index.get("annotations"):
        body["annotations"] = index["annotations"]
    return layout.put_bytes(canonical_json(body), MT_INDEX)


def build_artifact(layout, art, base_dir):
    cfg = art.get("config")
    if cfg is None:
        cdesc = layout.put_bytes(b"{}", MT_EMPTY)
    else:
        data = entry_bytes(cfg, base_dir) if any(
            k in cfg for k in ("text", "lines", "base64", "json", "source")) else b"{}"
        cdesc = layout.put_bytes(data, cfg.get("mediaType", MT_EMPTY))
    layers = []
    for i, layer in enumerate(art.get("layers", [])):
        mt = layer.get("mediaType")
        if not mt:
            raise SpecError("artifact layer %d has no mediaType" % i)
        if "entries" in layer:
            members = spec_members(layer["entries"], base_dir, layer.get("implicit_dirs", True))
            d, _ = build_layer(layout, members, layer.get("compression", "gzip"), mt)
        else:
            d = layout.put_bytes(entry_bytes(layer, base_dir), mt)
        if layer.get("annotations"):
            d["annotations"] = layer["annotations"]
        layers.append(d)
    if not layers:
        # OCI 1.1: an artifact without content carries the empty descriptor as its layer.
        layers.append(layout.put_bytes(b"{}", MT_EMPTY))
    manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": cdesc, "layers": layers}
    if art.get("artifactType"):
        manifest["artifactType"] = art["artifactType"]
    if art.get("annotations"):
        manifest["annotations"] = art["annotations"]
    return layout.put_bytes(canonical_json(manifest), MT_MANIFEST)


def build_ref(layout, ref, base_dir):
    kinds = [k for k in ("image", "index", "artifact") if k in ref]
    if len(kinds) != 1:
        raise SpecError("ref '%s' needs exactly one of image, index, artifact" % ref.get("tag"))
    if kinds[0] == "image":
        d = build_image(layout, ref["image"], base_dir)
        d["platform"] = platform_of(ref["image"])
    elif kinds[0] == "index":
        d = build_index(layout, ref["index"], base_dir)
    else:
        d = build_artifact(layout, ref["artifact"], base_dir)
    d["annotations"] = {REF_ANNOTATION: ref["tag"]}
    return d


def cmd_build(spec_path, outdir):
    with open(spec_path) as f:
        spec = json.load(f)
    base_dir = os.path.dirname(os.path.abspath(spec_path))
    if "refs" in spec:
        refs = spec["refs"]
    else:
        ref = {k: spec[k] for k in ("image", "index", "artifact") if k in spec}
        ref["tag"] = spec.get("tag", spec.get("name", "latest"))
        refs = [ref]
    tags = [r.get("tag") for r in refs]
    if None in tags or len(set(tags)) != len(tags):
        raise SpecError("every ref needs a distinct tag")
    layout = Layout(outdir)
    layout.prepare()
    descs = [build_ref(layout, r, base_dir) for r in refs]
    layout.write_index(descs)
    for d in descs:
        print("%s\t%s\t%s" % (d["annotations"][REF_ANNOTATION], d["mediaType"], d["digest"]))
    return 0


def layout_refs(layout_dir):
    with open(os.path.join(layout_dir, "index.json")) as f:
        index = json.load(f)
    return [m.get("annotations", {}).get(REF_ANNOTATION) for m in index.get("manifests", [])]


def cmd_push(src, dest, creds, fmt, quiet):
    layout_dir, ref = src, None
    if not os.path.isdir(layout_dir) and ":" in src:
        layout_dir, _, ref = src.rpartition(":")
    if ref is None:
        refs = [r for r in layout_refs(layout_dir) if r]
        if len(refs) != 1:
            raise SpecError("layout '%s' has refs %s; name one as LAYOUT:REF" % (layout_dir, refs))
        ref = refs[0]
    cmd = ["skopeo", "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
           "--retry-times", "2"]
    if quiet:
        cmd.append("--quiet")
    if creds:
        cmd += ["--dest-creds", creds]
    else:
        cmd.append("--dest-no-creds")
    if fmt:
        cmd += ["--format", fmt]
    cmd += ["oci:%s:%s" % (layout_dir, ref), "docker://" + dest]
    # The password is on skopeo's command line only (test credentials); never echoed.
    r = subprocess.run(cmd)
    if r.returncode != 0:
        sys.stderr.write("mkimage.py: skopeo copy of '%s:%s' to '%s' failed (exit %d)\n"
                         % (layout_dir, ref, dest, r.returncode))
    return r.returncode


def cmd_from_dir(src_dir, outdir, tag, compression, os_name, arch, variant):
    if not os.path.isdir(src_dir):
        raise SpecError("'%s' is not a directory" % src_dir)
    layout = Layout(outdir)
    layout.prepare()
    skipped = []
    img = {"os": os_name, "architecture": arch}
    if variant:
        img["variant"] = variant
    desc, diff_id = build_layer(layout, dir_members(os.path.abspath(src_dir), skipped),
                                compression)
    config = {"created": EPOCH, "architecture": arch, "os": os_name, "config": {},
              "rootfs": {"type": "layers", "diff_ids": [diff_id]},
              "history": [{"created": EPOCH, "created_by": "mkimage from-dir"}]}
    if variant:
        config["variant"] = variant
    cdesc = layout.put_bytes(canonical_json(config), MT_CONFIG)
    m = layout.put_bytes(canonical_json({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                                         "config": cdesc, "layers": [desc]}), MT_MANIFEST)
    m["platform"] = platform_of(img)
    m["annotations"] = {REF_ANNOTATION: tag}
    layout.write_index([m])
    if skipped:
        sys.stderr.write("mkimage.py: skipped %d special files (devices, fifos, sockets)\n"
                         % len(skipped))
    print("%s\t%s\t%s" % (tag, m["mediaType"], m["digest"]))
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="mkimage.py",
                                description="build deterministic OCI layouts for tests")
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("spec")
    b.add_argument("outdir")
    pu = sub.add_parser("push")
    pu.add_argument("layout", help="LAYOUT or LAYOUT:REF")
    pu.add_argument("dest", help="HOST:PORT/REPO:TAG")
    pu.add_argument("--creds", help="USER:PASSWORD for the destination registry")
    pu.add_argument("--format", choices=["oci", "v2s2"])
    pu.add_argument("--quiet", action="store_true")
    fd = sub.add_parser("from-dir")
    fd.add_argument("dir")
    fd.add_argument("layout")
    fd.add_argument("tag")
    fd.add_argument("--compression", default="gzip", choices=sorted(MT_LAYER))
    fd.add_argument("--os", default="linux")
    fd.add_argument("--architecture", default="amd64")
    fd.add_argument("--variant")
    a = p.parse_args(argv)
    try:
        if a.cmd == "build":
            return cmd_build(a.spec, a.outdir)
        if a.cmd == "push":
            return cmd_push(a.layout, a.dest, a.creds, a.format, a.quiet)
        return cmd_from_dir(a.dir, a.layout, a.tag, a.compression, a.os, a.architecture,
                            a.variant)
    except (SpecError, OSError, KeyError, ValueError, subprocess.CalledProcessError) as e:
        sys.stderr.write("mkimage.py: %s: %s\n" % (a.cmd, e))
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
