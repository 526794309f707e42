/* http.c - libcurl wrapper: bounded requests, own redirects, retries, streams.
 *
 * Redirects are followed here, not by curl, so that the Authorization value
 * is dropped the moment the scheme, host or port changes (a blob GET on ACR
 * answers 307 to a signed storage URL that rejects it). Easy handles are
 * pooled per client so connections are reused across requests; streams use a
 * private multi handle driven from inside read(). Messages carry only URLs
 * without their query string, and redirect targets not at all. */
#include "registry.h"
#include "base.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POOL_MAX 16
#define DEFAULT_MAX_BODY (1024u * 1024)
#define STREAM_CHUNK (64 * 1024)
#define STREAM_BUF_MAX (4u * 1024 * 1024)
#define ERROR_BODY_MAX RS_HTTP_ERROR_BODY_MAX

struct rs_http {
    rs_http_policy policy;
    pthread_mutex_t lock;
    CURL *pool[POOL_MAX];
    int n_pool;
    /* the gate and the origin it guards (rs_http_set_gate) */
    rs_http_gate gate;
    int has_gate;
    char gate_scheme[16], gate_host[256], gate_port[16];
    char gate_name[256];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_rc = 0;
/* REGSCAN_CA_FILE: the CA bundle TLS peers are verified against instead of the
 * system's (a private CA; the tests' stand-ins), read once per process */
static const char *global_ca_file;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
    const char *ca = getenv("REGSCAN_CA_FILE");
    global_ca_file = ca && *ca ? ca : NULL;
}

