/* entra.c - Microsoft Entra ID access tokens by client credentials: a client
 * secret, a certificate (an RS256 client assertion signed here) or AKS
 * workload identity (the federated token file, re-read for every request),
 * cached per scope until shortly before they expire.
 *
 * Secrets, assertions and tokens live only in this module's memory and in the
 * request bodies it posts; messages name the tenant, the client id and Entra's
 * AADSTS code, never a credential. Knows nothing about registries. */
#include "registry.h"
#include "entra_int.h"
#include "base.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ANSWER_MAX (256u * 1024)
#define TOKEN_MAX (64u * 1024)
#define FEDERATED_MAX (64u * 1024)
#define CERT_FILE_MAX (256u * 1024)
#define SCOPES_MAX 32
#define SCOPE_MAX 512
#define MARGIN_MAX 300
#define LIFETIME_MAX (24 * 3600)
#define REASON_MAX 160
#define WORD_MAX 24

enum cred { CRED_SECRET, CRED_CERT, CRED_FEDERATED };

struct rs_entra_cert {
    EVP_PKEY *key;
    X509 *cert;
    char x5t[64], x5t256[64];
};

struct scope_entry {
    char *scope, *token;
    time_t fetched, expires_at;
};

struct rs_entra {
    rs_http *http;
    enum cred kind;
    char *tenant, *client, *secret, *federated_file, *cert_file, *endpoint;
    rs_entra_cert *cert;
    time_t (*now)(void);
    pthread_mutex_t lock;       /* guards the cache */
    pthread_mutex_t fetch_lock; /* one token request at a time: the others wait for its token */
    struct scope_entry cache[SCOPES_MAX];
    int n_cache;
};

static time_t wall_now(void)
{
    return time(NULL);
}

static void scrub_free(char *s)
{
    if (s) {
        volatile char *v = s;
        while (*v)
            *v++ = 0;
        free(s);
    }
}

/* ---- base64url, files ---------------------------------------------------- */

static int b64url(const unsigned char *in, size_t n, rs_buf *out)
{
    size_t enc = 4 * ((n + 2) / 3) + 1;
    unsigned char *b = malloc(enc);
    if (!b)
        return RS_ERR_INTERNAL;
    int len = EVP_EncodeBlock(b, in, (int)n);
    while (len > 0 && b[len - 1] == '=')
        len--;
    for (int i = 0; i < len; i++)
        b[i] = b[i] == '+' ? '-' : b[i] == '/' ? '_' : b[i];
    int rc = rs_buf_append(out, b, (size_t)len) ? RS_ERR_INTERNAL : 0;
    free(b);
    return rc;
}

/* ---- the certificate ----------------------------------------------------- */

static int pem_password(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *pw = u;
    size_t n = pw ? strlen(pw) : 0;
    if (n > (size_t)size)
        return -1;
    if (n)
        memcpy(buf, pw, n);
    return (int)n;
}

static int thumbprint(X509 *cert, const EVP_MD *md, char *out, size_t outsz)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int dl = 0;
    rs_buf b = RS_BUF_INIT;
    int rc = RS_ERR_INTERNAL;
    if (X509_digest(cert, md, d, &dl) == 1 && !b64url(d, dl, &b) && b.len < outsz) {
        memcpy(out, b.data, b.len + 1);
        rc = 0;
    }
    rs_buf_free(&b);
    return rc;
}

