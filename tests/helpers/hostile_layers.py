"""Hostile layers for the limits test (tests/integration/test_limits.py), written as raw
ustar headers (Python's tarfile takes ~20 s for a million entries; one header template
patched per entry takes ~1 s) into an OCI layout that `regscan-worker scan oci-layout:DIR`
reads and tests/../deploy/local/mkimage.py can push.

    python3 tests/helpers/hostile_layers.py OUTDIR   # every image of the test, for /usr/bin/time
"""

import hashlib
import json
import os
import sys
import zlib

OS_RELEASE = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
              b'VERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n')


def _octal(n, width):
    return b"%0*o\0" % (width - 1, n)


def header(name, size=0, typeflag=b"0", linkname=b"", mode=0o644):
    """One 512-byte ustar header; long names go into a GNU 'L' record before it."""
    pre = b""
    if len(name) > 100:
        pre = header(b"././@LongLink", len(name) + 1, b"L") + _pad(name + b"\0")
        name = name[:100]
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = _octal(mode, 8)
    h[108:116] = _octal(0, 8)
    h[116:124] = _octal(0, 8)
    h[124:136] = _octal(size, 12)
    h[136:148] = _octal(0, 12)
    h[148:156] = b"        "
    h[156:157] = typeflag
    h[157:157 + len(linkname)] = linkname
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[148:156] = b"%06o\0 " % sum(h)
    return pre + bytes(h)


def _pad(data):
    return data + b"\0" * (-len(data) % 512)


def file_entry(name, data, mode=0o644):
    return header(name, len(data), b"0", mode=mode) + _pad(data)


class Fast:
    """Many headers that differ only in their name (<= 100 bytes, same length within one
    call): the checksum is the template's plus the name's byte sum."""

    def __init__(self, typeflag=b"0", size=0):
        t = bytearray(header(b"", size, typeflag))
        t[148:156] = b"        "
        self.base = sum(t)
        self.t = t

    def many(self, names):
        out = bytearray()
        t = self.t
        for name in names:
            h = bytearray(t)
            h[0:len(name)] = name
            h[148:156] = b"%06o\0 " % (self.base + sum(name))
            out += h
        return bytes(out)


def finish_tar(body):
    return body + b"\0" * 1024


def dpkg_stanzas(prefix, n):
    return b"".join(b"Package: %s%d\nStatus: install ok installed\nArchitecture: amd64\n"
                    b"Version: 1.0-%d\n\n" % (prefix, i, i) for i in range(n))


def base_layer(packages):
    """os-release and a dpkg status listing `packages` [(name, version)]."""
    st = b"".join(b"Package: %s\nStatus: install ok installed\nArchitecture: amd64\n"
                  b"Version: %s\n\n" % (n.encode(), v.encode()) for n, v in packages)
    return finish_tar(file_entry(b"etc/os-release", OS_RELEASE) +
                      file_entry(b"var/lib/dpkg/status", st))


def hardlink_layer(n_pkgs=100000, n_links=40):
    """One distroless status.d file of n_pkgs packages and n_links hard links to it."""
    body = file_entry(b"var/lib/dpkg/status.d/big", dpkg_stanzas(b"hl", n_pkgs))
    for i in range(n_links):
        body += header(b"var/lib/dpkg/status.d/link%02d" % i, 0, b"1",
                       b"var/lib/dpkg/status.d/big")
    return finish_tar(body)


def whiteout_layer(n=1000000, opaque=False, tag=b"w"):
    """n whiteouts (.wh.NAME) or n opaque directories (DIR/.wh..wh..opq)."""
    if opaque:
        names = (b"o/%s%07d/.wh..wh..opq" % (tag, i) for i in range(n))
    else:
        names = (b"w/.wh.%s%07d" % (tag, i) for i in range(n))
    return finish_tar(Fast().many(names))