rs_http *rs_http_new(const rs_http_policy *policy)
{
    pthread_once(&global_once, global_init);
    if (global_rc)
        return NULL;
    rs_http *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    static const rs_http_policy dflt = RS_HTTP_POLICY_DEFAULT;
    h->policy = policy ? *policy : dflt;
    /* no policy given: the environment's; a bad value was refused by
     * rs_registry_new already, so here it only leaves the default */
    if (!policy && rs_http_policy_env(&h->policy, NULL, 0))
        h->policy = dflt;
    if (h->policy.max_retries < 0)
        h->policy.max_retries = 0;
    if (h->policy.max_redirects < 0)
        h->policy.max_redirects = 0;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

void rs_http_destroy(rs_http *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->n_pool; i++)
        curl_easy_cleanup(h->pool[i]);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static CURL *pool_get(rs_http *h)
{
    CURL *c = NULL;
    pthread_mutex_lock(&h->lock);
    if (h->n_pool > 0)
        c = h->pool[--h->n_pool];
    pthread_mutex_unlock(&h->lock);
    if (c)
        curl_easy_reset(c); /* keeps the handle's connection cache */
    else
        c = curl_easy_init();
    return c;
}

static void pool_put(rs_http *h, CURL *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&h->lock);
    if (h->n_pool < POOL_MAX) {
        h->pool[h->n_pool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->lock);
    if (c)
        curl_easy_cleanup(c);
}

void rs_http_response_free(rs_http_response *resp)
{
    if (!resp)
        return;
    free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}

int rs_http_status_retryable(long status)
{
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

long rs_http_retry_after_ms(const char *value, long long now)
{
    if (!value)
        return -1;
    while (*value == ' ' || *value == '\t')
        value++;
    if (!*value)
        return -1;
    if (*value >= '0' && *value <= '9') {
        char *end;
        errno = 0;
        unsigned long long secs = strtoull(value, &end, 10);
        while (*end == ' ' || *end == '\t')
            end++;
        if (errno || *end)
            return -1;
        if (secs > 86400ULL * 365)
            secs = 86400ULL * 365;
        return (long)(secs * 1000);
    }
    time_t when = curl_getdate(value, NULL);
    if (when == (time_t)-1)
        return -1;
    long long delta = (long long)when - now;
    if (delta < 0)
        delta = 0;
    if (delta > 86400LL * 365)
        delta = 86400LL * 365;
    return (long)(delta * 1000);
}

static unsigned jitter_rand(void)
{
    static _Thread_local unsigned state;
    if (!state) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        state = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)&ts ^ 0x9e3779b9u;
        if (!state)
            state = 1;
    }
    /* xorshift32: enough for jitter, no shared state between threads */
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

long rs_http_backoff_ms(const rs_http_policy *p, int attempt)
{
    long d = p->backoff_base_ms > 0 ? p->backoff_base_ms : 0;
    for (int i = 0; i < attempt && d < p->backoff_cap_ms; i++)
        d *= 2;
    if (d > p->backoff_cap_ms)
        d = p->backoff_cap_ms;
    if (d <= 1)
        return d;
    long half = d / 2;
    return half + (long)(jitter_rand() % (unsigned long)(d - half + 1));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Splits an absolute URL into scheme, host and port (default port filled). */
static int url_origin(const char *url, char *scheme, size_t ssz, char *host, size_t hsz, char *port,
                      size_t psz)
{
    CURLU *u = curl_url();
    if (!u)
        return -1;
    int rc = -1;
    char *s = NULL, *hh = NULL, *p = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &s, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &hh, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
        goto out;
    snprintf(scheme, ssz, "%s", s);
    snprintf(host, hsz, "%s", hh);
    snprintf(port, psz, "%s", p);
    for (char *c = scheme; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    for (char *c = host; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    rc = 0;
out:
    curl_free(s);
    curl_free(hh);
    curl_free(p);
    curl_url_cleanup(u);
    return rc;
}

int rs_http_form_add(rs_buf *b, const char *name, const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = b->len ? rs_buf_puts(b, "&") : 0;
    for (int part = 0; part < 2 && !rc; part++) {
        for (const char *s = part ? value : name; *s && !rc; s++) {
            unsigned char c = (unsigned char)*s;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_' || c == '~') {
                rc = rs_buf_append(b, s, 1);
            } else {
                char e[3] = {'%', hex[c >> 4], hex[c & 15]};
                rc = rs_buf_append(b, e, 3);
            }
        }
        if (!part && !rc)
            rc = rs_buf_puts(b, "=");
    }
    return rc ? RS_ERR_INTERNAL : 0;
}

void rs_http_form_free(rs_buf *form, rs_http_response *resp)
{
    if (resp) {
        if (resp->body)
            memset(resp->body, 0, resp->body_len);
        rs_http_response_free(resp);
    }
    if (form) {
        if (form->data)
            memset(form->data, 0, form->len);
        rs_buf_free(form);
    }
}

int rs_http_same_origin(const char *a, const char *b)
{
    char sa[16], ha[256], pa[16], sb[16], hb[256], pb[16];
    if (url_origin(a, sa, sizeof sa, ha, sizeof ha, pa, sizeof pa) ||
        url_origin(b, sb, sizeof sb, hb, sizeof hb, pb, sizeof pb))
        return 0;
    return !strcmp(sa, sb) && !strcmp(ha, hb) && !strcmp(pa, pb);
}

int rs_http_url_on_host(const char *url, const char *host)
{
    char s[16], h[256], p[16], want[256];
    if (!host || url_origin(url, s, sizeof s, h, sizeof h, p, sizeof p))
        return 0;
    /* "name:port" or "[v6]:port": the name, without brackets (curl gives it so) */
    size_t n = host[0] == '[' ? strcspn(host, "]") : strcspn(host, ":");
    const char *start = host[0] == '[' ? host + 1 : host;
    if (host[0] == '[')
        n = n ? n - 1 : 0;
    snprintf(want, sizeof want, "%.*s", (int)n, start);
    const char *got = h[0] == '[' ? h + 1 : h;
    size_t glen = strcspn(got, "]");
    return glen == strlen(want) && !strncasecmp(got, want, glen);
}

/* ---- the gate ------------------------------------------------------- */

int rs_http_set_gate(rs_http *h, const char *origin_url, const char *name,
                     const rs_http_gate *gate)
{
    h->has_gate = 0;
    if (!gate || !gate->acquire)
        return 0;
    if (!origin_url || !name ||
        url_origin(origin_url, h->gate_scheme, sizeof h->gate_scheme, h->gate_host,
                   sizeof h->gate_host, h->gate_port, sizeof h->gate_port))
        return RS_ERR_INVALID;
    snprintf(h->gate_name, sizeof h->gate_name, "%s", name);
    h->gate = *gate;
    h->has_gate = 1;
    return 0;
}

/* 1 when `url` goes to the gated origin. */
static int gated_url(const rs_http *h, const char *url)
{
    char s[16], host[256], port[16];
    if (!h->has_gate || url_origin(url, s, sizeof s, host, sizeof host, port, sizeof port))
        return 0;
    return !strcmp(s, h->gate_scheme) && !strcmp(host, h->gate_host) && !strcmp(port, h->gate_port);
}

/* Asks the gate before one attempt at `url`; *gated says whether it was asked. */
static int gate_pass(rs_http *h, const char *url, int *gated, char *errstr, size_t errsz)
{
    *gated = gated_url(h, url);
    if (!*gated)
        return 0;
    return h->gate.acquire(h->gate.ctx, h->gate_name, errstr, errsz);
}

/* Tells the gate of a 429 from its origin and the delay before the retry. */
static void gate_pause(rs_http *h, int gated, long status, long delay_ms)
{
    if (gated && status == 429 && h->has_gate && h->gate.pause)
        h->gate.pause(h->gate.ctx, h->gate_name, delay_ms);
}

/* ---- one transfer ---------------------------------------------------- */

struct stream;

struct xfer {
    rs_http_response *resp;
    rs_buf body;
    int over_limit;
    struct stream *stream; /* streaming mode when set */
    CURL *c;
    const rs_http_policy *policy;
    uint64_t t0;             /* start of the attempt (streams: shifted by idle time) */
    long long deadline_hit;  /* the deadline in ms that ended the transfer, 0: none */
    long long got, declared; /* bytes received and Content-Length when it ended */
    int error_cut;           /* a non-2xx body was cut at ERROR_BODY_MAX */
};

/* The transfer's deadline (rs_http_deadline_ms), checked by curl about once a second
 * and at every chunk; 1 aborts it (CURLE_ABORTED_BY_CALLBACK). */
static int progress_cb(void *opaque, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct xfer *x = opaque;
    (void)ultotal;
    (void)ulnow;
    long long limit = rs_http_deadline_ms(x->policy, (long long)dltotal, (long long)dlnow);
    if (limit && (long long)(rs_now_ms() - x->t0) > limit) {
        x->deadline_hit = limit;
        x->got = (long long)dlnow;
        x->declared = (long long)dltotal;
        return 1;
    }
    return 0;
}

/* Keeps a non-2xx body up to ERROR_BODY_MAX bytes in b; 0 once that is reached, which
 * ends the transfer (an endless error body costs nothing). */
static size_t error_body(struct xfer *x, rs_buf *b, const char *data, size_t n)
{
    size_t take = b->len < ERROR_BODY_MAX ? ERROR_BODY_MAX - b->len : 0;
    if (take > n)
        take = n;
    if (take && rs_buf_append(b, data, take))
        return 0;
    if (b->len >= ERROR_BODY_MAX) {
        x->error_cut = 1;
        return 0;
    }
    return n;
}

/* 1 when the response on c has a status outside 2xx. */
static int status_not_2xx(CURL *c)
{
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status < 200 || status > 299;
}

/* "deadline of N ms exceeded after G of D bytes" into out. */
static void deadline_text(const struct xfer *x, char *out, size_t out_size)
{
    if (x->declared > 0)
        snprintf(out, out_size, "transfer deadline of %lld ms exceeded after %lld of %lld bytes",
                 x->deadline_hit, x->got, x->declared);
    else
        snprintf(out, out_size, "transfer deadline of %lld ms exceeded after %lld bytes",
                 x->deadline_hit, x->got);
}

static void set_field(char *dst, size_t dsz, const char *v, size_t vlen)
{
    if (vlen >= dsz)
        vlen = dsz - 1;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static size_t header_cb(char *data, size_t size, size_t nitems, void *opaque)
{
    struct xfer *x = opaque;
    rs_http_response *r = x->resp;
    size_t n = size * nitems, len = n;
    while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
        /* a new response (interim or final): forget what the previous said */
        r->content_type[0] = r->docker_content_digest[0] = r->www_authenticate[0] = '\0';
        r->link[0] = r->retry_after[0] = r->location[0] = '\0';
        r->etag[0] = r->last_modified[0] = r->content_range[0] = '\0';
        return n;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return n;
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1;
    size_t vlen = len - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
#define IS(name) (nlen == sizeof(name) - 1 && !strncasecmp(data, name, nlen))
    if (IS("Content-Type"))
        set_field(r->content_type, sizeof r->content_type, v, vlen);
    else if (IS("Docker-Content-Digest"))
        set_field(r->docker_content_digest, sizeof r->docker_content_digest, v, vlen);
    else if (IS("WWW-Authenticate")) {
        /* several challenges may come: prefer Bearer */
        if (!r->www_authenticate[0] || (strncasecmp(r->www_authenticate, "Bearer", 6) &&
                                        vlen >= 6 && !strncasecmp(v, "Bearer", 6)))
            set_field(r->www_authenticate, sizeof r->www_authenticate, v, vlen);
    } else if (IS("Link")) {
        if (!r->link[0])
            set_field(r->link, sizeof r->link, v, vlen);
    } else if (IS("Retry-After"))
        set_field(r->retry_after, sizeof r->retry_after, v, vlen);
    else if (IS("Location"))
        set_field(r->location, sizeof r->location, v, vlen);
    else if (IS("ETag"))
        set_field(r->etag, sizeof r->etag, v, vlen);
    else if (IS("Last-Modified"))
        set_field(r->last_modified, sizeof r->last_modified, v, vlen);
    else if (IS("Content-Range"))
        set_field(r->content_range, sizeof r->content_range, v, vlen);
#undef IS
    return n;
}

static size_t body_cb(char *data, size_t size, size_t nmemb, void *opaque);

static int setup_easy(rs_http *h, CURL *c, const char *url, int head, struct curl_slist *hdrs,
                      struct xfer *x)
{
    const rs_http_policy *p = &h->policy;
    CURLcode rc = CURLE_OK;
#define SET(opt, val)                                                                              \
    if (rc == CURLE_OK)                                                                            \
    rc = curl_easy_setopt(c, opt, val)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (global_ca_file)
        SET(CURLOPT_CAINFO, global_ca_file);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, p->connect_timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, p->low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, p->low_speed_time);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, "regscan/0.1");
    SET(CURLOPT_HTTPHEADER, hdrs);
    SET(CURLOPT_HEADERFUNCTION, header_cb);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_WRITEFUNCTION, body_cb);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_BUFFERSIZE, (long)STREAM_CHUNK);
    x->c = c;
    x->policy = p;
    x->t0 = rs_now_ms();
    x->deadline_hit = 0;
    x->error_cut = 0;
    SET(CURLOPT_XFERINFOFUNCTION, progress_cb);
    SET(CURLOPT_XFERINFODATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
    if (head) {
        SET(CURLOPT_NOBODY, 1L);
    } else {
        SET(CURLOPT_HTTPGET, 1L);
    }
#undef SET
    return rc == CURLE_OK ? 0 : -1;
}

static int is_post(const rs_http_request *req)
{
    return req->method && !strcmp(req->method, "POST");
}

/* A POST's body: set after setup_easy, whose HTTPGET it replaces. */
static int setup_post(CURL *c, const rs_http_request *req)
{
    CURLcode rc = curl_easy_setopt(c, CURLOPT_POST, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
    return rc == CURLE_OK ? 0 : -1;
}

/* Headers of one hop: the caller's plus Authorization when allowed. */
static struct curl_slist *build_headers(const rs_http_request *req, int send_auth, int *err)
{
    struct curl_slist *l = NULL, *t;
    *err = 0;
    if (is_post(req)) {
        char ct[320];
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 req->content_type ? req->content_type : "application/octet-stream");
        /* "Expect: 100-continue" would cost a round trip per token request */
        if (!(t = curl_slist_append(l, ct)))
            goto fail;
        l = t;
        if (!(t = curl_slist_append(l, "Expect:")))
            goto fail;
        l = t;
    }
    for (const char *const *hp = req->headers; hp && *hp; hp++) {
        if (!(t = curl_slist_append(l, *hp)))
            goto fail;
        l = t;
    }
    if (send_auth && req->authorization && *req->authorization) {
        rs_buf b = RS_BUF_INIT;
        if (rs_buf_printf(&b, "Authorization: %s", req->authorization)) {
            rs_buf_free(&b);
            goto fail;
        }
        t = curl_slist_append(l, b.data);
        /* scrub the copy: it held a credential */
        memset(b.data, 0, b.len);
        rs_buf_free(&b);
        if (!t)
            goto fail;
        l = t;
    }
    return l;
fail:
    curl_slist_free_all(l);
    *err = 1;
    return NULL;
}

static int curl_transient(CURLcode c)
{
    switch (c) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* Decides the next hop after a redirect; returns 0 with *next malloc'd. */
static int next_hop(CURL *c, const char *cur, char **next, int *send_auth, char *errstr,
                    size_t errsz, const char *what)
{
    char *loc = NULL;
    if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) != CURLE_OK || !loc || !*loc)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "redirect without a usable location from '%s'", what);
    char s1[16], h1[256], p1[16], s2[16], h2[256], p2[16];
    if (url_origin(cur, s1, sizeof s1, h1, sizeof h1, p1, sizeof p1) ||
        url_origin(loc, s2, sizeof s2, h2, sizeof h2, p2, sizeof p2))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "redirect to an unparsable location from '%s'", what);
    if (strcmp(s2, "http") && strcmp(s2, "https"))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "redirect to a non-http location from '%s'",
                       what);
    if (!strcmp(s1, "https") && !strcmp(s2, "http"))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "redirect from https to plain http refused for '%s'", what);
    if (strcmp(s1, s2) || strcmp(h1, h2) || strcmp(p1, p2))
        *send_auth = 0; /* never again, even if a later hop comes back */
    *next = strdup(loc);
    if (!*next)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