static int cert_parse(rs_entra_cert *c, const char *pem, size_t len, const char *password,
                      char *why, size_t whysz)
{
    BIO *bk = BIO_new_mem_buf(pem, (int)len), *bc = BIO_new_mem_buf(pem, (int)len);
    int rc = 0;
    if (!bk || !bc) {
        rc = rs_errf(why, whysz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    c->key = PEM_read_bio_PrivateKey(bk, NULL, pem_password, (void *)password);
    c->cert = PEM_read_bio_X509(bc, NULL, NULL, NULL);
    if (!c->key)
        rc = rs_errf(why, whysz, RS_ERR_CONFIG, "no usable private key%s",
                     password ? " (or a wrong password)" : " (encrypted? set the password)");
    else if (!c->cert)
        rc = rs_errf(why, whysz, RS_ERR_CONFIG, "no certificate");
    else if (EVP_PKEY_base_id(c->key) != EVP_PKEY_RSA)
        rc = rs_errf(why, whysz, RS_ERR_CONFIG, "the key is not an RSA key (Entra ID needs RS256)");
    else if (X509_check_private_key(c->cert, c->key) != 1)
        rc = rs_errf(why, whysz, RS_ERR_CONFIG, "the private key does not match the certificate");
    else if (thumbprint(c->cert, EVP_sha1(), c->x5t, sizeof c->x5t) ||
             thumbprint(c->cert, EVP_sha256(), c->x5t256, sizeof c->x5t256))
        rc = rs_errf(why, whysz, RS_ERR_INTERNAL, "cannot hash the certificate");
out:
    BIO_free(bk);
    BIO_free(bc);
    return rc;
}

int rs_entra_cert_load(const char *path, const char *password, rs_entra_cert **out, char *errstr,
                       size_t errsz)
{
    char why[256];
    char *pem = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = rs_file_read_bounded(path, CERT_FILE_MAX, &pem, &len, why, sizeof why);
    rs_entra_cert *c = rc ? NULL : calloc(1, sizeof *c);
    if (!rc && !c)
        rc = rs_errf(why, sizeof why, RS_ERR_INTERNAL, "out of memory");
    if (!rc)
        rc = cert_parse(c, pem, len, password, why, sizeof why);
    if (pem) {
        memset(pem, 0, len);
        free(pem);
    }
    if (rc) {
        rs_entra_cert_free(c);
        return rs_errf(errstr, errsz, rc, "client_certificate_file '%s': %s", path, why);
    }
    *out = c;
    return 0;
}

void rs_entra_cert_free(rs_entra_cert *c)
{
    if (!c)
        return;
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
    free(c);
}

/* ---- the client assertion -------------------------------------------------- */

static void asn1_iso(const ASN1_TIME *t, char *out, size_t outsz)
{
    struct tm tm;
    if (ASN1_TIME_to_tm(t, &tm) != 1 || !strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, outsz, "?");
}

static int cert_valid_at(const rs_entra_cert *c, const char *client_id, time_t now, char *errstr,
                         size_t errsz)
{
    char when[32];
    const ASN1_TIME *na = X509_get0_notAfter(c->cert), *nb = X509_get0_notBefore(c->cert);
    if (X509_cmp_time(na, &now) < 0) {
        asn1_iso(na, when, sizeof when);
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "client certificate of client '%s' expired on %s", client_id, when);
    }
    if (X509_cmp_time(nb, &now) > 0) {
        asn1_iso(nb, when, sizeof when);
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "client certificate of client '%s' is not valid before %s", client_id,
                       when);
    }
    return 0;
}

/* base64url(header) "." base64url(claims) into b. */
static int assertion_input(const rs_entra_cert *c, const char *client_id, const char *aud,
                           time_t now, rs_buf *b)
{
    unsigned char r[16];
    char jti[40];
    if (RAND_bytes(r, sizeof r) != 1)
        return RS_ERR_INTERNAL;
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* a version 4 UUID */
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(jti, sizeof jti,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1],
             r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14],
             r[15]);
    json_t *h = json_pack("{s:s, s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "x5t", c->x5t,
                          "x5t#S256", c->x5t256);
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "aud", aud, "iss", client_id,
                          "sub", client_id, "jti", jti, "nbf", (json_int_t)now, "iat",
                          (json_int_t)now, "exp", (json_int_t)now + RS_ENTRA_ASSERTION_LIFETIME);
    char *hs = h ? json_dumps(h, JSON_COMPACT) : NULL;
    char *ps = p ? json_dumps(p, JSON_COMPACT) : NULL;
    int rc = RS_ERR_INTERNAL;
    if (hs && ps && !b64url((unsigned char *)hs, strlen(hs), b) && !rs_buf_puts(b, ".") &&
        !b64url((unsigned char *)ps, strlen(ps), b))
        rc = 0;
    free(hs);
    free(ps);
    json_decref(h);
    json_decref(p);
    return rc;
}

