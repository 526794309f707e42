/* test_entra.c - the Entra ID client: the certificate assertion (header and
 * claims decoded, the signature verified with OpenSSL against the certificate),
 * certificate checks, token answers and their bounds, the sanitising of
 * Entra's refusals, cache expiry with an injected clock, the federated token
 * file re-read per request, and auth type azure's ACR exchange through the
 * registry client (re-authentication, 403, a foreign realm), against loopback
 * servers started here. */
#include "registry.h"
#include "entra_int.h"
#include "base.h"
#include "rs_test.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/test_entra_XXXXXX";

/* ---- certificates ------------------------------------------------------ */

/* A self-signed RSA (or EC) certificate valid from now+from_days to now+to_days,
 * written with its key as PEM to `name` (key encrypted when pw). Returns its path. */
static char *make_cert(const char *name, long from_days, long to_days, int ec, const char *pw,
                       X509 **cert_out, EVP_PKEY **key_out)
{
    EVP_PKEY *key = ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    X509 *x = X509_new();
    RS_REQUIRE(key && x);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), from_days * 86400);
    X509_gmtime_adj(X509_getm_notAfter(x), to_days * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
    X509_set_issuer_name(x, n);
    RS_REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f != NULL);
    if (pw)
        PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), (const unsigned char *)pw,
                             (int)strlen(pw), NULL, NULL);
    else
        PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, x);
    fclose(f);
    if (cert_out)
        *cert_out = x;
    else
        X509_free(x);
    if (key_out)
        *key_out = key;
    else
        EVP_PKEY_free(key);
    return strdup(path);
}

static char *b64url_of(const unsigned char *d, size_t n)
{
    unsigned char out[128];
    int len = EVP_EncodeBlock(out, d, (int)n);
    while (len > 0 && out[len - 1] == '=')
        len--;
    for (int i = 0; i < len; i++)
        out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    return strndup((char *)out, (size_t)len);
}

static json_t *decode_part(const char *s, size_t n)
{
    char *raw = NULL;
    size_t rlen = 0;
    RS_REQUIRE(rs_base64_decode(s, n, &raw, &rlen) == 0);
    json_t *j = json_loadb(raw, rlen, 0, NULL);
    free(raw);
    RS_REQUIRE(j != NULL);
    return j;
}