/* ---- buffered requests ----------------------------------------------- */

static size_t body_cb_buffer(struct xfer *x, char *data, size_t n)
{
    if (status_not_2xx(x->c))
        return error_body(x, &x->body, data, n);
    if (rs_buf_append(&x->body, data, n)) {
        x->over_limit = 1;
        return 0; /* aborts with CURLE_WRITE_ERROR */
    }
    return n;
}

static size_t stream_write(struct stream *st, char *data, size_t n);

static size_t body_cb(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct xfer *x = opaque;
    size_t n = size * nmemb;
    if (x->stream)
        return stream_write(x->stream, data, n);
    return body_cb_buffer(x, data, n);
}

/* One attempt over the redirect chain. Returns 0 (a response), or a negative
 * rs_err; *transient says whether another attempt may help. */
static int do_chain(rs_http *h, const rs_http_request *req, rs_http_response *resp, int *transient,
                    int *gated, char *errstr, size_t errsz, const char *what)
{
    int head = req->method && !strcmp(req->method, "HEAD");
    size_t limit = req->max_body ? req->max_body : DEFAULT_MAX_BODY;
    char *url = strdup(req->url);
    int send_auth = 1, rc = 0;
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    struct xfer x = {resp, RS_BUF_INIT, 0, NULL, NULL, NULL, 0, 0, 0, 0, 0};
    *transient = 0;
    if (!url)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (int hop = 0;; hop++) {
        int herr;
        curl_slist_free_all(hdrs);
        hdrs = build_headers(req, send_auth, &herr);
        if (herr) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
            goto out;
        }
        if (!c && !(c = pool_get(h))) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot create a curl handle");
            goto out;
        }
        curl_easy_reset(c);
        rs_buf_free(&x.body);
        x.body.limit = limit;
        x.over_limit = 0;
        if (setup_easy(h, c, url, head, hdrs, &x) || (is_post(req) && setup_post(c, req))) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot configure a curl handle");
            goto out;
        }
        if ((rc = gate_pass(h, url, gated, errstr, errsz)))
            goto out;
        CURLcode cc = curl_easy_perform(c);
        if (x.over_limit) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "response from '%s' is larger than the limit of %zu bytes", what, limit);
            goto out;
        }
        if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && x.error_cut)) {
            char why[160];
            *transient = x.deadline_hit || curl_transient(cc);
            if (x.deadline_hit)
                deadline_text(&x, why, sizeof why);
            rc = rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "cannot reach '%s': %s", what,
                         x.deadline_hit ? why : curl_easy_strerror(cc));
            goto out;
        }
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
        curl_off_t cl = -1;
        curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        resp->content_length = cl;
        if (is_redirect(resp->status) && resp->location[0] && !is_post(req)) {
            if (hop >= h->policy.max_redirects) {
                rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "too many redirects from '%s'", what);
                goto out;
            }
            char *next = NULL;
            if ((rc = next_hop(c, url, &next, &send_auth, errstr, errsz, what)))
                goto out;
            free(url);
            url = next;
            continue;
        }
        break;
    }
    if (!head) {
        resp->body_len = x.body.len;
        resp->body = rs_buf_steal(&x.body);
    }