int rs_entra_assertion(const rs_entra_cert *c, const char *client_id, const char *aud, time_t now,
                       char **jwt, char *errstr, size_t errsz)
{
    *jwt = NULL;
    int rc = cert_valid_at(c, client_id, now, errstr, errsz);
    if (rc)
        return rc;
    rs_buf b = RS_BUF_INIT;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t siglen = 0;
    rc = RS_ERR_INTERNAL;
    if (!ctx || assertion_input(c, client_id, aud, now, &b))
        goto out;
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, c->key) != 1 ||
        EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)b.data, b.len) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)b.data, b.len) != 1)
        goto out;
    if (rs_buf_puts(&b, ".") || b64url(sig, siglen, &b))
        goto out;
    *jwt = rs_buf_steal(&b);
    rc = 0;
out:
    if (rc)
        rs_errf(errstr, errsz, rc, "cannot sign a client assertion for client '%s'", client_id);
    free(sig);
    EVP_MD_CTX_free(ctx);
    rs_buf_free(&b);
    return rc;
}

/* ---- answers and refusals ------------------------------------------------ */

/* A token is a JWT or another opaque value of URL-safe characters. */
static int token_chars_ok(const char *t)
{
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && !strchr("-_.~+/=", *t))
            return 0;
    return 1;
}

static int expires_in_of(const json_t *v, int64_t *out)
{
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    /* Entra's v1 endpoint sends it as a string of digits */
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 9)
        return -1;
    int64_t n = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s))
            return -1;
        n = n * 10 + (*s - '0');
    }
    *out = n;
    return 0;
}

int rs_entra_answer_parse(const char *body, size_t len, time_t now, char **token,
                          time_t *expires_at, char *errstr, size_t errsz)
{
    *token = NULL;
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *tt = json_object_get(j, "token_type"), *at = json_object_get(j, "access_token");
    const char *tok = json_string_value(at);
    int64_t ein = 0, exp = 0;
    int rc = 0;
    if (!json_is_object(j))
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "the answer is not a json object");
    else if (tt && (!json_is_string(tt) || strcasecmp(json_string_value(tt), "Bearer")))
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "token_type is not Bearer");
    else if (!tok || !*tok || json_string_length(at) > TOKEN_MAX)
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "access_token is missing or too long");
    else if (strlen(tok) != json_string_length(at) || !token_chars_ok(tok))
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "access_token has characters a token has not");
    else if (expires_in_of(json_object_get(j, "expires_in"), &ein) || ein < 1 ||
             ein > LIFETIME_MAX)
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "expires_in is missing or out of range");
    if (rc)
        goto out;
    *expires_at = now + (time_t)ein;
    if (!rs_auth_jwt_exp(tok, &exp) && exp < (int64_t)*expires_at)
        *expires_at = (time_t)exp;
    if (!(*token = strdup(tok)))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
out:
    json_decref(j);
    return rc;
}

static int word_ok(const char *w, size_t n)
{
    if (n == 0 || n > WORD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)w[i]) && !strchr("'(),:;-_", w[i]))
            return 0;
    return 1;
}

void rs_entra_sanitize(const char *in, char *out, size_t outsz)
{
    size_t o = 0;
    int dropped = 0;
    if (!outsz)
        return;
    out[0] = '\0';
    const char *end = in ? strstr(in, ". ") : NULL; /* the first sentence only */
    const char *stop = end ? end : in ? in + strlen(in) : NULL;
    for (const char *p = in; p && p < stop;) {
        while (p < stop && isspace((unsigned char)*p))
            p++;
        size_t n = 0;
        while (p + n < stop && !isspace((unsigned char)p[n]))
            n++;
        if (!n)
            break;
        size_t keep = n > 1 && p[n - 1] == '.' ? n - 1 : n;
        const char *w = word_ok(p, keep) ? p : (dropped ? NULL : "[...]");
        size_t wl = w == p ? keep : w ? 5 : 0;
        dropped = w != p;
        if (w && o + (o ? 1 : 0) + wl < outsz && o + wl < REASON_MAX) {
            if (o)
                out[o++] = ' ';
            memcpy(out + o, w, wl);
            o += wl;
            out[o] = '\0';
        }
        p += n;
    }
    if (o > 1 && isupper((unsigned char)out[0]) && islower((unsigned char)out[1]))
        out[0] = (char)tolower((unsigned char)out[0]);
}

