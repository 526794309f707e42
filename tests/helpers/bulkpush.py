"""Pushes many small images to a registry through its v2 API (stdlib only), fast: one
kept-alive connection, each blob uploaded once per registry (other repositories mount it),
one manifest PUT per tag. For tests/integration/test_load.py, which needs thousands of tags.

Not a general client: Basic auth only, monolithic uploads (the images are small)."""

import base64
import ssl
import gzip
import hashlib
import http.client
import io
import json
import tarfile

MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"

OS_RELEASE = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
              b'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n')


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dpkg_layer(packages):
    """A gzip layer (bytes, diff_id) holding etc/os-release and a dpkg status listing
    `packages` [(name, version)]; byte-for-byte the same for the same packages."""
    status = "".join(f"Package: {n}\nStatus: install ok installed\nArchitecture: amd64\n"
                     f"Version: {v}\nDescription: load test package {n}\n\n" for n, v in packages)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in (("etc/os-release", OS_RELEASE),
                           ("var/lib/dpkg/status", status.encode())):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), digest_of(plain)


def config_blob(diff_id):
    return json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                       "rootfs": {"type": "layers", "diff_ids": [diff_id]}},
                      sort_keys=True).encode()


def manifest(config, layer, annotations=None):
    """An OCI image manifest (bytes) of one config and one layer blob; `annotations` make
    manifests of the same blobs distinct digests."""
    m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
         "config": {"mediaType": MT_CONFIG, "digest": digest_of(config), "size": len(config)},
         "layers": [{"mediaType": MT_LAYER, "digest": digest_of(layer), "size": len(layer)}]}
    if annotations:
        m["annotations"] = annotations
    return json.dumps(m, sort_keys=True).encode()


class Pusher:
    """One kept-alive connection to the registry at host:port: plain http, or https
    verified against `ca_file`; `basic` ("user:password") sent with every request."""

    def __init__(self, addr, ca_file=None, basic=None):
        self.addr = addr
        if ca_file:
            ctx = ssl.create_default_context(cafile=ca_file)
            self.conn = http.client.HTTPSConnection(addr, timeout=60, context=ctx)
        else:
            self.conn = http.client.HTTPConnection(addr, timeout=60)
        self.auth = {"Authorization": "Basic " + base64.b64encode(basic.encode()).decode()} \
            if basic else {}
        self.where = {}  # blob digest -> the repository it was uploaded to
        self.have = set()  # (repository, blob digest) known to be there
        self.requests = 0

    def _do(self, method, path, body=None, headers=None, want=(200, 201, 202)):
        self.requests += 1
        self.conn.request(method, path, body=body, headers={**self.auth, **(headers or {})})
        resp = self.conn.getresponse()
        data = resp.read()
        if resp.status not in want:
            raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
        return resp

    def blob(self, repo, data):
        """Makes blob `data` available in `repo`: mounted from a repository that has it,
        else uploaded. Returns its digest."""
        d = digest_of(data)
        src = self.where.get(d)
        if (repo, d) in self.have:
            return d
        if src:
            resp = self._do("POST", f"/v2/{repo}/blobs/uploads/?mount={d}&from={src}",
                            body=b"", want=(201, 202))
            if resp.status == 201:
                self.have.add((repo, d))
                return d
        resp = self._do("POST", f"/v2/{repo}/blobs/uploads/", body=b"", want=(202,))
        loc = resp.getheader("Location")
        if loc.startswith("http"):
            loc = "/" + loc.split("/", 3)[3]
        sep = "&" if "?" in loc else "?"
        self._do("PUT", f"{loc}{sep}digest={d}", body=data,
                 headers={"Content-Type": "application/octet-stream"}, want=(201,))
        self.where.setdefault(d, repo)
        self.have.add((repo, d))
        return d

    def manifest(self, repo, ref, body, mt=MT_MANIFEST):
        """PUTs manifest `body` as `ref` (a tag) of `repo`; returns its digest."""
        self._do("PUT", f"/v2/{repo}/manifests/{ref}", body=body,
                 headers={"Content-Type": mt}, want=(201,))
        return digest_of(body)

    def image(self, repo, tag, layer, config, annotations=None):
        """Blobs (once) and one manifest PUT; returns the manifest's digest."""
        self.blob(repo, layer)
        self.blob(repo, config)
        return self.manifest(repo, tag, manifest(config, layer, annotations))

    def close(self):
        self.conn.close()