out:
    rs_buf_free(&x.body);
    curl_slist_free_all(hdrs);
    if (c) {
        /* a handle whose transfer was aborted is not worth keeping */
        if (rc)
            curl_easy_cleanup(c);
        else
            pool_put(h, c);
    }
    free(url);
    return rc;
}

static void reset_resp(rs_http_response *resp)
{
    free(resp->body);
    memset(resp, 0, sizeof *resp);
    resp->content_length = -1;
}

static long retry_delay(rs_http *h, const rs_http_response *resp, int got_response, int attempt)
{
    long delay = rs_http_backoff_ms(&h->policy, attempt);
    if (got_response && resp->retry_after[0]) {
        long ra = rs_http_retry_after_ms(resp->retry_after, (long long)time(NULL));
        if (ra >= 0)
            delay = ra < h->policy.retry_after_cap_ms ? ra : h->policy.retry_after_cap_ms;
    }
    return delay;
}

/* Clears resp for req and writes the URL without secrets into what[1024]. */
static int request_start(const rs_http_request *req, rs_http_response *resp, char what[1024],
                         char *errstr, size_t errsz)
{
    memset(resp, 0, sizeof *resp);
    resp->content_length = -1;
    if (!req->url)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "no url given");
    rs_log_redact_url(req->url, what, 1024);
    return 0;
}