void rs_entra_refusal(const char *body, size_t len, char *out, size_t outsz)
{
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *desc = json_string_value(json_object_get(j, "error_description"));
    const char *err = json_string_value(json_object_get(j, "error"));
    json_t *codes = json_object_get(j, "error_codes");
    json_int_t code = json_integer_value(json_array_get(codes, 0));
    char reason[REASON_MAX + 8] = "", e[64] = "";
    if (desc && !strncmp(desc, "AADSTS", 6)) {
        char *rest = NULL;
        long long c = strtoll(desc + 6, &rest, 10);
        if (!code && c > 0 && c < 100000000)
            code = (json_int_t)c;
        desc = rest && *rest == ':' ? rest + 1 : desc;
    }
    rs_entra_sanitize(desc, reason, sizeof reason);
    rs_entra_sanitize(err, e, sizeof e);
    if (code > 0 && code < 100000000)
        snprintf(out, outsz, "AADSTS%lld %s", (long long)code, reason[0] ? reason : e);
    else if (e[0] || reason[0])
        snprintf(out, outsz, "%s%s%s", e, e[0] && reason[0] ? ": " : "", reason);
    else
        snprintf(out, outsz, "no error description");
    json_decref(j);
}

int rs_entra_fresh(time_t fetched, time_t expires_at, time_t now)
{
    time_t life = expires_at - fetched;
    time_t margin = life / 4 < MARGIN_MAX ? life / 4 : MARGIN_MAX;
    return now < expires_at - margin;
}

/* ---- the client ---------------------------------------------------------- */

static int id_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > 128)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.' && *s != '_')
            return 0;
    return 1;
}

/* https, or plain http to a loopback host (tests): a secret never crosses a network in clear. */
static int authority_ok(const char *a)
{
    return !strncmp(a, "https://", 8) || !strncmp(a, "http://127.0.0.1", 16) ||
           !strncmp(a, "http://localhost", 16) || !strncmp(a, "http://[::1]", 12);
}

static int entra_setup(rs_entra *e, const rs_azure_conf *c, char *errstr, size_t errsz)
{
    int kinds = !!c->client_secret + !!c->client_certificate_file + !!c->federated_token_file;
    if (kinds != 1)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "azure identity '%s': %s credential kinds",
                       c->client_id ? c->client_id : "", kinds ? "several" : "no");
    if (!id_ok(c->tenant_id) || !id_ok(c->client_id))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "azure identity: bad tenant_id or client_id");
    const char *auth = c->authority ? c->authority : "";
    size_t alen = strlen(auth);
    while (alen && auth[alen - 1] == '/')
        alen--;
    if (!authority_ok(auth) || alen > 1024)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "azure authority must be an https url (plain http only on loopback)");
    rs_buf ep = RS_BUF_INIT;
    if (rs_buf_printf(&ep, "%.*s/%s/oauth2/v2.0/token", (int)alen, auth, c->tenant_id))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    e->endpoint = rs_buf_steal(&ep);
    e->kind = c->client_secret ? CRED_SECRET : c->client_certificate_file ? CRED_CERT
                                                                          : CRED_FEDERATED;
    e->tenant = strdup(c->tenant_id);
    e->client = strdup(c->client_id);
    e->secret = c->client_secret ? strdup(c->client_secret) : NULL;
    e->federated_file = c->federated_token_file ? strdup(c->federated_token_file) : NULL;
    e->cert_file = c->client_certificate_file ? strdup(c->client_certificate_file) : NULL;
    if (!e->endpoint || !e->tenant || !e->client || (c->client_secret && !e->secret) ||
        (c->federated_token_file && !e->federated_file) ||
        (c->client_certificate_file && !e->cert_file))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    if (e->kind == CRED_CERT)
        return rs_entra_cert_load(e->cert_file, c->client_certificate_password, &e->cert, errstr,
                                  errsz);
    return 0;
}

