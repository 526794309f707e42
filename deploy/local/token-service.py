#!/usr/bin/python3
"""Docker registry token service for the local tests (the `auth.token` flow).

Runs with Debian's python3 and python3-cryptography only. On start it creates, or
reuses from --state-dir, an EC P-256 key (key.pem) and a self-signed certificate
(cert.pem); the token-auth registry trusts cert.pem as its rootcertbundle.

  GET /token?service=S&scope=repository:NAME:pull,push&scope=registry:catalog:*
      with Basic credentials -> 200 {"token", "access_token", "expires_in", "issued_at"}
  POST /token (form: grant_type=password, username, password, service, scope)
      -> the same body, as OAuth2 clients send it
  GET /healthz -> 200 "ok"

The JWT is ES256 (raw r||s signature, base64url), header {"alg","typ","x5c"}, claims
iss, sub, aud (= service), exp, nbf, iat, jti and access [{type, name, actions}]. A valid
user is granted every action requested. Wrong or missing credentials give 401. Each
request is logged to stderr without the password, the Authorization header or the token.
It is a test fixture: no TLS, no refresh tokens, one user.
"""

import argparse
import base64
import datetime
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

TOKEN_LIFETIME = 300


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def load_or_create_key(state_dir, issuer):
    """Return (private key, certificate), generating both when either file is missing."""
    key_path = os.path.join(state_dir, "key.pem")
    cert_path = os.path.join(state_dir, "cert.pem")
    if os.path.exists(key_path) and os.path.exists(cert_path):
        with open(key_path, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), password=None)
        with open(cert_path, "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return key, cert
    os.makedirs(state_dir, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                          content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .sign(key, hashes.SHA256())
    )
    # Write to temporary names first so a crash never leaves a key without its cert.
    tmp_key = key_path + ".tmp"
    fd = os.open(tmp_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_path + ".tmp", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(cert_path + ".tmp", cert_path)
    return key, cert


def parse_scopes(values):
    """Turn scope parameters ('type:name:a,b', several per value separated by
    spaces) into access entries; malformed scopes are ignored, as distribution does."""
    access = []
    for value in values:
        for scope in value.split():
            first = scope.find(":")
            last = scope.rfind(":")
            if first <= 0 or last == first:
                continue
            actions = [a for a in scope[last + 1:].split(",") if a]
            access.append({"type": scope[:first], "name": scope[first + 1:last],
                           "actions": actions})
    return access


class TokenIssuer:
    def __init__(self, key, cert, issuer):
        self.key = key
        self.issuer = issuer
        der = cert.public_bytes(serialization.Encoding.DER)
        self.x5c = [base64.b64encode(der).decode("ascii")]

    def issue(self, subject, service, access):
        now = int(time.time())
        header = {"alg": "ES256", "typ": "JWT", "x5c": self.x5c}
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": service,
            "exp": now + TOKEN_LIFETIME,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode())
                         + "." + b64url(json.dumps(claims, separators=(",", ":")).encode()))
        der_sig = self.key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der_sig)
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        return {
            "token": signing_input + "." + b64url(sig),
            "access_token": signing_input + "." + b64url(sig),
            "expires_in": TOKEN_LIFETIME,
            "issued_at": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def make_handler(issuer, users, default_service):
    class Handler(BaseHTTPRequestHandler):
        server_version = "regscan-test-token-service"
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            # The default line holds the request line; ours are written by log_request_info.
            pass

        def log_request_info(self, status, account, service, access, note=""):
            scopes = " ".join("%s:%s:%s" % (a["type"], a["name"], ",".join(a["actions"]))
                              for a in access)
            sys.stderr.write("%s %s %s %s %d account=%s service=%s scopes=[%s]%s\n" % (
                time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), self.client_address[0],
                self.command, urllib.parse.urlsplit(self.path).path, status, account or "-",
                service or "-", scopes, (" " + note) if note else ""))
            sys.stderr.flush()

        def send_json(self, status, body, extra_headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for k, v in extra_headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def basic_credentials(self):
            auth = self.headers.get("Authorization", "")
            if not auth.lower().startswith("basic "):
                return None, None
            try:
                raw = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return None, None
            user, sep, password = raw.partition(":")
            if not sep:
                return None, None
            return user, password

        def answer(self, user, password, service, scopes):
            access = parse_scopes(scopes)
            if user is None:
                self.log_request_info(401, None, service, access, "no credentials")
                self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "authentication required"}]},
                               [("WWW-Authenticate", 'Basic realm="regscan-test"')])
                return
            expected = users.get(user)
            if expected is None or not secrets.compare_digest(expected.encode(),
                                                              password.encode()):
                self.log_request_info(401, user, service, access, "bad credentials")
                self.send_json(401, {"errors": [{"code": "UNAUTHORIZED",
                                                 "message": "invalid credentials"}]},
                               [("WWW-Authenticate", 'Basic realm="regscan-test"')])
                return
            body = issuer.issue(user, service or default_service, access)
            self.log_request_info(200, user, service, access)
            self.send_json(200, body)

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/healthz":
                data = b"ok\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if url.path != "/token":
                self.log_request_info(404, None, None, [])
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
                return
            query = urllib.parse.parse_qs(url.query)
            user, password = self.basic_credentials()
            self.answer(user, password, query.get("service", [None])[0],
                        query.get("scope", []))

        def do_POST(self):
            url = urllib.parse.urlsplit(self.path)
            length = self.headers.get("Content-Length", "0")
            try:
                n = int(length)
            except ValueError:
                n = -1
            if n < 0 or n > 65536:
                self.send_json(400, {"error": "invalid_request"})
                return
            form = urllib.parse.parse_qs(self.rfile.read(n).decode("utf-8", "replace"))
            if url.path != "/token":
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
                return
            if form.get("grant_type", [""])[0] != "password":
                self.log_request_info(400, None, None, [], "unsupported grant type")
                self.send_json(400, {"error": "unsupported_grant_type"})
                return
            user = form.get("username", [None])[0]
            password = form.get("password", [""])[0]
            self.answer(user, password, form.get("service", [None])[0],
                        form.get("scope", []))

    return Handler


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--addr", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5003)
    p.add_argument("--state-dir", required=True, help="where key.pem and cert.pem live")
    p.add_argument("--issuer", default="regscan-test-token-service")
    p.add_argument("--service", default="regscan-test-registry",
                   help="audience when the request names no service")
    p.add_argument("--user", default="regscan")
    p.add_argument("--password-env", default="REGSCAN_TOKEN_SERVICE_PASSWORD",
                   help="environment variable holding the password (default test password "
                        "when unset)")
    args = p.parse_args()

    password = os.environ.get(args.password_env, "regscan-test-pw")
    key, cert = load_or_create_key(args.state_dir, args.issuer)
    issuer = TokenIssuer(key, cert, args.issuer)
    server = ThreadingHTTPServer((args.addr, args.port),
                                 make_handler(issuer, {args.user: password}, args.service))
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("token service listening on http://%s:%d/token issuer=%s\n"
                     % (args.addr, args.port, args.issuer))
    sys.stderr.flush()
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