int rs_http_do(rs_http *h, const rs_http_request *req, rs_http_response *resp, char *errstr,
               size_t errsz)
{
    char what[1024];
    if (request_start(req, resp, what, errstr, errsz))
        return RS_ERR_INVALID;
    for (int attempt = 0;; attempt++) {
        int transient = 0, gated = 0;
        reset_resp(resp);
        int rc = do_chain(h, req, resp, &transient, &gated, errstr, errsz, what);
        resp->attempts = attempt + 1;
        int retry = rc ? transient : rs_http_status_retryable(resp->status);
        if (!retry || attempt >= h->policy.max_retries) {
            if (rc && transient && attempt > 0) {
                size_t l = errstr ? strlen(errstr) : 0;
                if (errstr && l < errsz)
                    snprintf(errstr + l, errsz - l, " (after %d attempts)", attempt + 1);
            }
            return rc;
        }
        long delay = retry_delay(h, resp, rc == 0, attempt);
        gate_pause(h, gated && rc == 0, resp->status, delay);
        rs_log(RS_LOG_DEBUG, "retrying %s '%s' in %ld ms (%s%ld)",
               req->method ? req->method : "GET", what, delay, rc ? "error " : "status ",
               rc ? (long)rc : resp->status);
        sleep_ms(delay);
    }
}

