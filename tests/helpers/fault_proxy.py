#!/usr/bin/python3
"""A fault-injecting HTTP/1.1 proxy in front of one registry (test helper).

Forwards every request to the upstream unchanged and counts requests per (method, path);
faults are armed per path pattern (a regular expression searched in the path) through a
control endpoint, and each applies to the next N matching requests:

  GET /__fault/arm?path=RE&kind=KIND&n=N&arg=A   arm a fault (several may be armed)
  GET /__fault/clear                             disarm all, zero the counts
  GET /__fault/stats                             {"GET /v2/...": count} as JSON
  GET /__fault/auth                              [[path, had Authorization]] per request

KIND: error_body  status A (default 404) with an endless body (sent until the client goes)
      trickle     the upstream answer, its body sent at A bytes per second
      oversize    the upstream body plus A extra bytes, Content-Length saying so
      status      status A (429 with Retry-After: 1, or 500/502/503) instead of forwarding
      reset       headers and the first A body bytes, then a TCP reset
      truncate    Content-Length of the whole body, the first A bytes, then close
      stall       the upstream status and headers, then nothing (until the client goes)
      link_self   the upstream answer with a Link rel="next" to the request itself

--realm-rewrite URL replaces the realm of every WWW-Authenticate answer by URL (a registry
whose token realm is on another host). --bind picks the listening address (127.0.0.2 is
another host on Linux loopback).

usage: fault_proxy.py --upstream 127.0.0.1:5000 [--bind 127.0.0.1] [--port 0]
Prints "LISTENING <port>" once it accepts connections.
"""

import argparse
import http.client
import http.server
import json
import re
import socket
import struct
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade", "content-length"}
ENDLESS_MAX = 1 << 30  # an "endless" body still ends somewhere if the client never does


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    counts = {}
    auth_seen = []
    faults = []  # [{"re", "kind", "n", "arg"}]
    upstream = None
    realm = None

    def log_message(self, fmt, *args):
        pass

    def _json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, path):
        q = urllib.parse.parse_qs(path.split("?", 1)[1]) if "?" in path else {}
        with self.lock:
            if path.startswith("/__fault/arm"):
                Proxy.faults.append({"re": re.compile(q["path"][0]), "kind": q["kind"][0],
                                     "n": int(q.get("n", ["1"])[0]),
                                     "arg": int(q.get("arg", ["0"])[0])})
                self._json({"armed": len(Proxy.faults)})
            elif path == "/__fault/clear":
                Proxy.faults.clear()
                Proxy.counts.clear()
                Proxy.auth_seen.clear()
                self._json({})
            elif path == "/__fault/stats":
                self._json({f"{m} {p}": n for (m, p), n in Proxy.counts.items()})
            elif path == "/__fault/auth":
                self._json(Proxy.auth_seen)

    def _take_fault(self, path):
        with self.lock:
            for f in Proxy.faults:
                if f["n"] > 0 and f["re"].search(path):
                    f["n"] -= 1
                    return f
        return None

    def _upstream(self, path):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP and k.lower() != "host"}
        headers["Host"] = self.upstream
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        conn.request(self.command, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        hdrs = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP]
        if self.realm:
            hdrs = [(k, re.sub(r'realm="[^"]*"', f'realm="{self.realm}"', v))
                    if k.lower() == "www-authenticate" else (k, v) for k, v in hdrs]
        return resp.status, resp.reason, hdrs, data

    def _head(self, status, reason, hdrs, length):
        self.send_response(status, reason)
        for k, v in hdrs:
            self.send_header(k, v)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.flush()

    def _endless(self, chunk=b"x" * 4096, rate=None):
        sent = 0
        try:
            while sent < ENDLESS_MAX:
                self.wfile.write(chunk)
                self.wfile.flush()
                sent += len(chunk)
                if rate:
                    time.sleep(len(chunk) / rate)
        except OSError:
            pass
        self.close_connection = True

    def _reset(self):
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _fault(self, f, path):
        kind, arg = f["kind"], f["arg"]
        if kind == "error_body":
            self._head(arg or 404, None, [("Content-Type", "text/plain")], None)
            return self._endless()
        if kind == "status":
            hdrs = [("Retry-After", "1")] if arg == 429 else []
            return self._head(arg, None, hdrs, 0)
        status, reason, hdrs, data = self._upstream(path)
        if kind == "oversize":
            self._head(status, reason, hdrs, len(data) + arg)
            self.wfile.write(data + b"\0" * arg)
        elif kind == "trickle":
            self._head(status, reason, hdrs, len(data))
            try:
                for i in range(0, len(data), 256):
                    self.wfile.write(data[i:i + 256])
                    self.wfile.flush()
                    time.sleep(256 / arg)
            except OSError:
                self.close_connection = True
        elif kind == "reset":
            self._head(status, reason, hdrs, len(data))
            self.wfile.write(data[:arg])
            self._reset()
        elif kind == "truncate":
            self._head(status, reason, hdrs, len(data))
            self.wfile.write(data[:arg])
            self.wfile.flush()
            self.close_connection = True
        elif kind == "link_self":
            self._head(status, reason, hdrs + [("Link", f'<{path}>; rel="next"')], len(data))
            self.wfile.write(data)
        elif kind == "stall":
            self._head(status, reason, hdrs, len(data))
            try:
                while self.connection.recv(1):  # until the client goes
                    pass
            except OSError:
                pass
            self.close_connection = True

    def _forward(self):
        path = self.path
        if path.startswith("/__fault/"):
            return self._control(path)
        with self.lock:
            key = (self.command, path.split("?", 1)[0])
            Proxy.counts[key] = Proxy.counts.get(key, 0) + 1
            Proxy.auth_seen.append([key[1], "Authorization" in self.headers])
        f = self._take_fault(path)
        if f:
            return self._fault(f, path)
        status, reason, hdrs, data = self._upstream(path)
        self._head(status, reason, hdrs, len(data))
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--realm-rewrite")
    a = ap.parse_args()
    Proxy.upstream = a.upstream
    Proxy.realm = a.realm_rewrite

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # a client that gives up mid-answer is the point of most faults

    srv = Server((a.bind, a.port), Proxy)
    srv.daemon_threads = True
    print(f"LISTENING {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