static int verify_sig(X509 *cert, const char *jwt)
{
    const char *d2 = strrchr(jwt, '.');
    char *sig = NULL;
    size_t slen = 0;
    RS_REQUIRE(d2 && rs_base64_decode(d2 + 1, strlen(d2 + 1), &sig, &slen) == 0);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, X509_get0_pubkey(cert)) == 1 &&
             EVP_DigestVerify(ctx, (unsigned char *)sig, slen, (const unsigned char *)jwt,
                              (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(ctx);
    free(sig);
    return ok;
}

static void test_assertion(void)
{
    X509 *x = NULL;
    char *path = make_cert("good.pem", -1, 365, 0, NULL, &x, NULL);
    rs_entra_cert *c = NULL;
    char err[512];
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), 0);
    RS_REQUIRE(c != NULL);
    const char *aud = "https://127.0.0.1:1/tid/oauth2/v2.0/token";
    time_t now = time(NULL);
    char *jwt = NULL;
    RS_CHECK_INT(rs_entra_assertion(c, "cid-1", aud, now, &jwt, err, sizeof err), 0);
    RS_REQUIRE(jwt != NULL);
    const char *d1 = strchr(jwt, '.'), *d2 = strrchr(jwt, '.');
    RS_REQUIRE(d1 && d2 && d1 != d2);
    json_t *h = decode_part(jwt, (size_t)(d1 - jwt));
    json_t *p = decode_part(d1 + 1, (size_t)(d2 - d1 - 1));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdl = 0;
    X509_digest(x, EVP_sha1(), md, &mdl);
    char *x5t = b64url_of(md, mdl);
    X509_digest(x, EVP_sha256(), md, &mdl);
    char *x5t256 = b64url_of(md, mdl);
    RS_CHECK_INT(json_object_size(h), 4);
    RS_CHECK_STR(json_string_value(json_object_get(h, "alg")), "RS256");
    RS_CHECK_STR(json_string_value(json_object_get(h, "typ")), "JWT");
    RS_CHECK_STR(json_string_value(json_object_get(h, "x5t")), x5t);
    RS_CHECK_STR(json_string_value(json_object_get(h, "x5t#S256")), x5t256);
    RS_CHECK_INT(json_object_size(p), 7);
    RS_CHECK_STR(json_string_value(json_object_get(p, "aud")), aud);
    RS_CHECK_STR(json_string_value(json_object_get(p, "iss")), "cid-1");
    RS_CHECK_STR(json_string_value(json_object_get(p, "sub")), "cid-1");
    RS_CHECK_INT(strlen(json_string_value(json_object_get(p, "jti"))), 36);
    RS_CHECK_INT(json_integer_value(json_object_get(p, "iat")), now);
    RS_CHECK_INT(json_integer_value(json_object_get(p, "nbf")), now);
    RS_CHECK_INT(json_integer_value(json_object_get(p, "exp")), now + 600);
    RS_CHECK(verify_sig(x, jwt));
    /* the check can fail: a changed claim breaks the signature */
    char *bad = strdup(jwt);
    bad[(d1 - jwt) + 3] = bad[(d1 - jwt) + 3] == 'A' ? 'B' : 'A';
    RS_CHECK(!verify_sig(x, bad));
    /* two assertions differ in jti */
    char *jwt2 = NULL;
    RS_CHECK_INT(rs_entra_assertion(c, "cid-1", aud, now, &jwt2, err, sizeof err), 0);
    RS_CHECK(jwt2 && strcmp(jwt, jwt2) != 0);
    free(jwt2);
    free(bad);
    free(x5t);
    free(x5t256);
    json_decref(h);
    json_decref(p);
    free(jwt);
    rs_entra_cert_free(c);
    X509_free(x);
    free(path);
}