rs_entra *rs_entra_new(const rs_azure_conf *conf, rs_http *http, char *errstr, size_t errsz)
{
    rs_entra *e = calloc(1, sizeof *e);
    if (!e) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&e->lock, NULL);
    pthread_mutex_init(&e->fetch_lock, NULL);
    e->http = http;
    e->now = wall_now;
    if (entra_setup(e, conf, errstr, errsz)) {
        rs_entra_destroy(e);
        return NULL;
    }
    return e;
}

void rs_entra_destroy(rs_entra *e)
{
    if (!e)
        return;
    for (int i = 0; i < e->n_cache; i++) {
        free(e->cache[i].scope);
        scrub_free(e->cache[i].token);
    }
    free(e->tenant);
    free(e->client);
    scrub_free(e->secret);
    free(e->federated_file);
    free(e->cert_file);
    free(e->endpoint);
    rs_entra_cert_free(e->cert);
    pthread_mutex_destroy(&e->lock);
    pthread_mutex_destroy(&e->fetch_lock);
    free(e);
}

void rs_entra_set_clock(rs_entra *e, time_t (*now)(void))
{
    e->now = now ? now : wall_now;
}

/* The federated token, re-read now (the kubelet rotates it); *out malloc'd. */
static int federated_token(const rs_entra *e, char **out, char *errstr, size_t errsz)
{
    char why[128];
    char *t = NULL;
    size_t n = 0;
    int rc = rs_file_read_bounded(e->federated_file, FEDERATED_MAX, &t, &n, why, sizeof why);
    if (rc)
        return rs_errf(errstr, errsz, rc, "federated_token_file '%s': %s", e->federated_file, why);
    while (n && isspace((unsigned char)t[n - 1]))
        t[--n] = '\0';
    if (!n || strlen(t) != n || !token_chars_ok(t)) {
        scrub_free(t);
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "federated_token_file '%s': not a token (empty or stray characters)",
                       e->federated_file);
    }
    *out = t;
    return 0;
}

/* The form of a token request for `scope`. */
static int token_form(rs_entra *e, const char *scope, rs_buf *f, char *errstr, size_t errsz)
{
    char *assertion = NULL;
    int rc = 0;
    if (e->kind == CRED_CERT)
        rc = rs_entra_assertion(e->cert, e->client, e->endpoint, e->now(), &assertion, errstr,
                                errsz);
    else if (e->kind == CRED_FEDERATED)
        rc = federated_token(e, &assertion, errstr, errsz);
    if (rc)
        return rc;
    rc = rs_http_form_add(f, "grant_type", "client_credentials");
    if (!rc)
        rc = rs_http_form_add(f, "client_id", e->client);
    if (!rc)
        rc = rs_http_form_add(f, "scope", scope);
    if (!rc && e->kind == CRED_SECRET)
        rc = rs_http_form_add(f, "client_secret", e->secret);
    if (!rc && assertion)
        rc = rs_http_form_add(f, "client_assertion_type",
                              "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    if (!rc && assertion)
        rc = rs_http_form_add(f, "client_assertion", assertion);
    scrub_free(assertion);
    return rc ? rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory") : 0;
}

/* Replaces each occurrence of `secret` in s by "[...]" (by '*'s when shorter). */
static void redact(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *p;
    while (n && (p = strstr(s, secret)) != NULL) {
        if (n < 5) {
            memset(p, '*', n);
            continue;
        }
        memcpy(p, "[...]", 5);
        memmove(p + 5, p + n, strlen(p + n) + 1);
    }
}

static int answer_status(rs_entra *e, const rs_http_response *resp, char *errstr, size_t errsz)
{
    char why[REASON_MAX + 64];
    long st = resp->status;
    if (st == 200)
        return 0;
    if (st == 429)
        return rs_errf(errstr, errsz, RS_ERR_TOOMANYREQUESTS,
                       "Entra ID throttles client %s in tenant %s: 429", e->client, e->tenant);
    if (st >= 500)
        return rs_errf(errstr, errsz, RS_ERR_UNREACHABLE,
                       "Entra ID cannot answer for client %s in tenant %s: status %ld", e->client,
                       e->tenant, st);
    rs_entra_refusal(resp->body, resp->body_len, why, sizeof why);
    redact(why, e->secret); /* Entra's text could echo what it was sent */
    return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                   "Entra ID refused client %s in tenant %s: %s", e->client, e->tenant, why);
}