def empty_files_layer(n=1000000):
    """n empty regular files with 99-byte paths (no analyzer wants them)."""
    names = (b"data/" + b"x" * 86 + b"%08d" % i for i in range(n))
    return finish_tar(Fast().many(names))


def big_status_layer(size=(64 << 20) + 4096):
    """/var/lib/dpkg/status replaced by a file over the dpkg analyzer's 64 MiB."""
    unit = dpkg_stanzas(b"big", 1000)
    data = (unit * (size // len(unit) + 1))[:size]
    return finish_tar(file_entry(b"var/lib/dpkg/status", data))


def big_hardlinks_layer(n_links=40):
    """A 64 MiB+ status.d file and n_links hard links to it."""
    unit = dpkg_stanzas(b"bh", 1000)
    size = (64 << 20) + 4096
    data = (unit * (size // len(unit) + 1))[:size]
    body = file_entry(b"var/lib/dpkg/status.d/huge", data)
    for i in range(n_links):
        body += header(b"var/lib/dpkg/status.d/hl%02d" % i, 0, b"1",
                       b"var/lib/dpkg/status.d/huge")
    return finish_tar(body)


def owned_layer(n_files=200, per_file=5000):
    """dpkg info/*.list files listing n_files * per_file owned paths."""
    body = b""
    for f in range(n_files):
        lines = b"".join(b"/usr/share/owned/p%d/file-%d\n" % (f, i) for i in range(per_file))
        body += file_entry(b"var/lib/dpkg/info/own%d.list" % f, lines)
    return finish_tar(body)


def fifo_layer():
    """/var/lib/dpkg/status as a FIFO: the dpkg database is expected there."""
    return finish_tar(header(b"var/lib/dpkg/status", 0, b"6"))


def _blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def _gzip(data):
    c = zlib.compressobj(1, zlib.DEFLATED, 31)
    return c.compress(data) + c.flush()


def write_layout(layout, tars, tag="latest"):
    """An OCI layout of one linux/amd64 image whose layers are `tars` (bottom first),
    gzip-compressed. Returns (manifest digest, [layer digests], [diff_ids])."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    layers, diff_ids = [], []
    for t in tars:
        diff_ids.append("sha256:" + hashlib.sha256(t).hexdigest())
        d, n = _blob(layout, _gzip(t))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": d, "size": n})
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": {"User": "1000"},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cd, cn = _blob(layout, config)
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": cd, "size": cn},
                           "layers": layers}).encode()
    md, mn = _blob(layout, manifest)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
             "size": mn, "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)
    return md, [x["digest"] for x in layers], diff_ids


BASE_PKGS = [("base-files", "12.4+deb12u5"), ("libc6", "2.36-9+deb12u4"),
             ("tzdata", "2024a-0+deb12u1")]

IMAGES = {
    "hardlinks": lambda: [base_layer(BASE_PKGS), hardlink_layer()],
    "hardlinks-fanout": lambda: [base_layer(BASE_PKGS), hardlink_layer(39990)],
    "whiteouts": lambda: [base_layer(BASE_PKGS), whiteout_layer(tag=b"a"),
                          whiteout_layer(tag=b"b"), whiteout_layer(tag=b"c")],
    "opaque": lambda: [base_layer(BASE_PKGS), whiteout_layer(opaque=True)],
    "bigstatus": lambda: [base_layer(BASE_PKGS), big_status_layer()],
    "bighardlinks": lambda: [base_layer(BASE_PKGS), big_hardlinks_layer()],
    "emptyfiles": lambda: [base_layer(BASE_PKGS), empty_files_layer()],
    "owned": lambda: [base_layer(BASE_PKGS), owned_layer()],
    "fifo": lambda: [base_layer(BASE_PKGS), fifo_layer()],
}

if __name__ == "__main__":
    out = sys.argv[1]
    for name in (sys.argv[2:] or IMAGES):
        md, layers, _ = write_layout(os.path.join(out, name), IMAGES[name]())
        print(name, md, " ".join(layers), flush=True)