/* ---- streams ---------------------------------------------------------- */

struct stream {
    rs_reader base;
    rs_http *h;
    CURLM *m;
    CURL *c;
    struct curl_slist *hdrs;
    struct xfer x;
    rs_http_response scratch; /* headers of the transfer once the caller's resp is gone */
    unsigned char *buf;
    size_t cap, len, off;
    int paused, done, started;
    CURLcode result;
    rs_buf errbody;
    char what[1024];
    uint64_t left_at; /* when read() last returned: the caller's time is not the transfer's */
    /* what a resume needs: the request (the Authorization value scrubbed at the end) */
    char *url, *auth;
    char **headers; /* NULL-terminated copies */
    long long received, skip;
    long long resume_at; /* a resume's start: a 200 answer skips that many bytes */
    int resumes;
};

static size_t stream_write(struct stream *st, char *data, size_t n)
{
    long status = 0;
    curl_easy_getinfo(st->c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return error_body(&st->x, &st->errbody, data, n);
    if (!st->started && st->resume_at > 0 && status == 200)
        st->skip = st->resume_at; /* the whole body again: skip what was handed out */
    st->started = 1;
    /* after a resume answered 200: the bytes already handed out come again */
    size_t d = st->skip < (long long)n ? (size_t)st->skip : n, m = n - d;
    if (!m) {
        st->skip -= (long long)d;
        return n;
    }
    if (st->off == st->len)
        st->off = st->len = 0;
    if (m > st->cap - st->len) {
        if (st->len > st->off) {
            st->paused = 1;
            return CURL_WRITEFUNC_PAUSE; /* curl keeps the data and offers it again */
        }
        st->off = st->len = 0;
        if (m > st->cap) {
            if (m > STREAM_BUF_MAX)
                return 0;
            unsigned char *nb = realloc(st->buf, m);
            if (!nb)
                return 0;
            st->buf = nb;
            st->cap = m;
        }
    }
    memcpy(st->buf + st->len, data + d, m);
    st->len += m;
    st->skip -= (long long)d;
    st->received += (long long)m;
    return n;
}

/* One multi_perform round and its completion messages. */
static void stream_step(struct stream *st)
{
    int running = 0;
    if (curl_multi_perform(st->m, &running) != CURLM_OK) {
        st->done = 1;
        st->result = CURLE_RECV_ERROR;
        return;
    }
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(st->m, &left)))
        if (msg->msg == CURLMSG_DONE) {
            st->done = 1;
            st->result = msg->data.result;
        }
}

/* Drives the transfer until buffered data is available or it is done. The time
 * since read() last returned is taken off the deadline's clock. */
static void stream_pump(struct stream *st)
{
    uint64_t now = rs_now_ms();
    if (st->left_at && now > st->left_at)
        st->x.t0 += now - st->left_at;
    while (!st->done && st->off == st->len) {
        if (st->paused) {
            st->paused = 0;
            curl_easy_pause(st->c, CURLPAUSE_CONT); /* may deliver data right away */
            if (st->off != st->len)
                break;
        }
        stream_step(st);
        if (st->done || st->off != st->len || st->paused)
            continue;
        curl_multi_poll(st->m, NULL, 0, 1000, NULL);
    }
    st->left_at = rs_now_ms();
}

static void stream_close_transfer(struct stream *st)
{
    if (st->c) {
        if (st->m)
            curl_multi_remove_handle(st->m, st->c);
        curl_easy_cleanup(st->c);
        st->c = NULL;
    }
    curl_slist_free_all(st->hdrs);
    st->hdrs = NULL;
}