/* POSTs a token request; *token malloc'd. */
static int fetch(rs_entra *e, const char *scope, time_t now, char **token, time_t *expires_at,
                 char *errstr, size_t errsz)
{
    rs_buf form = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = token_form(e, scope, &form, errstr, errsz);
    if (rc)
        goto out;
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    rs_http_request req = {"POST", e->endpoint, hdrs, NULL, ANSWER_MAX, form.data, form.len,
                           "application/x-www-form-urlencoded"};
    char herr[512], where[1024];
    rs_log_redact_url(e->endpoint, where, sizeof where);
    if ((rc = rs_http_do(e->http, &req, &resp, herr, sizeof herr))) {
        rc = rs_errf(errstr, errsz, rc == RS_ERR_LIMIT_EXCEEDED ? RS_ERR_UNAUTHORIZED : rc,
                     "cannot get a token for client %s in tenant %s from '%s': %s", e->client,
                     e->tenant, where, herr);
        goto out;
    }
    if ((rc = answer_status(e, &resp, errstr, errsz)))
        goto out;
    if ((rc = rs_entra_answer_parse(resp.body, resp.body_len, now, token, expires_at, herr,
                                    sizeof herr)))
        rc = rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                     "bad token answer from Entra ID for client %s in tenant %s: %s", e->client,
                     e->tenant, herr);
out:
    rs_http_form_free(&form, &resp);
    return rc;
}

/* A copy of a fresh cached token for scope, or NULL. Caller holds the lock. */
static char *cache_get(rs_entra *e, const char *scope, time_t now)
{
    for (int i = 0; i < e->n_cache; i++)
        if (!strcmp(e->cache[i].scope, scope))
            return rs_entra_fresh(e->cache[i].fetched, e->cache[i].expires_at, now)
                       ? strdup(e->cache[i].token)
                       : NULL;
    return NULL;
}

static void cache_put(rs_entra *e, const char *scope, const char *token, time_t now, time_t exp)
{
    int i = 0;
    while (i < e->n_cache && strcmp(e->cache[i].scope, scope))
        i++;
    if (i == SCOPES_MAX)
        i = 0; /* more scopes than a scanner asks for: replace one */
    char *s = strdup(scope), *t = strdup(token);
    if (!s || !t) {
        free(s);
        free(t);
        return;
    }
    if (i < e->n_cache) {
        free(e->cache[i].scope);
        scrub_free(e->cache[i].token);
    } else {
        e->n_cache++;
    }
    e->cache[i] = (struct scope_entry){s, t, now, exp};
}

int rs_entra_token(rs_entra *e, const char *scope, char **token, char *errstr, size_t errsz)
{
    *token = NULL;
    if (!scope || !*scope || strlen(scope) > SCOPE_MAX)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "bad scope for an Entra ID token");
    time_t now = e->now();
    pthread_mutex_lock(&e->lock);
    *token = cache_get(e, scope, now);
    pthread_mutex_unlock(&e->lock);
    if (*token)
        return 0;
    /* threads that missed together wait for one request instead of each sending theirs */
    pthread_mutex_lock(&e->fetch_lock);
    pthread_mutex_lock(&e->lock);
    *token = cache_get(e, scope, now);
    pthread_mutex_unlock(&e->lock);
    int rc = 0;
    time_t exp = 0;
    if (!*token && !(rc = fetch(e, scope, now, token, &exp, errstr, errsz))) {
        pthread_mutex_lock(&e->lock);
        cache_put(e, scope, *token, now, exp);
        pthread_mutex_unlock(&e->lock);
    }
    pthread_mutex_unlock(&e->fetch_lock);
    return rc;
}
