#!/usr/bin/python3
"""A stand-in for the Azure endpoints regscan cannot reach in tests (test helper).

Speaks the real protocols over HTTPS (a CA it generates into its state dir; `ca_file`):
  - Microsoft Entra ID (`authority`): POST /{tenant}/oauth2/v2.0/token, client credentials with
    a client secret, a certificate assertion (RS256 JWT, x5t / x5t#S256) or a federated
    (workload identity) assertion; GET /{tenant}/v2.0/.well-known/openid-configuration,
    /{tenant}/discovery/v2.0/keys and /common/discovery/instance, as msal needs them;
  - Azure Resource Manager (`arm`): subscriptions and Microsoft.ContainerRegistry/registries,
    paged with nextLink, 403 AuthorizationFailed for a forbidden subscription;
  - one Azure Container Registry per add_registry (its own port; login server
    "127.0.0.1:PORT"): /oauth2/exchange, /oauth2/token (POST refresh_token, GET with Basic),
    /acr/v1/{repo}/_tags and /v2/... proxied to the REAL token-auth registry of deploy/local
    under a namespace; its access tokens come from the REAL token service, so the registry
    itself verifies every access token.
Every request is recorded in `requests` (dicts with "endpoint"). Runs in-process (threads)
from tests, or as a CLI: azure_standin.py --state-dir DIR --config FILE.json.
Debian's python3 and python3-cryptography only. docs/azure.md "The Azure stand-in (tests)".
"""

import argparse
import base64
import datetime
import hashlib
import http.client
import http.server
import ipaddress
import json
import os
import re
import secrets
import signal
import ssl
import sys
import threading
import time
import urllib.parse
import uuid

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

ACR_AUDIENCE = "https://containerregistry.azure.net"   # the resource ACR's exchange accepts
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FORM_MAX = 64 * 1024
JWT_MAX = 16 * 1024
REPO_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)"
                     r"[a-z0-9]+)*)*$")
DIGEST = r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}"
REF_RE = {"manifests": re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|" + DIGEST),
          "blobs": re.compile(DIGEST), "tags": re.compile(r"list")}
RECORDED_HEADERS = ("Accept", "Content-Type", "User-Agent", "Range", "If-None-Match")
SCOPES_MAX = 32
CATALOG_PAGES_MAX = 100
HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
       "trailers", "transfer-encoding", "upgrade", "content-length"}
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"])


# ---------------------------------------------------------------- small helpers

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(ts):
    """An ISO 8601 UTC time with 7 fractional digits, as ACR writes them."""
    d = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % (d.microsecond * 10)


def parse_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def jwt_sign_rs256(key, claims, header=None):
    h = {"typ": "JWT", "alg": "RS256"}
    h.update(header or {})
    signing_input = (b64url(json.dumps(h, separators=(",", ":")).encode()) + "."
                     + b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


def jwt_parse(token):
    """(header, claims, signing input bytes, signature) of a compact JWS; ValueError if bad."""
    if not isinstance(token, str) or len(token) > JWT_MAX or token.count(".") != 2:
        raise ValueError("not a JWT")
    h, c, s = token.split(".")
    header = json.loads(b64url_decode(h).decode("utf-8"))
    claims = json.loads(b64url_decode(c).decode("utf-8"))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWT header or claims not an object")
    return header, claims, (h + "." + c).encode("ascii"), b64url_decode(s)


def jwt_verify_rs256(pub, token, algs=("RS256",)):
    """Claims of `token` when its signature verifies with the RSA key `pub` by one of `algs`
    (RS256: PKCS#1 v1.5; PS256: PSS, which msal uses with SHA-256 thumbprints); ValueError
    otherwise."""
    header, claims, signing_input, sig = jwt_parse(token)
    alg = header.get("alg")
    if alg not in algs:
        raise ValueError("alg %r is not accepted" % (alg,))
    pad = (padding.PKCS1v15() if alg == "RS256" else
           padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO))
    try:
        pub.verify(sig, signing_input, pad, hashes.SHA256())
    except InvalidSignature:
        raise ValueError("bad signature") from None
    return claims


def make_certificate(cn, expired=False, key_size=2048):
    """A self-signed RSA certificate for a client: (private key PEM, certificate PEM) bytes;
    `expired` gives one whose notAfter is yesterday."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = now_utc()
    start, end = ((now - datetime.timedelta(days=30), now - datetime.timedelta(days=1))
                  if expired else (now - datetime.timedelta(days=1),
                                   now + datetime.timedelta(days=365)))
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


def cert_thumbprints(cert):
    der = cert.public_bytes(serialization.Encoding.DER)
    return b64url(hashlib.sha1(der).digest()), b64url(hashlib.sha256(der).digest())


def cert_not_after(cert):
    try:
        return cert.not_valid_after_utc
    except AttributeError:
        return cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------- TLS material

def _write_private(path, data):
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def ensure_tls(state_dir):
    """(ca_file, cert_file, key_file): a CA and a server certificate for 127.0.0.1 and
    localhost signed by it, made in `state_dir` unless they are there already."""
    ca_file = os.path.join(state_dir, "ca.pem")
    cert_file = os.path.join(state_dir, "server.pem")
    key_file = os.path.join(state_dir, "server-key.pem")
    if all(os.path.exists(p) for p in (ca_file, cert_file, key_file)):
        return ca_file, cert_file, key_file
    os.makedirs(state_dir, exist_ok=True)
    now = now_utc()
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regscan Azure stand-in CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1))
          .not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(key_file, key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    with open(cert_file + ".tmp", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(cert_file + ".tmp", cert_file)
    with open(ca_file + ".tmp", "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    os.replace(ca_file + ".tmp", ca_file)
    return ca_file, cert_file, key_file


class TLSServer(http.server.ThreadingHTTPServer):
    """A threading HTTPS server: the TLS handshake runs in the connection's own thread."""
    daemon_threads = True

    def __init__(self, handler, ctx, owner, port=0):
        super().__init__(("127.0.0.1", port), handler)
        self.ctx = ctx
        self.owner = owner

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        pass    # a client that drops a connection is not an error of the stand-in

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.server_address[1]


