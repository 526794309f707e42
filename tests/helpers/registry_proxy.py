#!/usr/bin/python3
"""A counting, delaying HTTP proxy in front of one registry (test helper).

Forwards every request to the upstream registry unchanged (method, path, query, headers,
body, streamed responses, redirects passed through), and:
  - counts requests per (method, path) — GET /__proxy/stats returns them as JSON;
  - delays each blob GET by --blob-delay seconds before answering (to make scans slow
    enough to kill a worker in the middle of one);
  - records the arrival time (time.time(), as soon as the request line and headers are read)
    of every request — GET /__proxy/arrivals returns [[time, method, path], ...] in arrival
    order (rate-limit tests count them per second);
  - once armed by GET /__proxy/arm-429?n=K&retry_after=S, answers the K-th blob GET from
    then on (1-based) itself with 429 and `Retry-After: S` instead of forwarding it.

usage: registry_proxy.py --upstream 127.0.0.1:5000 --port 0 [--blob-delay 1.5]
Prints "LISTENING <port>" on stdout once it accepts connections.
"""

import argparse
import http.client
import http.server
import json
import sys
import threading
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts = {}
    lock = threading.Lock()
    upstream = None
    blob_delay = 0.0
    arrivals = []
    blob_gets = 0      # blob GETs since the last arm-429
    throttle_blob = 0  # the one of them answered 429 (0: none)
    retry_after = 1

    def _json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _throttled(self):
        """Counts blob GETs; True (429 sent) for the --throttle-blob'th."""
        if self.command != "GET" or "/blobs/sha256:" not in self.path:
            return False
        with self.lock:
            Proxy.blob_gets += 1
            hit = Proxy.blob_gets == self.throttle_blob
        if hit:
            self.send_response(429, "Too Many Requests")
            self.send_header("Retry-After", str(self.retry_after))
            self.send_header("Content-Length", "0")
            self.end_headers()
        return hit

    def log_message(self, fmt, *args):
        pass

    def _forward(self):
        arrived = time.time()
        path = self.path
        if path == "/__proxy/stats":
            with self.lock:
                self._json({f"{m} {p}": n for (m, p), n in self.counts.items()})
            return
        if path == "/__proxy/arrivals":
            with self.lock:
                self._json(sorted(self.arrivals))
            return
        if path.startswith("/__proxy/arm-429?"):
            q = urllib.parse.parse_qs(path.split("?", 1)[1])
            with self.lock:
                Proxy.blob_gets = 0
                Proxy.throttle_blob = int(q["n"][0])
                Proxy.retry_after = int(q["retry_after"][0])
            self._json({"armed": Proxy.throttle_blob})
            return
        with self.lock:
            key = (self.command, path.split("?", 1)[0])
            self.counts[key] = self.counts.get(key, 0) + 1
            self.arrivals.append([arrived, self.command, key[1]])
        if self._throttled():
            return
        if self.command == "GET" and "/blobs/sha256:" in path and self.blob_delay:
            time.sleep(self.blob_delay)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "host"}
        headers["Host"] = self.upstream
        conn = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            conn.request(self.command, path, body=body, headers=headers)
            resp = conn.getresponse()
            self.send_response(resp.status, resp.reason)
            data = resp.read()
            for k, v in resp.getheaders():
                if k.lower() in HOP or k.lower() == "content-length":
                    continue
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        finally:
            conn.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _forward


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--blob-delay", type=float, default=0.0)
    a = ap.parse_args()
    Proxy.upstream = a.upstream
    Proxy.blob_delay = a.blob_delay
    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # a client killed mid-response (the point of some tests) is not an error here
            pass

    srv = Server(("127.0.0.1", a.port), Proxy)
    srv.daemon_threads = True
    print(f"LISTENING {srv.server_address[1]}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