static void stream_destroy(rs_reader *r)
{
    struct stream *st = (struct stream *)r;
    stream_close_transfer(st);
    if (st->m)
        curl_multi_cleanup(st->m);
    rs_buf_free(&st->errbody);
    free(st->buf);
    free(st->url);
    if (st->auth)
        memset(st->auth, 0, strlen(st->auth));
    free(st->auth);
    for (char **hp = st->headers; hp && *hp; hp++)
        free(*hp);
    free(st->headers);
    free(st);
}

/* Starts one hop in the multi handle and drives it until the status is
 * known with data, or the transfer is over. */
static int stream_hop(struct stream *st, const rs_http_request *req, const char *url, int send_auth,
                      rs_http_response *resp, char *errstr, size_t errsz)
{
    int herr;
    stream_close_transfer(st);
    rs_buf_reset(&st->errbody);
    st->len = st->off = 0;
    st->paused = st->done = st->started = 0;
    st->left_at = 0;
    st->result = CURLE_OK;
    st->hdrs = build_headers(req, send_auth, &herr);
    if (herr || !(st->c = curl_easy_init()))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    st->x.resp = resp;
    st->x.stream = st;
    if (setup_easy(st->h, st->c, url, 0, st->hdrs, &st->x) ||
        curl_multi_add_handle(st->m, st->c) != CURLM_OK)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot configure a curl handle");
    while (!st->done && !st->started)
        stream_pump(st);
    curl_easy_getinfo(st->c, CURLINFO_RESPONSE_CODE, &resp->status);
    return 0;
}

/* The transfer's failure as a message; 1 when another attempt may help. */
static int stream_failure(struct stream *st, char *why, size_t why_size)
{
    if (st->x.deadline_hit) {
        deadline_text(&st->x, why, why_size);
        return 1;
    }
    snprintf(why, why_size, "%s", curl_easy_strerror(st->result));
    return curl_transient(st->result);
}

/* One attempt over the redirect chain (as do_chain for buffered requests). */
static int stream_chain(struct stream *st, const rs_http_request *req, rs_http_response *resp,
                        int *transient, int *gated, char *errstr, size_t errsz)
{
    int send_auth = 1, rc = 0;
    char *url = strdup(req->url);
    *transient = 0;
    for (int hop = 0; url; hop++) {
        if ((rc = gate_pass(st->h, url, gated, errstr, errsz)) ||
            (rc = stream_hop(st, req, url, send_auth, resp, errstr, errsz)))
            break;
        /* body bytes already here: the reader hands them out, then resumes */
        if (st->done && st->result != CURLE_OK && !st->started &&
            !(st->result == CURLE_WRITE_ERROR && st->x.error_cut)) {
            char why[160];
            *transient = stream_failure(st, why, sizeof why);
            rc = rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "cannot reach '%s': %s", st->what,
                         why);
            break;
        }
        if (!is_redirect(resp->status) || !resp->location[0])
            break;
        if (hop >= st->h->policy.max_redirects) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "too many redirects from '%s'", st->what);
            break;
        }
        char *next = NULL;
        if ((rc = next_hop(st->c, url, &next, &send_auth, errstr, errsz, st->what)))
            break;
        free(url);
        url = next;
    }
    if (!url)
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    free(url);
    return rc;
}

/* Attempts with retries and backoff until a response that is not worth retrying. */
static int stream_attempts(struct stream *st, const rs_http_request *req, rs_http_response *resp,
                           char *errstr, size_t errsz)
{
    rs_http *h = st->h;
    for (int attempt = 0;; attempt++) {
        int transient = 0, gated = 0;
        memset(resp, 0, sizeof *resp);
        resp->content_length = -1;
        int rc = stream_chain(st, req, resp, &transient, &gated, errstr, errsz);
        resp->attempts = attempt + 1;
        int retry = rc ? transient : rs_http_status_retryable(resp->status);
        if (!retry || attempt >= h->policy.max_retries)
            return rc;
        long delay = retry_delay(h, resp, rc == 0, attempt);
        gate_pause(h, gated && rc == 0, resp->status, delay);
        rs_log(RS_LOG_DEBUG, "retrying GET '%s' in %ld ms", st->what, delay);
        sleep_ms(delay);
    }
}

/* Keeps what a resume needs: the URL, the Authorization value, the headers. */
static int stream_keep_request(struct stream *st, const rs_http_request *req)
{
    size_t n = 0;
    while (req->headers && req->headers[n])
        n++;
    if (!(st->url = strdup(req->url)) || !(st->headers = calloc(n + 1, sizeof *st->headers)))
        return -1;
    if (req->authorization && !(st->auth = strdup(req->authorization)))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!(st->headers[i] = strdup(req->headers[i])))
            return -1;
    return 0;
}

/* 1 when a 206 answer's Content-Range starts where the body was cut. */
static int range_starts_at(const char *content_range, long long at)
{
    char want[64];
    snprintf(want, sizeof want, "bytes %lld-", at);
    return !strncasecmp(content_range, want, strlen(want));
}

