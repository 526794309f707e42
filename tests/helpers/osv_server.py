#!/usr/bin/python3
"""A loopback HTTP server of vulnerability data files for tests (Debian python3, stdlib only).

Serves the files under --root at their relative path, with a strong ETag (a hash of the
bytes, read again on every request, so a test changes a file by rewriting it) and a
Last-Modified from the file's mtime; answers 304 to a matching If-None-Match, or, when there
is none, to an If-Modified-Since not older than the file. Counts what it sees:

  GET /__stats   -> JSON {"requests", "conditional", "not_modified", "served", "failed",
                          "last_if_none_match", "last_if_modified_since", "last_path"}
                    (file requests only; /__ requests are not counted)
  GET /__mode?status=503&count=1
                 -> the next `count` file requests (all of them without count) answer
                    `status` instead; truncate=N sends the full Content-Length but only N
                    body bytes, then closes; noetag=1 leaves the ETag out. /__mode alone
                    resets. The same parameters on a file request's own query apply to the
                    first `count` requests of that exact path and query.

usage: osv_server.py --root DIR [--port 0] [--lifetime 300]
Prints "LISTENING <port>" on stdout once it accepts connections; binds 127.0.0.1 only and
exits by itself after --lifetime seconds.
"""

import argparse
import email.utils
import hashlib
import http.server
import json
import os
import sys
import threading
import urllib.parse


class State:
    lock = threading.Lock()
    stats = {"requests": 0, "conditional": 0, "not_modified": 0, "served": 0, "failed": 0,
             "last_if_none_match": None, "last_if_modified_since": None, "last_path": None}
    mode = {}          # global failure mode from /__mode
    mode_left = None   # requests left for it (None: unlimited)
    per_target = {}    # request target -> requests seen with failure parameters
    root = "."


def _params(query):
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    return {k: v[-1] for k, v in q.items()}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body=b"", headers=None, truncate=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        if truncate is not None:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if status != 304 and body:
            self.wfile.write(body if truncate is None else body[:truncate])
            self.wfile.flush()

    def _control(self, path, query):
        if path == "/__stats":
            with State.lock:
                body = json.dumps(State.stats).encode()
            self._send(200, body, {"Content-Type": "application/json"})
            return True
        if path == "/__mode":
            p = _params(query)
            with State.lock:
                State.mode = {k: v for k, v in p.items() if k != "count"}
                State.mode_left = int(p["count"]) if "count" in p else None
            self._send(200, b"ok\n", {"Content-Type": "text/plain"})
            return True
        return False

    def _failure(self, target, query):
        """The failure parameters that apply to this request, or {}."""
        with State.lock:
            p = _params(query)
            if any(k in p for k in ("status", "truncate", "noetag")):
                seen = State.per_target.get(target, 0)
                State.per_target[target] = seen + 1
                if "count" not in p or seen < int(p["count"]):
                    return p
            if State.mode and (State.mode_left is None or State.mode_left > 0):
                if State.mode_left is not None:
                    State.mode_left -= 1
                return dict(State.mode)
        return {}

    def do_GET(self):
        target = self.path
        path, _, query = target.partition("?")
        path = urllib.parse.unquote(path)
        if self._control(path, query):
            return
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        with State.lock:
            State.stats["requests"] += 1
            State.stats["last_path"] = path
            State.stats["last_if_none_match"] = inm
            State.stats["last_if_modified_since"] = ims
            if inm is not None or ims is not None:
                State.stats["conditional"] += 1
        fail = self._failure(target, query)
        if "status" in fail:
            with State.lock:
                State.stats["failed"] += 1
            self._send(int(fail["status"]), b"injected failure\n", {"Content-Type": "text/plain"})
            return
        rel = os.path.normpath(path.lstrip("/"))
        full = os.path.join(State.root, rel)
        if rel.startswith("..") or os.path.isabs(rel) or not os.path.isfile(full):
            with State.lock:
                State.stats["failed"] += 1
            self._send(404, b"not found\n", {"Content-Type": "text/plain"})
            return
        with open(full, "rb") as f:
            data = f.read()
        mtime = int(os.stat(full).st_mtime)
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {"Last-Modified": email.utils.formatdate(mtime, usegmt=True)}
        if not fail.get("noetag"):
            headers["ETag"] = etag
        ctype = "application/octet-stream"
        if full.endswith(".zip"):
            ctype = "application/zip"
        elif full.endswith(".json"):
            ctype = "application/json"
        headers["Content-Type"] = ctype
        not_modified = False
        if inm is not None:
            tags = [t.strip() for t in inm.split(",")]
            not_modified = "*" in tags or any(t.removeprefix("W/") == etag for t in tags)
        elif ims is not None:
            try:
                since = email.utils.parsedate_to_datetime(ims).timestamp()
                not_modified = mtime <= since
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            with State.lock:
                State.stats["not_modified"] += 1
            self._send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
            return
        with State.lock:
            State.stats["served"] += 1
        truncate = int(fail["truncate"]) if "truncate" in fail else None
        self._send(200, data, headers, truncate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--lifetime", type=float, default=300.0)
    args = ap.parse_args()
    State.root = os.path.abspath(args.root)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    print(f"LISTENING {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
