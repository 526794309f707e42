#!/usr/bin/python3
"""A counting, delaying HTTP proxy in front of one registry (test helper).

Forwards every request to the upstream registry unchanged (method, path, query, headers,
body, streamed responses, redirects passed through), and:
  - counts requests per (method, path) — GET /__proxy/stats returns them as JSON;
  - delays each blob GET by --blob-delay seconds before answering (to make scans slow
    enough to kill a worker in the middle of one).

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

HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade"}


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counts = {}
    lock = threading.Lock()
    upstream = None
    blob_delay = 0.0

    def log_message(self, fmt, *args):
        pass

    def _forward(self):
        path = self.path
        if path == "/__proxy/stats":
            body = json.dumps({f"{m} {p}": n for (m, p), n in self.counts.items()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with self.lock:
            key = (self.command, path.split("?", 1)[0])
            self.counts[key] = self.counts.get(key, 0) + 1
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