/* Asks again for the rest of a body that broke off after st->received bytes (Range);
 * a server that answers 200 sends it all again and the bytes already handed out are
 * skipped. 0 when the body goes on. */
static int stream_resume(struct stream *st, char *errstr, size_t errsz)
{
    char range[64];
    const char *hv[34];
    size_t n = 0;
    for (; st->headers[n] && n < 32; n++)
        hv[n] = st->headers[n];
    snprintf(range, sizeof range, "Range: bytes=%lld-", st->received);
    hv[n++] = range;
    hv[n] = NULL;
    rs_http_request req = {"GET", st->url, hv, st->auth, 0};
    rs_http_response r2;
    long long at = st->received; /* the new answer's first bytes count already */
    st->resume_at = at;
    st->resumes++;
    sleep_ms(rs_http_backoff_ms(&st->h->policy, st->resumes - 1));
    rs_log(RS_LOG_DEBUG, "resuming GET '%s' at byte %lld", st->what, st->received);
    int rc = stream_attempts(st, &req, &r2, errstr, errsz);
    st->x.resp = &st->scratch;
    if (rc)
        return rc;
    st->resume_at = 0;
    if (r2.status == 200) /* stream_write skipped the bytes already handed out */
        return 0;
    if (r2.status == 206 && range_starts_at(r2.content_range, at))
        return 0;
    return rs_errf(errstr, errsz, RS_ERR_UNREACHABLE,
                   "cannot resume '%s' at byte %lld: status %ld%s", st->what, at,
                   r2.status, r2.status == 206 ? " with another range" : "");
}

static ssize_t stream_read(rs_reader *r, void *out, size_t n, char *errstr, size_t errsz)
{
    struct stream *st = (struct stream *)r;
    if (!n)
        return 0;
    for (;;) {
        if (st->off == st->len)
            stream_pump(st);
        if (st->off < st->len)
            return (ssize_t)rs_reader_copy_out(out, n, st->buf, st->len, &st->off);
        if (st->result == CURLE_OK)
            return 0;
        char why[160];
        int transient = stream_failure(st, why, sizeof why);
        if (!transient || st->x.deadline_hit || st->resumes >= st->h->policy.max_retries)
            return rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "cannot read '%s': %s%s",
                           st->what, why, st->resumes ? " (after resuming)" : "");
        rs_log(RS_LOG_DEBUG, "GET '%s' broke off after %lld bytes: %s", st->what, st->received,
               why);
        int rc = stream_resume(st, errstr, errsz);
        if (rc)
            return rc;
    }
}

/* A response that came: an error status keeps its short body; a 2xx body over
 * max_bytes by its Content-Length is refused. */
static int stream_check(struct stream *st, rs_http_response *resp, size_t max_bytes,
                        char *errstr, size_t errsz)
{
    curl_off_t cl = -1;
    curl_easy_getinfo(st->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    resp->content_length = cl;
    if (resp->status < 200 || resp->status > 299) {
        resp->body_len = st->errbody.len;
        resp->body = rs_buf_steal(&st->errbody);
        return 1;
    }
    if (max_bytes && cl > 0 && (unsigned long long)cl > max_bytes)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "'%s' is %lld bytes, larger than the limit of %zu", st->what,
                       (long long)cl, max_bytes);
    return 0;
}

int rs_http_open(rs_http *h, const rs_http_request *req, size_t max_bytes, rs_reader **out,
                 rs_http_response *resp, char *errstr, size_t errsz)
{
    char what[1024];
    *out = NULL;
    if (request_start(req, resp, what, errstr, errsz))
        return RS_ERR_INVALID;
    struct stream *st = calloc(1, sizeof *st);
    int rc = 0;
    if (!st || !(st->m = curl_multi_init()) || !(st->buf = malloc(4 * STREAM_CHUNK)) ||
        stream_keep_request(st, req)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    st->h = h;
    st->cap = 4 * STREAM_CHUNK;
    st->base.read = stream_read;
    st->base.destroy = stream_destroy;
    snprintf(st->what, sizeof st->what, "%s", what);
    if ((rc = stream_attempts(st, req, resp, errstr, errsz)))
        goto out;
    if ((rc = stream_check(st, resp, max_bytes, errstr, errsz)))
        goto out;
    /* from now on headers land in the stream's own copy */
    st->scratch = *resp;
    st->scratch.body = NULL;
    st->x.resp = &st->scratch;
    *out = &st->base;
    st = NULL;
out:
    if (st)
        stream_destroy(&st->base);
    return rc < 0 ? rc : 0;
}