class Handler(http.server.BaseHTTPRequestHandler):
    """Shared parts of the stand-in's handlers: bounded bodies, JSON answers, recording."""
    protocol_version = "HTTP/1.1"
    server_version = "regscan-azure-standin"

    def log_message(self, fmt, *args):
        pass

    def handle_one_request(self):
        """As the base class, but an exception in a handler is answered with a 500 (and
        recorded as "standin.error") instead of a dropped connection."""
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # noqa: BLE001 - reported to the test through requests
            self.close_connection = True
            self.st._record({"endpoint": "standin.error", "path": getattr(self, "path", None),
                             "error": "%s: %s" % (type(e).__name__, e), "time": time.time()})
            try:
                self.send_json(500, {"error": "stand-in error", "type": type(e).__name__})
            except OSError:
                pass

    def injected(self, entry):
        """Answers with a fault the test injected for this endpoint (Registry.inject); True
        when it did."""
        fault = self.st._take_fault(getattr(self.server, "registry", None), entry["endpoint"])
        if fault is None:
            return False
        status, retry_after = fault
        entry["status"], entry["injected"] = status, True
        headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
        if status == 401 and hasattr(self, "challenge"):
            headers.append(self.challenge())
        code = "TOOMANYREQUESTS" if status == 429 else "INJECTED"
        if entry["endpoint"].startswith("entra."):
            body = entra_error(status, "temporarily_unavailable" if status >= 429 else
                               "invalid_request", 50196 if status == 429 else 90000,
                               "Injected by the test.", self.st)[1]
        elif entry["endpoint"].startswith("arm."):
            body = {"error": {"code": "TooManyRequests" if status == 429 else "Injected",
                              "message": "Injected by the test."}}
        else:
            body = {"errors": [{"code": code, "message": "injected by the test"}]}
        self.send_json(status, body, headers=headers)
        return True

    @property
    def st(self):
        return self.server.owner

    def split(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, urllib.parse.parse_qs(u.query, keep_blank_values=True)

    def read_body(self):
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = -1
        if n < 0 or n > FORM_MAX:
            # drain what a client sends anyway (bounded) so it can read the refusal
            left = min(max(n, 0), 16 * FORM_MAX)
            while left > 0:
                chunk = self.rfile.read(min(left, 65536))
                if not chunk:
                    break
                left -= len(chunk)
            self.close_connection = True
            return None
        return self.rfile.read(n) if n else b""

    def read_form(self):
        """The urlencoded form as {name: value} (first value); None if too large or not UTF-8."""
        body = self.read_body()
        if body is None:
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return {k: v[0] for k, v in urllib.parse.parse_qs(text, keep_blank_values=True).items()}

    def send_bytes(self, status, data, ctype="application/json; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, body, headers=()):
        self.send_bytes(status, json.dumps(body).encode(), headers=headers)

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:].strip() if auth[:7].lower() == "bearer " else None

    def basic(self):
        auth = self.headers.get("Authorization", "")
        if auth[:6].lower() != "basic ":
            return None, None
        try:
            raw = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None, None
        user, sep, pw = raw.partition(":")
        return (user, pw) if sep else (None, None)

    def record(self, endpoint, **extra):
        path, query = self.split()
        entry = {"endpoint": endpoint, "method": self.command, "path": path,
                 "query": {k: v[0] for k, v in query.items()},
                 "authorization": self.headers.get("Authorization"),
                 "headers": {k.lower(): self.headers[k] for k in RECORDED_HEADERS
                             if self.headers.get(k) is not None},
                 "time": time.time()}
        entry.update(extra)
        self.st._record(entry)
        return entry


# ---------------------------------------------------------------- Entra ID

def entra_error(status, error, code, text, st):
    trace = str(uuid.uuid4())
    corr = str(uuid.uuid4())
    stamp = now_utc().strftime("%Y-%m-%d %H:%M:%SZ")
    return status, {
        "error": error,
        "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
                             % (code, text, trace, corr, stamp),
        "error_codes": [code], "timestamp": stamp, "trace_id": trace, "correlation_id": corr,
        "error_uri": "%s/error?code=%d" % (st.authority, code)}


class EntraHandler(Handler):
    def do_GET(self):
        path, query = self.split()
        parts = path.strip("/").split("/")
        st = self.st
        if parts == ["common", "discovery", "instance"]:
            self.record("entra.instance_discovery")
            host = urllib.parse.urlsplit(st.authority).netloc
            ae = query.get("authorization_endpoint", [""])[0]
            tenant = urllib.parse.urlsplit(ae).path.strip("/").split("/")[0] or "common"
            return self.send_json(200, {
                "tenant_discovery_endpoint":
                    "%s/%s/v2.0/.well-known/openid-configuration" % (st.authority, tenant),
                "api-version": "1.1",
                "metadata": [{"preferred_network": host, "preferred_cache": host,
                              "aliases": [host]}]})
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            entry = self.record("entra.openid_configuration", tenant=parts[0])
            if not st._tenant_known(parts[0]):
                entry["status"] = 400
                return self.send_json(*self.no_tenant(parts[0]))
            entry["status"] = 200
            return self.send_json(200, st._openid_configuration(parts[0]))
        if len(parts) == 4 and parts[1:] == ["discovery", "v2.0", "keys"]:
            self.record("entra.keys", tenant=parts[0])
            return self.send_json(200, {"keys": [st._jwk()]})
        self.record("entra.unknown")
        self.send_json(404, {"error": "not_found"})

    def no_tenant(self, tenant):
        return entra_error(400, "invalid_request", 90002,
                           "Tenant '%s' not found. Check to make sure you have the correct "
                           "tenant ID and are signing into the correct cloud." % tenant, self.st)

    def do_POST(self):
        path, _ = self.split()
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
            self.record("entra.unknown")
            return self.send_json(404, {"error": "not_found"})
        form = self.read_form()
        entry = self.record("entra.token", tenant=parts[0], form=form or {})
        if self.injected(entry):
            return
        if form is None:
            return self.send_json(*entra_error(400, "invalid_request", 900144,
                                               "The request body is not a valid form.", self.st))
        user, pw = self.basic()
        if user is not None and "client_secret" not in form:
            form = dict(form, client_id=urllib.parse.unquote_plus(user),
                        client_secret=urllib.parse.unquote_plus(pw))
        status, body = self.st._entra_token(parts[0], form, entry)
        entry["status"] = status
        self.send_json(status, body, headers=[("Cache-Control", "no-store, no-cache")])


# ---------------------------------------------------------------- Resource Manager

class ArmHandler(Handler):
    def arm_error(self, status, code, message, headers=()):
        self.send_json(status, {"error": {"code": code, "message": message}}, headers=headers)

    def do_GET(self):
        path, query = self.split()
        st = self.st
        parts = path.strip("/").split("/")
        ep = ("arm.subscriptions" if parts == ["subscriptions"] else
              "arm.registries" if (len(parts) == 5 and parts[0] == "subscriptions" and
                                   parts[2:] == ["providers", "Microsoft.ContainerRegistry",
                                                 "registries"]) else "arm.unknown")
        entry = self.record(ep, api_version=query.get("api-version", [None])[0])
        if self.injected(entry):
            return
        claims = st._verify_entra_token(self.bearer(), [st.arm, st.arm + "/"])
        if isinstance(claims, str):
            entry["status"] = 401
            return self.arm_error(401, "InvalidAuthenticationToken", claims, headers=[(
                "WWW-Authenticate", 'Bearer authorization_uri="%s/common", error="invalid_token",'
                ' error_description="%s"' % (st.authority, claims))])
        entry["appid"] = claims.get("appid")
        if ep == "arm.unknown":
            return self.arm_error(404, "InvalidResourceType", "The resource type could not be "
                                  "found in the namespace for api version.")
        if not query.get("api-version", [""])[0]:
            return self.arm_error(400, "MissingApiVersionParameter", "The api-version query "
                                  "parameter (?api-version=) is required for all requests.")
        skip = query.get("$skiptoken", ["0"])[0]
        try:
            start = int(skip)
            if start < 0:
                raise ValueError(skip)
        except ValueError:
            return self.arm_error(400, "InvalidSkipToken", "The skip token is not valid.")
        if ep == "arm.subscriptions":
            items = st._arm_subscriptions(claims.get("tid"))
        else:
            sub = st.subscriptions.get(parts[1])
            if sub is None or sub["tenantId"] != claims.get("tid"):
                entry["status"] = 404
                return self.arm_error(404, "SubscriptionNotFound",
                                      "The subscription '%s' could not be found." % parts[1])
            if sub["forbidden"]:
                entry["status"] = 403
                return self.arm_error(403, "AuthorizationFailed", (
                    "The client '%s' with object id '%s' does not have authorization to perform"
                    " action 'Microsoft.ContainerRegistry/registries/read' over scope "
                    "'/subscriptions/%s' or the scope is invalid. If access was recently "
                    "granted, please refresh your credentials.")
                    % (claims.get("appid"), claims.get("oid"), parts[1]))
            items = st._arm_registries(parts[1])
        entry["status"] = 200
        self.send_json(200, self.page(path, query, items, start))

    def page(self, path, query, items, start):
        n = max(1, self.st.arm_page_size)
        body = {"value": items[start:start + n]}
        if start + n < len(items):
            q = {"api-version": query["api-version"][0], "$skiptoken": str(start + n)}
            body["nextLink"] = "%s%s?%s" % (self.st.arm, path, urllib.parse.urlencode(q))
        return body


# ---------------------------------------------------------------- ACR

class AcrHandler(Handler):
    """One registry: token endpoints, the _tags API and /v2 proxied to the backend."""

    @property
    def reg(self):
        return self.server.registry

    def challenge(self, scope=None, error=None):
        reg = self.reg
        v = 'Bearer realm="https://%s/oauth2/token",service="%s"' % (reg.login_server,
                                                                   reg.login_server)
        if scope:
            v += ',scope="%s"' % scope
        if error:
            v += ',error="%s"' % error
        return ("WWW-Authenticate", v)

    def acr_error(self, status, code, message, headers=(), detail=None):
        e = {"code": code, "message": message}
        if detail is not None:
            e["detail"] = detail
        self.send_json(status, {"errors": [e]}, headers=headers)

    def do_POST(self):
        path, _ = self.split()
        if path == "/oauth2/exchange":
            return self.exchange()
        if path == "/oauth2/token":
            return self.token_post()
        self.record("acr.unknown", registry=self.reg.name)
        self.acr_error(404, "NOT_FOUND", "not found")

    def exchange(self):
        form = self.read_form() or {}
        entry = self.record("acr.exchange", registry=self.reg.name, form=form)
        if self.injected(entry):
            return
        status, body = self.st._acr_exchange(self.reg, form, entry)
        entry["status"] = status
        self.send_json(status, body)

    def token_post(self):
        form = self.read_form() or {}
        entry = self.record("acr.token", registry=self.reg.name, form=form)
        if self.injected(entry):
            return
        status, body = self.st._acr_token_refresh(self.reg, form, entry)
        entry["status"] = status
        self.send_json(status, body)

    def token_get(self, query):
        user, pw = self.basic()
        entry = self.record("acr.token", registry=self.reg.name, basic_user=user,
                            form={k: " ".join(v) for k, v in query.items()})
        if self.injected(entry):
            return
        status, body = self.st._acr_token_basic(self.reg, user, pw, query, entry)
        entry["status"] = status
        self.send_json(status, body)

    def do_GET(self):
        path, query = self.split()
        if path == "/oauth2/token":
            return self.token_get(query)
        if path.startswith("/acr/v1/"):
            return self.tags_api(path, query)
        if path == "/v2" or path.startswith("/v2/"):
            return self.v2(path, query)
        self.record("acr.unknown", registry=self.reg.name)
        self.acr_error(404, "NOT_FOUND", "not found")

    do_HEAD = do_GET

    # ---- /v2 proxy ----
    def v2(self, path, query):
        reg = self.reg
        entry = self.record("v2", registry=reg.name)
        if self.injected(entry):
            return
        rest = path[len("/v2"):].lstrip("/")
        if rest == "":
            return self.forward(entry, "/v2/", None)
        if rest == "_catalog":
            return self.catalog(entry, query)
        m = re.fullmatch(r"(.+?)/(manifests|blobs|tags)/(.+)", rest)
        if not m or not REPO_RE.match(m.group(1)) or len(m.group(1)) > 255:
            entry["status"] = 404
            return self.acr_error(404, "NAME_INVALID", "invalid repository name")
        if not REF_RE[m.group(2)].fullmatch(m.group(3)):
            entry["status"] = 404
            return self.acr_error(404, "NAME_UNKNOWN", "unknown or invalid reference")
        entry["repository"] = m.group(1)
        backend = "/v2/%s/%s/%s" % (reg.backend_name(m.group(1)), m.group(2), m.group(3))
        qs = urllib.parse.urlsplit(self.path).query
        self.forward(entry, backend + ("?" + qs if qs else ""), m.group(1))

    def backend_request(self, method, path, extra=None):
        headers = {"Host": self.st.backend}
        for k in ("Accept", "Authorization", "Range", "If-None-Match", "User-Agent"):
            if self.headers.get(k) is not None:
                headers[k] = self.headers[k]
        headers.update(extra or {})
        conn = http.client.HTTPConnection(self.st.backend, timeout=60)
        conn.request(method, path, headers=headers)
        return conn, conn.getresponse()

    def forward(self, entry, backend_path, repo):
        conn, resp = self.backend_request(self.command, backend_path)
        try:
            entry["status"] = resp.status
            if resp.status == 401:
                resp.read()
                return self.unauthorized(resp, repo)
            self.relay(resp)
        finally:
            conn.close()

    def unauthorized(self, resp, repo):
        back = resp.getheader("WWW-Authenticate") or ""
        m = re.search(r'scope="([^"]*)"', back)
        scope = self.reg.scope_from_backend(m.group(1)) if m else None
        e = re.search(r'error="([^"]*)"', back)
        self.acr_error(401, "UNAUTHORIZED", "authentication required",
                       headers=[self.challenge(scope, e.group(1) if e else None)])

    def relay(self, resp):
        reg = self.reg
        length = resp.getheader("Content-Length")
        body = None
        if resp.status >= 400 or length is None:
            body = reg.strip_names(resp.read(8 << 20)) if resp.status >= 400 else resp.read()
        elif urllib.parse.urlsplit(self.path).path.endswith("/tags/list"):
            body = reg.strip_names(resp.read(8 << 20))    # {"name": "<ns>/X"} -> "X"
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            lk = k.lower()
            if lk in HOP or lk == "www-authenticate":
                continue
            if lk in ("location", "link"):
                v = reg.translate_url(v)
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if body is not None else length))
        self.end_headers()
        if self.command == "HEAD":
            return
        if body is not None:
            self.wfile.write(body)
            return
        while True:
            chunk = resp.read(65536)
            if not chunk:
                break
            self.wfile.write(chunk)

    def catalog(self, entry, query):
        """The backend's catalog filtered to this registry's namespace, paged here."""
        names = []
        link = "/v2/_catalog?n=1000"
        for _ in range(CATALOG_PAGES_MAX):
            if not link:
                break
            conn, resp = self.backend_request("GET", link)
            try:
                if resp.status == 401:
                    entry["status"] = 401
                    resp.read()
                    return self.unauthorized(resp, None)
                data = resp.read(8 << 20)
                if resp.status != 200:
                    entry["status"] = resp.status
                    return self.send_bytes(resp.status, self.reg.strip_names(data))
                names += json.loads(data).get("repositories") or []
                m = re.match(r"<([^>]+)>", resp.getheader("Link") or "")
                link = m.group(1) if m else None
            finally:
                conn.close()
        if link:
            entry["status"] = 502
            return self.acr_error(502, "UNKNOWN", "the backend catalog has more than %d pages"
                                  % CATALOG_PAGES_MAX)
        mine = sorted(self.reg.local_name(n) for n in names if self.reg.local_name(n))
        self.send_paged(entry, mine, query, "/v2/_catalog", "repositories", {})

    def send_paged(self, entry, items, query, base, field, extra, key=lambda x: x, order=None):
        try:
            n = int(query.get("n", ["100"])[0])
        except ValueError:
            entry["status"] = 400
            return self.acr_error(400, "PAGINATION_NUMBER_INVALID", "invalid number of results")
        n = max(1, min(n, 1000))
        last = query.get("last", [None])[0]
        if last is not None:
            keys = [key(x) for x in items]
            items = items[keys.index(last) + 1:] if last in keys else (
                [x for x in items if key(x) > last] if order is None else [])
        page = items[:n]
        headers = []
        if len(items) > n:
            q = {"last": key(page[-1]), "n": str(n)}
            q["orderby"] = order or ""
            headers.append(("Link", '<%s?%s>; rel="next"' % (base, urllib.parse.urlencode(q))))
        body = dict(extra)
        body[field] = page
        entry["status"] = 200
        self.send_json(200, body, headers=headers)

    # ---- /acr/v1/{repo}/_tags ----
    def tags_api(self, path, query):
        reg = self.reg
        entry = self.record("acr.tags", registry=reg.name)
        if self.injected(entry):
            return
        m = re.fullmatch(r"/acr/v1/(.+)/_tags", path)
        if not reg.tags_api:
            entry["status"] = 404
            return self.send_bytes(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if not m or not REPO_RE.match(m.group(1)):
            entry["status"] = 404
            return self.acr_error(404, "NAME_INVALID", "invalid repository name")
        repo = m.group(1)
        entry["repository"] = repo
        if not self.bearer():
            entry["status"] = 401
            return self.acr_error(401, "UNAUTHORIZED", "authentication required", headers=[
                self.challenge("repository:%s:metadata_read" % repo)])
        conn, resp = self.backend_request("GET", "/v2/%s/tags/list" % reg.backend_name(repo))
        try:
            data = resp.read(8 << 20)
            if resp.status == 401:
                entry["status"] = 401
                return self.unauthorized(resp, repo)
            if resp.status != 200:
                entry["status"] = resp.status
                return self.send_bytes(resp.status, reg.strip_names(data))
        finally:
            conn.close()
        tags = json.loads(data).get("tags") or []
        rows = self.tag_rows(repo, tags)
        if rows is None:
            entry["status"] = 502
            return self.acr_error(502, "UNKNOWN", "a manifest of the repository could not "
                                  "be read")
        order = query.get("orderby", [""])[0]
        if order == "timedesc":
            rows.sort(key=lambda r: (r["lastUpdateTime"], r["name"]), reverse=True)
        elif order == "timeasc":
            rows.sort(key=lambda r: (r["lastUpdateTime"], r["name"]))
        else:
            rows.sort(key=lambda r: r["name"])
        self.send_paged(entry, rows, query, "/acr/v1/%s/_tags" % repo, "tags",
                        {"registry": reg.login_server, "imageName": repo},
                        key=lambda r: r["name"], order=order or None)

    def tag_rows(self, repo, tags):
        reg = self.reg
        rows = []
        for tag in tags:
            conn, resp = self.backend_request(
                "HEAD", "/v2/%s/manifests/%s" % (reg.backend_name(repo), tag),
                {"Accept": MANIFEST_TYPES})
            try:
                resp.read()
                digest = resp.getheader("Docker-Content-Digest")
            finally:
                conn.close()
            if resp.status != 200 or not digest:
                return None
            created, updated = reg.tag_times(repo, tag, digest)
            rows.append({"name": tag, "digest": digest, "createdTime": iso(created),
                         "lastUpdateTime": iso(updated), "signed": False,
                         "changeableAttributes": {"deleteEnabled": True, "writeEnabled": True,
                                                  "readEnabled": True, "listEnabled": True}})
        return rows


class Registry:
    """One ACR stand-in: its server, namespace in the backend, grants and tag times."""

    def __init__(self, st, subscription, name, namespace, location, sku, resource_group,
                 tags_api, port=0):
        self.st = st
        self.subscription = subscription
        self.name = name
        self.namespace = namespace.strip("/")
        self.location = location
        self.sku = sku
        self.resource_group = resource_group
        self.tags_api = tags_api
        self.times = {}     # (repo, tag) -> [created, updated, digest]
        self.faults = {}    # endpoint -> [(status, retry_after, count)]
        self.lock = threading.Lock()
        self.server = TLSServer(AcrHandler, st._ctx, st, port)
        self.server.registry = self
        self.login_server = "127.0.0.1:%d" % self.server.server_address[1]
        self.url = "https://" + self.login_server
        self.created = time.time()

    def backend_name(self, repo):
        return "%s/%s" % (self.namespace, repo)

    def local_name(self, backend_name):
        p = self.namespace + "/"
        return backend_name[len(p):] if backend_name.startswith(p) else None

    def scope_from_backend(self, scope):
        parts = []
        for s in scope.split():
            first, last = s.find(":"), s.rfind(":")
            if s.startswith("repository:") and last > first:
                local = self.local_name(s[first + 1:last])
                if local:
                    parts.append("repository:%s%s" % (local, s[last:]))
                    continue
            parts.append(s)
        return " ".join(parts)

    def translate_url(self, value):
        """Location / Link values: the backend's absolute or relative /v2/<ns>/ paths as this
        registry's relative /v2/ paths."""
        value = value.replace("http://%s/v2/" % self.st.backend, "/v2/")
        return value.replace("/v2/%s/" % self.namespace, "/v2/")

    def strip_names(self, data):
        return data.replace(('"%s/' % self.namespace).encode(), b'"')

    def tag_times(self, repo, tag, digest):
        """(created, updated) of a tag: the test's time, or when the stand-in first saw it
        (a new digest for the tag updates it)."""
        with self.lock:
            t = self.times.get((repo, tag))
            now = time.time()
            if t is None:
                t = self.times[(repo, tag)] = [now, now, digest]
            elif t[2] is not None and t[2] != digest:
                t[1], t[2] = now, digest
            elif t[2] is None:
                t[2] = digest
            return t[0], t[1]

    def inject(self, endpoint, status, count=1, retry_after=None):
        """The next `count` requests of `endpoint` ("v2", "acr.token", "acr.exchange",
        "acr.tags") on this registry are answered `status` (e.g. 429 with `retry_after`
        seconds, or 401 with the registry's challenge) without reaching the backend."""
        with self.st.lock:
            self.faults.setdefault(endpoint, []).append((status, retry_after, count))

    def set_tag_time(self, repo, tag, when):
        ts = parse_iso(when) if isinstance(when, str) else float(when)
        with self.lock:
            t = self.times.get((repo, tag))
            self.times[(repo, tag)] = [min(ts, t[0]) if t else ts, ts, None]

    def arm_resource(self):
        rid = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerRegistry/"
               "registries/%s" % (self.subscription, self.resource_group, self.name))
        return {
            "sku": {"name": self.sku, "tier": self.sku},
            "type": "Microsoft.ContainerRegistry/registries", "id": rid, "name": self.name,
            "location": self.location, "tags": {},
            "properties": {
                "loginServer": self.login_server, "creationDate": iso(self.created),
                "provisioningState": "Succeeded", "adminUserEnabled": False,
                "policies": {"quarantinePolicy": {"status": "disabled"},
                             "trustPolicy": {"type": "Notary", "status": "disabled"},
                             "retentionPolicy": {"days": 7, "status": "disabled"}},
                "encryption": {"status": "disabled"}, "dataEndpointEnabled": False,
                "dataEndpointHostNames": [], "privateEndpointConnections": [],
                "publicNetworkAccess": "Enabled", "networkRuleBypassOptions": "AzureServices",
                "zoneRedundancy": "Disabled", "anonymousPullEnabled": False}}