static void test_cert_refusals(void)
{
    char err[512];
    rs_entra_cert *c = NULL;
    char *jwt = NULL;
    /* expired: refused locally, naming the client and the date */
    char *path = make_cert("expired.pem", -30, -1, 0, NULL, NULL, NULL);
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), 0);
    RS_CHECK_INT(rs_entra_assertion(c, "cid-2", "https://a/t", time(NULL), &jwt, err, sizeof err),
                 RS_ERR_UNAUTHORIZED);
    RS_CHECK(jwt == NULL);
    RS_CHECK(strstr(err, "client certificate of client 'cid-2' expired on 20") != NULL);
    rs_entra_cert_free(c);
    free(path);
    /* not yet valid */
    path = make_cert("future.pem", 2, 30, 0, NULL, NULL, NULL);
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), 0);
    RS_CHECK_INT(rs_entra_assertion(c, "cid-3", "https://a/t", time(NULL), &jwt, err, sizeof err),
                 RS_ERR_UNAUTHORIZED);
    RS_CHECK(strstr(err, "is not valid before") != NULL);
    rs_entra_cert_free(c);
    free(path);
    /* an EC key: Entra ID takes RS256 */
    path = make_cert("ec.pem", -1, 30, 1, NULL, NULL, NULL);
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK(strstr(err, "not an RSA key") != NULL);
    free(path);
    /* an encrypted key: the password opens it, no or a wrong one does not */
    path = make_cert("enc.pem", -1, 30, 0, "pw-123", NULL, NULL);
    RS_CHECK_INT(rs_entra_cert_load(path, "pw-123", &c, err, sizeof err), 0);
    rs_entra_cert_free(c);
    RS_CHECK_INT(rs_entra_cert_load(path, "bad-pw-x", &c, err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK(strstr(err, "no usable private key") != NULL && !strstr(err, "bad-pw-x"));
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), RS_ERR_CONFIG);
    free(path);
    /* a key that is not the certificate's */
    EVP_PKEY *other = EVP_RSA_gen(2048);
    X509 *x = NULL;
    path = make_cert("mismatch.pem", -1, 30, 0, NULL, &x, NULL);
    FILE *f = fopen(path, "w");
    PEM_write_PrivateKey(f, other, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, x);
    fclose(f);
    RS_CHECK_INT(rs_entra_cert_load(path, NULL, &c, err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK(strstr(err, "does not match the certificate") != NULL);
    EVP_PKEY_free(other);
    X509_free(x);
    free(path);
    RS_CHECK_INT(rs_entra_cert_load("/nonexistent/x.pem", NULL, &c, err, sizeof err),
                 RS_ERR_CONFIG);
    RS_CHECK(strstr(err, "client_certificate_file '/nonexistent/x.pem': cannot open") != NULL);
}

/* ---- answers, refusals, freshness ------------------------------------- */

static int parse(const char *body, time_t now, time_t *exp)
{
    char *tok = NULL, err[256];
    int rc = rs_entra_answer_parse(body, strlen(body), now, &tok, exp, err, sizeof err);
    RS_CHECK(rc ? tok == NULL : tok != NULL);
    free(tok);
    return rc;
}

static void test_answers(void)
{
    time_t exp = 0;
    RS_CHECK_INT(parse("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"a.b.c\"}",
                       1000, &exp),
                 0);
    RS_CHECK_INT(exp, 4599);
    RS_CHECK_INT(parse("{\"expires_in\":\"120\",\"access_token\":\"abc\"}", 1000, &exp), 0);
    RS_CHECK_INT(exp, 1120);
    /* a JWT whose exp comes first: {"exp":2000} */
    RS_CHECK_INT(parse("{\"expires_in\":3600,\"access_token\":\"eyJhbGciOiJub25lIn0."
                       "eyJleHAiOjIwMDB9.sig\"}",
                       1000, &exp),
                 0);
    RS_CHECK_INT(exp, 2000);
    const char *bad[] = {
        "not json",
        "[]",
        "{\"expires_in\":60}",
        "{\"expires_in\":60,\"access_token\":\"\"}",
        "{\"expires_in\":60,\"access_token\":\"a b\"}",
        "{\"expires_in\":60,\"access_token\":\"a\\u0000b\"}",
        "{\"expires_in\":60,\"access_token\":\"a\\nb\"}",
        "{\"expires_in\":60,\"access_token\":7}",
        "{\"token_type\":\"mac\",\"expires_in\":60,\"access_token\":\"abc\"}",
        "{\"token_type\":1,\"expires_in\":60,\"access_token\":\"abc\"}",
        "{\"expires_in\":0,\"access_token\":\"abc\"}",
        "{\"expires_in\":-5,\"access_token\":\"abc\"}",
        "{\"expires_in\":86401,\"access_token\":\"abc\"}",
        "{\"expires_in\":\"12a\",\"access_token\":\"abc\"}",
        "{\"expires_in\":1.5,\"access_token\":\"abc\"}",
        "{\"access_token\":\"abc\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (parse(bad[i], 1000, &exp) != RS_ERR_INVALID)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        RS_CHECK_INT(parse(bad[i], 1000, &exp), RS_ERR_INVALID);
    }
    /* a token over 64 KiB */
    rs_buf b = RS_BUF_INIT;
    rs_buf_puts(&b, "{\"expires_in\":60,\"access_token\":\"");
    for (int i = 0; i < 65 * 1024; i++)
        rs_buf_puts(&b, "a");
    rs_buf_puts(&b, "\"}");
    RS_CHECK_INT(parse(b.data, 1000, &exp), RS_ERR_INVALID);
    rs_buf_free(&b);
}

static void test_refusals(void)
{
    char out[256];
    const char *secret_desc =
        "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client "
        "secret provided. Ensure the secret being sent in the request is the client secret "
        "value, not the client secret ID, for a secret added to app 'x'.\\r\\nTrace ID: 1\","
        "\"error_codes\":[7000215]}";
    rs_entra_refusal(secret_desc, strlen(secret_desc), out, sizeof out);
    RS_CHECK_STR(out, "AADSTS7000215 invalid client secret provided");
    const char *expired = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700027: "
                          "Client assertion contains an invalid signature. [Reason - The key "
                          "used is expired.]\",\"error_codes\":[700027]}";
    rs_entra_refusal(expired, strlen(expired), out, sizeof out);
    RS_CHECK_STR(out, "AADSTS700027 client assertion contains an invalid signature");
    /* the code from the text when error_codes is absent; long words (tokens, secrets),
     * control characters and non-ASCII are left out */
    const char *hostile = "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90002: "
                          "Tenant eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl \\u001b[31m "
                          "abc~secret~value~0123456789 not found\"}";
    rs_entra_refusal(hostile, strlen(hostile), out, sizeof out);
    RS_CHECK_STR(out, "AADSTS90002 tenant [...] not found");
    rs_entra_refusal("<html>", 6, out, sizeof out);
    RS_CHECK_STR(out, "no error description");
    const char *plain = "{\"error\":\"temporarily_unavailable\"}";
    rs_entra_refusal(plain, strlen(plain), out, sizeof out);
    RS_CHECK_STR(out, "temporarily_unavailable");
    /* bounded: a very long description of short words */
    rs_buf b = RS_BUF_INIT;
    rs_buf_puts(&b, "{\"error_description\":\"AADSTS1: ");
    for (int i = 0; i < 5000; i++)
        rs_buf_puts(&b, "word ");
    rs_buf_puts(&b, "\"}");
    rs_entra_refusal(b.data, b.len, out, sizeof out);
    RS_CHECK(strlen(out) <= 170);
    RS_CHECK(!strncmp(out, "AADSTS1 word word", 17));
    rs_buf_free(&b);
}

static void test_fresh_and_form(void)
{
    RS_CHECK(rs_entra_fresh(1000, 4600, 4299));  /* an hour: 5 minutes' margin */
    RS_CHECK(!rs_entra_fresh(1000, 4600, 4300));
    RS_CHECK(rs_entra_fresh(1000, 1008, 1005));  /* 8 s: a quarter */
    RS_CHECK(!rs_entra_fresh(1000, 1008, 1006));
    RS_CHECK(!rs_entra_fresh(1000, 900, 950));   /* already expired */
    rs_buf b = RS_BUF_INIT;
    RS_CHECK_INT(rs_http_form_add(&b, "scope", "https://x/.default"), 0);
    RS_CHECK_INT(rs_http_form_add(&b, "k y", "a&b=c~d\xc3\xa9+"), 0);
    RS_CHECK_STR(b.data, "scope=https%3A%2F%2Fx%2F.default&k%20y=a%26b%3Dc~d%C3%A9%2B");
    rs_buf_free(&b);
}

/* ---- a loopback token endpoint ------------------------------------------ */

struct srv;
/* Answers a request: sets s->status, s->answer and s->extra (headers). */
typedef void (*route_fn)(struct srv *s, const char *head, const char *body);

struct srv {
    int fd, port;
    pthread_t th;
    atomic_int stop, count;
    int status;
    char answer[1024];
    char extra[512];
    char last_body[8192];
    route_fn route; /* NULL: the canned status and answer */
    void *ctx;
};

static void read_request(int c, char *head, size_t hsz, char *body, size_t bsz)
{
    char buf[16384];
    size_t n = 0;
    char *hend = NULL;
    long clen = 0;
    while (n + 1 < sizeof buf) {
        ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        buf[n] = '\0';
        if (!hend && (hend = strstr(buf, "\r\n\r\n"))) {
            const char *cl = strcasestr(buf, "content-length:");
            clen = cl ? strtol(cl + 15, NULL, 10) : 0;
        }
        if (hend && (long)(n - (size_t)(hend + 4 - buf)) >= clen)
            break;
    }
    snprintf(body, bsz, "%s", hend ? hend + 4 : "");
    snprintf(head, hsz, "%.*s", hend ? (int)(hend - buf) : 0, buf);
}

static void *srv_main(void *opaque)
{
    struct srv *s = opaque;
    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = {s->fd, POLLIN, 0};
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        char head[8192];
        read_request(c, head, sizeof head, s->last_body, sizeof s->last_body);
        atomic_fetch_add(&s->count, 1);
        s->extra[0] = '\0';
        if (s->route)
            s->route(s, head, s->last_body);
        char out[4096];
        int n = snprintf(out, sizeof out,
                         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
                         "%zu\r\n%sConnection: close\r\n\r\n%s",
                         s->status, strlen(s->answer), s->extra, s->answer);
        if (write(c, out, (size_t)n) < 0)
            perror("write");
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static void srv_start(struct srv *s)
{
    memset(s, 0, sizeof *s);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    RS_REQUIRE(bind(s->fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(s->fd, 16) == 0);
    getsockname(s->fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    s->status = 200;
    pthread_create(&s->th, NULL, srv_main, s);
}

static void srv_stop(struct srv *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->th, NULL);
    close(s->fd);
}

static time_t fake_now;
static time_t clock_fake(void)
{
    return fake_now;
}

static rs_entra *client(struct srv *s, rs_http *http, const char *secret, const char *fedfile)
{
    char authority[64], err[512];
    snprintf(authority, sizeof authority, "http://127.0.0.1:%d/", s->port);
    rs_azure_conf conf = {.tenant_id = "tid-1", .client_id = "cid-1",
                          .client_secret = (char *)secret, .federated_token_file = (char *)fedfile,
                          .authority = authority};
    rs_entra *e = rs_entra_new(&conf, http, err, sizeof err);
    if (!e)
        fprintf(stderr, "  %s\n", err);
    RS_REQUIRE(e != NULL);
    rs_entra_set_clock(e, clock_fake);
    return e;
}

static int get(rs_entra *e, const char *scope, char *err, size_t errsz)
{
    char *tok = NULL;
    int rc = rs_entra_token(e, scope, &tok, err, errsz);
    if (!rc)
        RS_CHECK_STR(tok, "tok-1");
    free(tok);
    return rc;
}

static void test_client(void)
{
    struct srv s;
    srv_start(&s);
    snprintf(s.answer, sizeof s.answer,
             "{\"token_type\":\"Bearer\",\"expires_in\":3600,\"access_token\":\"tok-1\"}");
    static const rs_http_policy fast = {1, 1, 5, 100, 2000, 1, 5, 5};
    rs_http *http = rs_http_new(&fast);
    char err[512];
    rs_entra *e = client(&s, http, "the-secret-1", NULL);
    fake_now = 1000000;
    RS_CHECK_INT(get(e, "https://r/.default", err, sizeof err), 0);
    RS_CHECK_STR(s.last_body, "grant_type=client_credentials&client_id=cid-1&scope=https%3A%2F%2Fr"
                              "%2F.default&client_secret=the-secret-1");
    fake_now += 3299; /* 5 minutes before expiry: still cached */
    RS_CHECK_INT(get(e, "https://r/.default", err, sizeof err), 0);
    RS_CHECK_INT(atomic_load(&s.count), 1);
    RS_CHECK_INT(get(e, "https://other/.default", err, sizeof err), 0); /* per scope */
    RS_CHECK_INT(atomic_load(&s.count), 2);
    fake_now += 1; /* inside the margin: renewed */
    RS_CHECK_INT(get(e, "https://r/.default", err, sizeof err), 0);
    RS_CHECK_INT(atomic_load(&s.count), 3);
    /* a refusal names tenant, client and code, never the secret Entra echoes */
    s.status = 401;
    snprintf(s.answer, sizeof s.answer,
             "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client "
             "secret the-secret-1 provided.\",\"error_codes\":[7000215]}");
    RS_CHECK_INT(get(e, "https://third/.default", err, sizeof err), RS_ERR_UNAUTHORIZED);
    RS_CHECK_STR(err, "Entra ID refused client cid-1 in tenant tid-1: AADSTS7000215 invalid "
                      "client secret [...] provided");
    s.status = 503;
    RS_CHECK_INT(get(e, "https://third/.default", err, sizeof err), RS_ERR_UNREACHABLE);
    rs_entra_destroy(e);

    /* workload identity: the token file is read for every request */
    s.status = 200;
    snprintf(s.answer, sizeof s.answer, "{\"expires_in\":3600,\"access_token\":\"tok-1\"}");
    char fed[256];
    snprintf(fed, sizeof fed, "%s/sa-token", tmpdir);
    FILE *f = fopen(fed, "w");
    fputs("aaa.bbb.ccc\n", f);
    fclose(f);
    e = client(&s, http, NULL, fed);
    RS_CHECK_INT(get(e, "https://r/.default", err, sizeof err), 0);
    RS_CHECK(strstr(s.last_body, "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
                                 "client-assertion-type%3Ajwt-bearer"
                                 "&client_assertion=aaa.bbb.ccc"));
    f = fopen(fed, "w");
    fputs("ddd.eee.fff", f);
    fclose(f);
    RS_CHECK_INT(get(e, "https://s/.default", err, sizeof err), 0);
    RS_CHECK(strstr(s.last_body, "client_assertion=ddd.eee.fff") != NULL);
    unlink(fed);
    RS_CHECK_INT(get(e, "https://t/.default", err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK(strstr(err, "federated_token_file '") != NULL);
    rs_entra_destroy(e);

    /* no credential, or two: refused at creation */
    rs_azure_conf none = {.tenant_id = "t", .client_id = "c", .authority = "https://a"};
    RS_CHECK(rs_entra_new(&none, http, err, sizeof err) == NULL);
    RS_CHECK(strstr(err, "no credential kinds") != NULL);
    rs_azure_conf two = none;
    two.client_secret = "x";
    two.federated_token_file = "/f";
    RS_CHECK(rs_entra_new(&two, http, err, sizeof err) == NULL);
    RS_CHECK(strstr(err, "several credential kinds") != NULL);
    rs_azure_conf plain = {.tenant_id = "t", .client_id = "c", .client_secret = "x",
                           .authority = "http://login.example.test"};
    RS_CHECK(rs_entra_new(&plain, http, err, sizeof err) == NULL);
    RS_CHECK(strstr(err, "https") != NULL);
    rs_http_destroy(http);
    srv_stop(&s);
}

/* ---- auth type azure end to end against a loopback "ACR" ---------------- */

struct acr {
    int valid_access;   /* the access token the registry accepts now ("acc-<n>"), 0: none */
    int refresh_issued; /* refresh tokens given out */
    int access_issued;
    int exchange, token, v2; /* requests */
    int exchange_status;
    char realm_host[64]; /* where the challenge's realm points */
    char last_exchange[2048], last_token[2048];
};

static void acr_route(struct srv *s, const char *head, const char *body)
{
    struct acr *a = s->ctx;
    s->status = 200;
    snprintf(s->answer, sizeof s->answer, "{}");
    if (!strncmp(head, "POST /oauth2/exchange ", 22)) {
        a->exchange++;
        snprintf(a->last_exchange, sizeof a->last_exchange, "%s", body);
        s->status = a->exchange_status;
        if (s->status == 200)
            snprintf(s->answer, sizeof s->answer, "{\"refresh_token\":\"ref-%d\"}",
                     ++a->refresh_issued);
    } else if (!strncmp(head, "POST /oauth2/token ", 19)) {
        a->token++;
        snprintf(a->last_token, sizeof a->last_token, "%s", body);
        snprintf(s->answer, sizeof s->answer, "{\"access_token\":\"acc-%d\"}",
                 ++a->access_issued);
    } else if (!strncmp(head, "GET /v2/ ", 9)) {
        a->v2++;
        char want[64];
        snprintf(want, sizeof want, "Authorization: Bearer acc-%d\r", a->valid_access);
        char h[8200];
        snprintf(h, sizeof h, "%s\r", head);
        if (a->valid_access && strstr(h, want))
            return;
        s->status = 401;
        snprintf(s->extra, sizeof s->extra,
                 "WWW-Authenticate: Bearer realm=\"http://%s/oauth2/token\","
                 "service=\"acr.test\"\r\n",
                 a->realm_host);
    }
}

static rs_registry *acr_client(struct srv *reg, struct srv *entra)
{
    char url[64], authority[64], err[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", reg->port);
    snprintf(authority, sizeof authority, "http://127.0.0.1:%d", entra->port);
    rs_registry_conf rc = {.url = url, .host = url + 7, .insecure = 1};
    rc.auth.type = RS_AUTH_AZURE;
    rc.auth.azure = (rs_azure_conf){.tenant_id = "tid-9", .client_id = "cid-9",
                                    .client_secret = "sec-9", .authority = authority,
                                    .acr_audience = "https://acr.audience.test/"};
    static const rs_http_policy fast = {1, 1, 5, 100, 2000, 1, 5, 5};
    rs_registry *r = rs_registry_new_with_policy(&rc, &fast, err, sizeof err);
    RS_REQUIRE(r != NULL);
    return r;
}

static void test_acr(void)
{
    struct srv reg, entra;
    struct acr a = {.exchange_status = 200};
    srv_start(&reg);
    srv_start(&entra);
    reg.route = acr_route;
    reg.ctx = &a;
    snprintf(a.realm_host, sizeof a.realm_host, "127.0.0.1:%d", reg.port);
    snprintf(entra.answer, sizeof entra.answer, "{\"expires_in\":3600,\"access_token\":\"aad-1\"}");
    rs_registry *r = acr_client(&reg, &entra);
    char err[1024];
    a.valid_access = 1;
    /* first contact: challenge, Entra token, exchange, token, retry */
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), 0);
    RS_CHECK_INT(atomic_load(&entra.count), 1);
    RS_CHECK(strstr(entra.last_body, "scope=https%3A%2F%2Facr.audience.test%2F.default&") != NULL);
    RS_CHECK_STR(a.last_exchange,
                 "grant_type=access_token&service=acr.test&tenant=tid-9&access_token=aad-1");
    RS_CHECK_STR(a.last_token, "grant_type=refresh_token&service=acr.test&refresh_token=ref-1");
    RS_CHECK_INT(a.v2, 2);
    /* cached: one request, no token traffic */
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), 0);
    RS_CHECK_INT(a.v2, 3);
    RS_CHECK_INT(a.exchange + a.token, 2);
    /* the registry stops taking the token: one re-authentication from the cached Entra
     * token (a new exchange: the refresh token was dropped too), then it works */
    a.valid_access = 2;
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), 0);
    RS_CHECK_INT(a.v2, 5);
    RS_CHECK_INT(a.exchange, 2);
    RS_CHECK_INT(a.token, 2);
    RS_CHECK_INT(atomic_load(&entra.count), 1);
    RS_CHECK_STR(a.last_token, "grant_type=refresh_token&service=acr.test&refresh_token=ref-2");
    /* it takes nothing: one re-authentication, then UNAUTHORIZED */
    a.valid_access = 0;
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), RS_ERR_UNAUTHORIZED);
    RS_CHECK_INT(a.v2, 7);
    RS_CHECK_INT(a.exchange, 3);
    RS_CHECK(strstr(err, "acc-") == NULL && strstr(err, "ref-") == NULL);
    rs_registry_destroy(r);

    /* no AcrPull: 403 at the exchange */
    a.exchange_status = 403;
    r = acr_client(&reg, &entra);
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), RS_ERR_UNAUTHORIZED);
    char want[256];
    snprintf(want, sizeof want,
             "registry 127.0.0.1:%d: the identity has no pull permission (403 at /oauth2/exchange)",
             reg.port);
    RS_CHECK(strstr(err, want) != NULL);
    rs_registry_destroy(r);

    /* a realm on another origin never gets the Entra token */
    a.exchange_status = 200;
    snprintf(a.realm_host, sizeof a.realm_host, "127.0.0.1:%d", entra.port);
    int entra_before = atomic_load(&entra.count), ex_before = a.exchange;
    r = acr_client(&reg, &entra);
    RS_CHECK_INT(rs_registry_ping(r, err, sizeof err), RS_ERR_UNAUTHORIZED);
    RS_CHECK(strstr(err, "is not on the registry's own origin") != NULL);
    RS_CHECK_INT(atomic_load(&entra.count), entra_before);
    RS_CHECK_INT(a.exchange, ex_before);
    rs_registry_destroy(r);
    srv_stop(&reg);
    srv_stop(&entra);
}

int main(void)
{
    RS_REQUIRE(mkdtemp(tmpdir) != NULL);
    test_assertion();
    test_cert_refusals();
    test_answers();
    test_refusals();
    test_fresh_and_form();
    test_client();
    test_acr();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd))
        perror("rm");
    return RS_TEST_RESULT();
}