# ---------------------------------------------------------------- federated tokens

class FederatedSigner:
    """Plays the Kubernetes service-account token issuer of a workload identity: signs the
    tokens a test writes into AZURE_FEDERATED_TOKEN_FILE."""

    def __init__(self, issuer):
        self.issuer = issuer
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = b64url(hashlib.sha256(self.key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)).digest())[:32]

    def token(self, subject, audience=FEDERATED_AUDIENCE, lifetime=3600, issuer=None):
        now = int(time.time())
        claims = {"aud": [audience], "exp": now + lifetime, "iat": now, "nbf": now,
                  "iss": issuer or self.issuer, "sub": subject, "jti": str(uuid.uuid4()),
                  "kubernetes.io": {"namespace": subject.split(":")[2] if
                                    subject.count(":") == 3 else "default"}}
        return jwt_sign_rs256(self.key, claims, {"kid": self.kid})

    def write(self, path, subject, **kw):
        """Writes a fresh token for `subject` to `path` (atomically, as the kubelet does);
        returns it."""
        tok = self.token(subject, **kw)
        with open(path + ".tmp", "w") as f:
            f.write(tok)
        os.replace(path + ".tmp", path)
        return tok


# ---------------------------------------------------------------- the stand-in

class AzureStandin:
    """Entra ID + Resource Manager + ACR registries, started with start(), stopped with
    stop() (or used as a context manager). Knobs: token_lifetime (s), arm_page_size,
    acr_audience, refresh_lifetime (s)."""

    def __init__(self, state_dir, backend=None, token_realm=None, token_service=None,
                 backend_user=None, backend_password=None, token_lifetime=3600,
                 arm_page_size=100, acr_audience=ACR_AUDIENCE, entra_port=0, arm_port=0):
        self.state_dir = state_dir
        self.backend = backend or os.environ.get("REGSCAN_TEST_REGISTRY_TOKEN", "127.0.0.1:5002")
        self.token_realm = token_realm or os.environ.get("REGSCAN_TEST_TOKEN_REALM",
                                                         "http://127.0.0.1:5003/token")
        self.token_service = token_service or os.environ.get("REGSCAN_TEST_TOKEN_SERVICE",
                                                             "regscan-test-registry")
        self.backend_user = backend_user or os.environ.get("REGSCAN_TEST_REGISTRY_USER")
        self.backend_password = backend_password or os.environ.get(
            "REGSCAN_TEST_REGISTRY_PASSWORD")
        self.token_lifetime = token_lifetime
        self.refresh_lifetime = 3 * 3600
        self.arm_page_size = arm_page_size
        self.acr_audience = acr_audience
        self.requests = []
        self.lock = threading.Lock()
        self.clients = {}           # client_id -> dict
        self.tenants = set()
        self.subscriptions = {}     # id -> dict (ordered by insertion)
        self.registries = {}        # name -> Registry
        self.signers = {}           # issuer -> FederatedSigner
        self.acrpull = set()        # (client_id, registry name)
        self.issued = {}            # (client_id, scope) -> count
        self.backend_tokens = 0
        self.faults = {}            # Entra / ARM endpoint -> [(status, retry_after, count)]
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = b64url(hashlib.sha1(self.key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)).digest())
        self.ca_file, cert_file, key_file = ensure_tls(state_dir)
        self._ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        self._ctx.load_cert_chain(cert_file, key_file)
        self.entra_server = TLSServer(EntraHandler, self._ctx, self, entra_port)
        self.arm_server = TLSServer(ArmHandler, self._ctx, self, arm_port)
        self.authority = self.entra_server.url
        self.arm = self.arm_server.url
        self._threads = []

    # ---- life cycle ----
    def _serve(self, server):
        t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                             daemon=True)
        t.start()
        self._threads.append((server, t))

    def start(self):
        self._serve(self.entra_server)
        self._serve(self.arm_server)
        for reg in self.registries.values():
            if not any(s is reg.server for s, _ in self._threads):
                self._serve(reg.server)
        return self

    def stop(self):
        for server, t in self._threads:
            server.shutdown()
            server.server_close()
            t.join(5)
        self._threads = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- setup API ----
    def add_client(self, tenant, client_id, secret=None, cert_pem=None, federated=None,
                   name=None):
        """Registers an application (service principal) in `tenant`: a client secret, a
        certificate (PEM, or a list of them) and/or a federated credential (issuer, subject)
        (or a list of them)."""
        certs = []
        for pem in ([cert_pem] if isinstance(cert_pem, (bytes, str)) else cert_pem or []):
            certs.append(x509.load_pem_x509_certificate(
                pem.encode() if isinstance(pem, str) else pem))
        feds = [federated] if isinstance(federated, tuple) else list(federated or [])
        with self.lock:
            self.tenants.add(tenant)
            self.clients[client_id] = {
                "tenant": tenant, "secret": secret, "certs": certs, "federated": feds,
                "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, "sp:" + client_id)),
                "name": name or client_id}

    def add_tenant(self, tenant):
        with self.lock:
            self.tenants.add(tenant)

    def federated_signer(self, issuer=None):
        """A signer for service-account tokens of a (Kubernetes) issuer the stand-in trusts."""
        issuer = issuer or "https://127.0.0.1/oidc/%s" % uuid.uuid4().hex[:12]
        with self.lock:
            if issuer not in self.signers:
                self.signers[issuer] = FederatedSigner(issuer)
            return self.signers[issuer]

    def add_subscription(self, sub_id, name, tenant=None, forbidden=False):
        """A subscription of `tenant` (default: the only tenant); `forbidden` makes its
        registry list answer 403 AuthorizationFailed."""
        if tenant is None:
            if len(self.tenants) != 1:
                raise ValueError("add_subscription: name the tenant")
            tenant = next(iter(self.tenants))
        with self.lock:
            self.subscriptions[sub_id] = {"id": sub_id, "displayName": name,
                                          "tenantId": tenant, "forbidden": forbidden}

    def add_registry(self, sub_id, name, namespace, location="westeurope", sku="Standard",
                     resource_group="rg-regscan", tags_api=True, port=0):
        """An ACR in subscription `sub_id` whose repository X is the backend's
        "<namespace>/X"; returns the Registry (login_server, url). Served at once if the
        stand-in runs."""
        reg = Registry(self, sub_id, name, namespace, location, sku, resource_group, tags_api,
                       port)
        with self.lock:
            self.registries[name] = reg
        if self._threads:
            self._serve(reg.server)
        return reg

    def inject(self, endpoint, status, count=1, retry_after=None):
        """The next `count` requests of an Entra or ARM `endpoint` ("entra.token",
        "arm.subscriptions", "arm.registries") are answered `status` (e.g. 429 with
        `retry_after` seconds); Registry.inject does the same for a registry's endpoints."""
        with self.lock:
            self.faults.setdefault(endpoint, []).append((status, retry_after, count))

    def _take_fault(self, reg, endpoint):
        faults = reg.faults if reg is not None else self.faults
        with self.lock:
            q = faults.get(endpoint)
            if not q:
                return None
            status, retry_after, left = q[0]
            if left <= 1:
                q.pop(0)
            else:
                q[0] = (status, retry_after, left - 1)
            return status, retry_after

    def grant_acrpull(self, client_id, registry):
        with self.lock:
            self.acrpull.add((client_id, registry))

    def revoke_acrpull(self, client_id, registry):
        with self.lock:
            self.acrpull.discard((client_id, registry))

    def set_tag_time(self, registry, repo, tag, when):
        """lastUpdateTime of a tag in the _tags API (ISO 8601 text or a Unix time)."""
        self.registries[registry].set_tag_time(repo, tag, when)

    # ---- what tests read ----
    def _record(self, entry):
        with self.lock:
            self.requests.append(entry)

    def requests_of(self, endpoint, **match):
        """The recorded requests of `endpoint` whose fields equal `match`."""
        with self.lock:
            return [dict(r) for r in self.requests if r["endpoint"] == endpoint
                    and all(r.get(k) == v for k, v in match.items())]

    def count(self, endpoint, **match):
        return len(self.requests_of(endpoint, **match))

    def bearers(self, endpoint, **match):
        """The Bearer tokens the recorded requests of `endpoint` carried, in order (None where
        a request had none): for asserting that tokens were reused."""
        out = []
        for r in self.requests_of(endpoint, **match):
            a = r.get("authorization") or ""
            out.append(a[7:].strip() if a[:7].lower() == "bearer " else None)
        return out

    def tokens_issued(self, client_id, scope):
        with self.lock:
            return self.issued.get((client_id, scope), 0)

    def clear(self):
        with self.lock:
            self.requests.clear()
            self.issued.clear()

    # ---- Entra internals ----
    def _tenant_known(self, tenant):
        with self.lock:
            return tenant in self.tenants

    def _openid_configuration(self, tenant):
        a = "%s/%s" % (self.authority, tenant)
        return {
            "token_endpoint": a + "/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                      "client_secret_basic"],
            "jwks_uri": a + "/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": a + "/v2.0", "request_uri_parameter_supported": False,
            "authorization_endpoint": a + "/oauth2/v2.0/authorize",
            "device_authorization_endpoint": a + "/oauth2/v2.0/devicecode",
            "end_session_endpoint": a + "/oauth2/v2.0/logout",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
            "tenant_region_scope": None, "cloud_instance_name": "standin.invalid"}

    def _jwk(self):
        nums = self.key.public_key().public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        return {"kty": "RSA", "use": "sig", "kid": self.kid, "n": b64url(n),
                "e": b64url(nums.e.to_bytes(3, "big"))}

    def _entra_token(self, tenant, form, entry):
        """(status, body) of a token request, as Entra ID answers it."""
        if not self._tenant_known(tenant):
            return entra_error(400, "invalid_request", 90002, "Tenant '%s' not found. Check "
                               "to make sure you have the correct tenant ID and are signing "
                               "into the correct cloud." % tenant, self)
        if form.get("grant_type") != "client_credentials":
            return entra_error(400, "unsupported_grant_type", 70003, "The app requested an "
                               "unsupported grant type '%s'." % form.get("grant_type"), self)
        client_id = form.get("client_id", "")
        with self.lock:
            client = self.clients.get(client_id)
        if client is None or client["tenant"] != tenant:
            return entra_error(400, "unauthorized_client", 700016, "Application with "
                               "identifier '%s' was not found in the directory '%s'. This can "
                               "happen if the application has not been installed by the "
                               "administrator of the tenant." % (client_id, tenant), self)
        scope = form.get("scope", "")
        if len(scope.split()) != 1 or not scope.endswith("/.default"):
            return entra_error(400, "invalid_scope", 1002012, "The provided value for scope "
                               "%s is not valid. Client credential flows must have a scope "
                               "value with /.default suffixed to the resource identifier "
                               "(application ID URI)." % scope, self)
        err = self._authenticate(tenant, client_id, client, form, entry)
        if err:
            return err
        return 200, self._issue(tenant, client_id, client, scope)

    def _authenticate(self, tenant, client_id, client, form, entry):
        if "client_secret" in form:
            entry["auth"] = "secret"
            if client["secret"] is None or not secrets.compare_digest(
                    form["client_secret"].encode(), client["secret"].encode()):
                return entra_error(401, "invalid_client", 7000215, "Invalid client secret "
                                   "provided. Ensure the secret being sent in the request is "
                                   "the client secret value, not the client secret ID, for a "
                                   "secret added to app '%s'." % client_id, self)
            return None
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get(
                "client_assertion"):
            return entra_error(401, "invalid_client", 7000218, "The request body must contain "
                               "the following parameter: 'client_assertion' or "
                               "'client_secret'.", self)
        try:
            header, claims, _, _ = jwt_parse(form["client_assertion"])
        except (ValueError, UnicodeDecodeError):
            return entra_error(401, "invalid_client", 50027, "JWT token is invalid or "
                               "malformed.", self)
        entry["assertion_header"], entry["assertion_claims"] = header, claims
        if "x5t" in header or "x5t#S256" in header:
            entry["auth"] = "certificate"
            return self._check_cert_assertion(tenant, client_id, client, form, header, claims)
        entry["auth"] = "federated"
        return self._check_federated(client_id, client, form, claims)

    def _check_cert_assertion(self, tenant, client_id, client, form, header, claims):
        cert = None
        for c in client["certs"]:
            s1, s256 = cert_thumbprints(c)
            # clients send the thumbprints with or without base64 padding
            if (str(header.get("x5t", "")).rstrip("=") == s1 or
                    str(header.get("x5t#S256", "")).rstrip("=") == s256):
                cert = c
        if cert is None:
            return entra_error(401, "invalid_client", 700027, "Client assertion failed "
                               "signature validation. [Reason - The key was not found., "
                               "Thumbprint of key used by client: '%s']"
                               % (header.get("x5t#S256") or header.get("x5t")), self)
        if cert_not_after(cert) < now_utc():
            return entra_error(401, "invalid_client", 700027, "The certificate with identifier"
                               " used to sign the client assertion is expired on application."
                               " [Reason - The certificate has expired.]", self)
        try:
            jwt_verify_rs256(cert.public_key(), form["client_assertion"], ("RS256", "PS256"))
        except ValueError:
            return entra_error(401, "invalid_client", 700027, "Client assertion contains an "
                               "invalid signature. [Reason - The key was found but the "
                               "signature did not verify.]", self)
        aud = "%s/%s/oauth2/v2.0/token" % (self.authority, tenant)
        if claims.get("aud") != aud:
            return entra_error(401, "invalid_client", 700021, "Client assertion audience "
                               "claim does not match Realm issuer.", self)
        if claims.get("iss") != client_id or claims.get("sub") != client_id:
            return entra_error(401, "invalid_client", 700023, "Client assertion audience "
                               "or issuer claim is not the client's application ID.", self)
        return self._check_times(claims, max_ahead=600, need_jti=True)

    def _check_times(self, claims, max_ahead=None, need_jti=False):
        now = time.time()
        exp, nbf = claims.get("exp"), claims.get("nbf", 0)    # NumericDate: may be fractional

        def num(v):
            return isinstance(v, (int, float)) and not isinstance(v, bool)
        bad = (not num(exp) or not num(nbf) or exp < now - 300
               or nbf > now + 300 or (max_ahead is not None and exp > now + max_ahead + 300)
               or (need_jti and not isinstance(claims.get("jti"), str)))
        if bad:
            return entra_error(401, "invalid_client", 700024, "Client assertion is not within "
                               "its valid time range, or lacks exp, nbf or jti.", self)
        return None

    def _check_federated(self, client_id, client, form, claims):
        iss, sub, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if (iss, sub) not in client["federated"] or FEDERATED_AUDIENCE not in auds:
            return entra_error(400, "invalid_request", 70021, "No matching federated identity "
                               "record found for presented assertion. Assertion Issuer: '%s'. "
                               "Assertion Subject: '%s'. Assertion Audience: '%s'."
                               % (iss, sub, ",".join(str(a) for a in auds)), self)
        signer = self.signers.get(iss)
        try:
            jwt_verify_rs256(signer.key.public_key(), form["client_assertion"])
        except (ValueError, AttributeError):
            return entra_error(401, "invalid_client", 700212, "The signature of the federated "
                               "assertion could not be verified with the issuer's keys.", self)
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp < now:
            return entra_error(400, "invalid_client", 700024, "Client assertion is not within "
                               "its valid time range.", self)
        return None

    def _issue(self, tenant, client_id, client, scope):
        now = int(time.time())
        life = int(self.token_lifetime)
        claims = {"aud": scope[:-len("/.default")], "iss": "%s/%s/v2.0" % (self.authority,
                                                                            tenant),
                  "iat": now, "nbf": now, "exp": now + life, "aio": secrets.token_hex(8),
                  "appid": client_id, "azp": client_id, "appidacr": "1", "idp":
                  "%s/%s/" % (self.authority, tenant), "idtyp": "app", "oid": client["oid"],
                  "sub": client["oid"], "tid": tenant, "uti": secrets.token_hex(8),
                  "ver": "2.0"}
        with self.lock:
            key = (client_id, scope)
            self.issued[key] = self.issued.get(key, 0) + 1
        return {"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                "access_token": jwt_sign_rs256(self.key, claims, {"kid": self.kid})}

    def _verify_entra_token(self, token, audiences):
        """The claims of an access token this stand-in issued, for one of `audiences`, or a
        text saying why not."""
        if not token:
            return "Authentication failed. The 'Authorization' header is missing."
        try:
            claims = jwt_verify_rs256(self.key.public_key(), token)
        except (ValueError, UnicodeDecodeError):
            return "The access token is invalid."
        if claims.get("aud") not in audiences:
            return "The access token has an invalid audience."
        if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time():
            return "The access token has expired."
        return claims

    # ---- ARM internals ----
    def _arm_subscriptions(self, tenant):
        with self.lock:
            subs = [s for s in self.subscriptions.values() if s["tenantId"] == tenant]
        return [{"id": "/subscriptions/" + s["id"], "authorizationSource": "RoleBased",
                 "managedByTenants": [], "subscriptionId": s["id"], "tenantId": s["tenantId"],
                 "displayName": s["displayName"], "state": "Enabled",
                 "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01",
                                          "quotaId": "PayAsYouGo_2014-09-01",
                                          "spendingLimit": "Off"}} for s in subs]

    def _arm_registries(self, sub_id):
        with self.lock:
            regs = [r for r in self.registries.values() if r.subscription == sub_id]
        return [r.arm_resource() for r in regs]

    # ---- ACR internals ----
    def _acr_exchange(self, reg, form, entry):
        if form.get("grant_type") != "access_token":
            return 400, {"errors": [{"code": "UNSUPPORTED", "message":
                                     "grant_type must be access_token"}]}
        if form.get("service") != reg.login_server:
            return 400, {"errors": [{"code": "DENIED", "message": "service is not this "
                                     "registry's login server"}]}
        claims = self._verify_entra_token(form.get("access_token"), [self.acr_audience])
        if isinstance(claims, str):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message": claims}]}
        if form.get("tenant") and form["tenant"] != claims.get("tid"):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                     "the tenant does not match the access token"}]}
        entry["appid"] = claims.get("appid")
        with self.lock:
            allowed = (claims.get("appid"), reg.name) in self.acrpull
        if not allowed:
            return 403, {"errors": [{"code": "DENIED", "message": "The principal does not "
                                     "have permission to access registry %s: no AcrPull."
                                     % reg.login_server}]}
        now = int(time.time())
        refresh = jwt_sign_rs256(self.key, {
            "jti": str(uuid.uuid4()), "sub": claims.get("oid"), "nbf": now, "iat": now,
            "exp": now + self.refresh_lifetime, "iss": "Azure Container Registry",
            "aud": reg.login_server, "version": "1.0", "grant_type": "refresh_token",
            "tenant": claims.get("tid"), "appid": claims.get("appid"),
            "permissions": {"actions": ["read"]}}, {"kid": self.kid})
        return 200, {"refresh_token": refresh}

    def _acr_token_refresh(self, reg, form, entry):
        if form.get("grant_type") != "refresh_token":
            return 400, {"errors": [{"code": "UNSUPPORTED", "message":
                                     "grant_type must be refresh_token"}]}
        if form.get("service") != reg.login_server:
            return 400, {"errors": [{"code": "DENIED", "message": "service is not this "
                                     "registry's login server"}]}
        try:
            claims = jwt_verify_rs256(self.key.public_key(), form.get("refresh_token", ""))
        except (ValueError, UnicodeDecodeError):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                     "the refresh token is invalid"}]}
        exp = claims.get("exp")
        if (claims.get("aud") != reg.login_server or claims.get("grant_type") !=
                "refresh_token" or not isinstance(exp, int) or exp < time.time()):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                     "the refresh token is invalid or expired"}]}
        entry["appid"] = claims.get("appid")
        return self._backend_token(reg, claims.get("appid"), form.get("scope", ""), entry)

    def _acr_token_basic(self, reg, user, pw, query, entry):
        with self.lock:
            client = self.clients.get(user or "")
        if (client is None or client["secret"] is None or
                not secrets.compare_digest((pw or "").encode(), client["secret"].encode())):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message":
                                     "authentication required"}]}
        if query.get("service", [""])[0] != reg.login_server:
            return 400, {"errors": [{"code": "DENIED", "message": "service is not this "
                                     "registry's login server"}]}
        entry["appid"] = user
        return self._backend_token(reg, user, " ".join(query.get("scope", [])), entry)

    def _backend_scopes(self, reg, appid, scope):
        """ACR scopes translated to the backend's: repository:X -> repository:<ns>/X, actions
        limited to what AcrPull allows (pull; metadata_read reads as pull)."""
        with self.lock:
            allowed = (appid, reg.name) in self.acrpull
        out = []
        for s in scope.split()[:SCOPES_MAX]:
            first, last = s.find(":"), s.rfind(":")
            if first <= 0 or last == first or not allowed:
                continue
            kind, name = s[:first], s[first + 1:last]
            actions = set(s[last + 1:].split(","))
            if kind == "registry" and name == "catalog" and "*" in actions:
                out.append("registry:catalog:*")
            elif kind == "repository" and REPO_RE.match(name) and actions & {
                    "pull", "metadata_read", "*"}:
                out.append("repository:%s:pull" % reg.backend_name(name))
        return out

    def _backend_token(self, reg, appid, scope, entry):
        """An access token from the REAL token service for the translated scopes."""
        scopes = self._backend_scopes(reg, appid, scope)
        entry["backend_scopes"] = scopes
        q = [("service", self.token_service)] + [("scope", s) for s in scopes]
        u = urllib.parse.urlsplit(self.token_realm)
        cred = base64.b64encode(("%s:%s" % (self.backend_user, self.backend_password))
                                .encode()).decode()
        conn = http.client.HTTPConnection(u.netloc, timeout=30)
        try:
            conn.request("GET", "%s?%s" % (u.path, urllib.parse.urlencode(q)),
                         headers={"Authorization": "Basic " + cred})
            resp = conn.getresponse()
            data = resp.read(1 << 20)
        finally:
            conn.close()
        if resp.status != 200:
            return 502, {"errors": [{"code": "UNKNOWN", "message":
                                     "the token service answered %d" % resp.status}]}
        token = json.loads(data)["token"]
        with self.lock:
            self.backend_tokens += 1
        entry["access_token"] = token
        return 200, {"access_token": token}


# ---------------------------------------------------------------- CLI

def from_config(state_dir, cfg):
    """An AzureStandin set up from a JSON description (the CLI's --config):
    {"token_lifetime", "arm_page_size", "entra_port", "arm_port", "tenants": {tid:
    {"clients": {id: {"secret", "certificate_file", "federated": [[issuer, subject]],
    "acrpull": [registry]}}}}, "subscriptions": [{"id", "name", "tenant", "forbidden",
    "registries": [{"name", "namespace", "tags_api", "sku", "port"}]}]} (ports 0 or absent:
    any free port)."""
    st = AzureStandin(state_dir, token_lifetime=cfg.get("token_lifetime", 3600),
                      arm_page_size=cfg.get("arm_page_size", 100),
                      entra_port=cfg.get("entra_port", 0), arm_port=cfg.get("arm_port", 0))
    grants = []
    for tenant, t in (cfg.get("tenants") or {}).items():
        st.add_tenant(tenant)
        for cid, c in (t.get("clients") or {}).items():
            pem = None
            if c.get("certificate_file"):
                with open(c["certificate_file"], "rb") as f:
                    pem = f.read()
            st.add_client(tenant, cid, secret=c.get("secret"), cert_pem=pem,
                          federated=[tuple(x) for x in c.get("federated") or []])
            grants += [(cid, r) for r in c.get("acrpull") or []]
    for s in cfg.get("subscriptions") or []:
        st.add_subscription(s["id"], s.get("name", s["id"]), s.get("tenant"),
                            s.get("forbidden", False))
        for r in s.get("registries") or []:
            st.add_registry(s["id"], r["name"], r.get("namespace", r["name"]),
                            sku=r.get("sku", "Standard"), tags_api=r.get("tags_api", True),
                            port=r.get("port", 0))
    for cid, r in grants:
        st.grant_acrpull(cid, r)
    return st


def write_sa_tokens(st, cfg):
    """For manual runs: a service-account token file per federated credential of the config
    (state dir sa-token-<client>, valid 24 h, signed by the issuer's stand-in signer);
    returns {client_id: path}."""
    out = {}
    for t in (cfg.get("tenants") or {}).values():
        for cid, c in (t.get("clients") or {}).items():
            for issuer, subject in c.get("federated") or []:
                path = os.path.join(st.state_dir, "sa-token-%s" % cid)
                st.federated_signer(issuer).write(path, subject, lifetime=86400)
                out[cid] = path
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--config", required=True, help="JSON description (see from_config)")
    a = ap.parse_args()
    with open(a.config) as f:
        cfg = json.load(f)
    st = from_config(a.state_dir, cfg).start()
    print(json.dumps({"ca_file": st.ca_file, "authority": st.authority, "resource_manager":
                      st.arm, "registries": {n: r.login_server for n, r in
                                             st.registries.items()},
                      "federated_token_files": write_sa_tokens(st, cfg)}, indent=2),
          flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    st.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
