/* serve.c - `regscan-coordinator serve`: the webhook routes on the embedded
 * HTTP server (common/httpd). POST /webhooks/acr/{tenant} takes ACR webhook
 * calls, POST /webhooks/eventgrid/{tenant} Event Grid deliveries (with the
 * subscription validation handshake; OPTIONS answers CloudEvents' abuse
 * protection handshake). Every call is authenticated by the tenant's shared
 * secret, compared in constant time; a push is requested at once through the
 * pass's own steps (event_int.h) and answered only after Kafka acknowledged
 * it. Never logs the secret, the Authorization header or the query string. */
#include "coordinator.h"
#include "event_int.h"
#include "httpd.h"
#include "throttle_int.h"
#include "webhook_int.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define ACR_PREFIX "/webhooks/acr/"
#define EG_PREFIX "/webhooks/eventgrid/"
#define SECRET_MAX 4096

/* A registry client per tenant and registry, made on first use (its tokens
 * are cached inside, so a second push costs no token request). */
struct client {
    const rs_tenant *tenant;
    const rs_registry_conf *rc;
    rs_registry *reg;
    void *gate; /* its request budget (throttle_int.h), NULL without a rate_limit */
};

struct serve {
    const rs_config *cfg;
    rs_state *state, *cache;
    rs_producer *producer;
    long requeue_after_s;
    /* one event at a time: the pass's steps for a tag are not made to race
     * with themselves (two pushes of one tag) */
    pthread_mutex_t mu;
    struct client *clients;
    size_t n_clients, cap_clients;
    /* registries the tenants' Azure discovery found (registries:{tenant}), made
     * from the tenant's `discovered` entry on the first event that names them */
    struct found {
        const rs_tenant *tenant;
        rs_registry_conf *rc; /* url and host owned, the rest borrowed */
    } *found;
    size_t n_found, cap_found;
};

/* What one call did, answered as JSON and logged. */
struct tally {
    long events, published, skipped, errors, ignored, unknown_registry, not_selected;
    long tags_removed, tombstones;
    int infra; /* Redis or Kafka failed: 503, the sender retries */
    int config;
};

static const rs_tenant *route_tenant(const struct serve *s, const char *path, const char *prefix)
{
    const char *name = path + strlen(prefix);
    if (!*name || strchr(name, '/'))
        return NULL;
    return rs_config_tenant(s->cfg, name);
}

/* 1 when a and b are equal, in time that does not depend on where they differ
 * (both are hashed first, so neither does it depend on their lengths). */
static int secret_equal(const char *a, const char *b)
{
    char da[RS_DIGEST_SIZE], db[RS_DIGEST_SIZE];
    rs_sha256_digest(a, strlen(a), da);
    rs_sha256_digest(b, strlen(b), db);
    return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

/* 0 when the request carries the tenant's secret ("Authorization: Bearer S",
 * or with allow_code `?code=S`), else fills a 401 (404: no secret set). */
static int authenticate(const struct serve *s, const rs_tenant *t, const rs_httpd_request *req,
                        int allow_code, rs_httpd_response *resp)
{
    const char *secret = t->webhook_secret ? t->webhook_secret : s->cfg->webhook_secret;
    if (!secret) {
        rs_httpd_error(resp, 404, "webhooks are not enabled for this tenant");
        return -1;
    }
    const char *auth = rs_httpd_header(req, "Authorization");
    const char *code = allow_code ? rs_httpd_query(req, "code") : NULL;
    const char *given = NULL;
    if (auth && !strncasecmp(auth, "Bearer ", 7))
        given = auth + 7;
    else if (code)
        given = code;
    if (given && strlen(given) <= SECRET_MAX && secret_equal(given, secret))
        return 0;
    rs_log(RS_LOG_WARN, "serve: %s %s: %s secret: 401", req->method, req->path,
           given ? "wrong" : "no");
    rs_httpd_error(resp, 401, NULL);
    return -1;
}

/* The registry client of (t, rc), made on first use; NULL with errstr. */
static rs_registry *client_for(struct serve *s, const rs_tenant *t, const rs_registry_conf *rc,
                               char *errstr, size_t errsz)
{
    for (size_t i = 0; i < s->n_clients; i++)
        if (s->clients[i].tenant == t && s->clients[i].rc == rc)
            return s->clients[i].reg;
    if (RS_GROW(s->clients, s->n_clients + 1, s->cap_clients)) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    rs_registry *reg = rs_registry_new(rc, errstr, errsz);
    void *gate = NULL;
    if (reg && rs_coord_throttle_install(reg, s->state, rc->rate_per_second, &gate, errstr,
                                         errsz)) {
        rs_registry_destroy(reg);
        return NULL;
    }
    if (reg)
        s->clients[s->n_clients++] = (struct client){t, rc, reg, gate};
    return reg;
}

static long elapsed_ms(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (long)((t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000);
}

static void tally_add(struct tally *y, const rs_coord_event_result *r)
{
    long skipped = r->st.skipped_done + r->st.skipped_queued;
    for (int i = 1; i < RS_SKIP__COUNT; i++)
        skipped += r->st.skipped[i];
    y->published += r->st.published_scan + r->st.published_rematch;
    y->skipped += skipped;
    y->errors += r->st.errors;
    y->tags_removed += r->st.tags_removed;
    y->tombstones += r->tombstones;
    y->not_selected += !r->selected;
}

/* At most this many discovered registries are kept (a tenant's discovery finds
 * at most 10,000). */
#define SERVE_FOUND_MAX 10000

/* The entry of `host` when the coordinator's discovery found it for t
 * (registries:{tenant}), as a pass scans it: *out NULL when it did not.
 * 0, or a Redis error. */
static int found_registry(struct serve *s, const rs_tenant *t, const char *host,
                          const rs_registry_conf **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (!t->discover)
        return 0;
    for (size_t i = 0; i < s->n_found; i++)
        if (s->found[i].tenant == t && !strcmp(s->found[i].rc->host, host)) {
            *out = s->found[i].rc;
            return 0;
        }
    int member = 0;
    int rc = rs_state_discovered_has(s->state, t->name, host, &member, errstr, errsz);
    if (rc || !member)
        return rc;
    if (s->n_found >= SERVE_FOUND_MAX)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED, "too many discovered registries");
    rs_registry_conf *r = calloc(1, sizeof *r);
    if (!r || RS_GROW(s->found, s->n_found + 1, s->cap_found)) {
        free(r);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    *r = t->discovered; /* selection and auth borrowed from the tenant */
    r->insecure = 0;
    r->host = strdup(host);
    rs_buf url = RS_BUF_INIT;
    if (!r->host || rs_buf_printf(&url, "https://%s", host)) {
        free(r->host);
        rs_buf_free(&url);
        free(r);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    r->url = rs_buf_steal(&url);
    s->found[s->n_found++] = (struct found){t, r};
    *out = r;
    return 0;
}

/* Handles one push or delete of tenant t (under s->mu). */
static void handle_event(struct serve *s, const rs_tenant *t, const rs_wh_event *e,
                         struct tally *y)
{
    char errstr[1024];
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    y->events++;
    if (e->kind == RS_WH_IGNORED || e->kind == RS_WH_VALIDATION) {
        y->ignored++;
        rs_log(RS_LOG_INFO, "serve: tenant '%s': event '%s' ignored", t->name, e->type);
        return;
    }
    const rs_registry_conf *rc = rs_config_registry(t, e->host);
    if (!rc && found_registry(s, t, e->host, &rc, errstr, sizeof errstr)) {
        y->infra = 1;
        rs_log(RS_LOG_ERROR, "serve: tenant '%s': %s", t->name, errstr);
        return;
    }
    if (!rc) {
        y->unknown_registry++;
        rs_log(RS_LOG_WARN, "serve: tenant '%s': '%s' for registry '%s', which is not one of the "
               "tenant's: ignored", t->name, e->type, e->host);
        return;
    }
    rs_coord_event_ctx x = {s->cfg, s->state, s->cache, s->producer, s->requeue_after_s, t, rc,
                            NULL};
    rs_coord_event_result r;
    memset(&r, 0, sizeof r);
    int rc_ = (x.reg = client_for(s, t, rc, errstr, sizeof errstr)) ? 0 : RS_ERR_CONFIG;
    if (rc_ == 0 && e->kind == RS_WH_PUSH)
        rc_ = rs_coord_event_push(&x, e->repository, e->tag, e->digest, &r, errstr, sizeof errstr);
    else if (rc_ == 0)
        rc_ = rs_coord_event_delete(&x, e->repository, e->tag, e->digest, &r, errstr,
                                    sizeof errstr);
    if (rc_) {
        y->config |= rc_ == RS_ERR_CONFIG || rc_ == RS_ERR_INTERNAL;
        y->infra |= !(rc_ == RS_ERR_CONFIG || rc_ == RS_ERR_INTERNAL);
        rs_log(RS_LOG_ERROR, "serve: tenant '%s': %s", t->name, errstr);
        return;
    }
    tally_add(y, &r);
    rs_log(RS_LOG_INFO,
           "serve: tenant '%s': %s '%s/%s%s%s%s%s'%s: published %ld, skipped %ld, errors %ld, "
           "tags removed %ld, tombstones %ld, %ld ms", t->name, e->type, rc->host, e->repository,
           e->tag[0] ? ":" : "", e->tag, e->digest[0] ? "@" : "", e->digest,
           r.selected ? "" : " (not selected by the registry's filters)",
           r.st.published_scan + r.st.published_rematch, y->skipped, r.st.errors,
           r.st.tags_removed, r.tombstones, elapsed_ms(&t0));
}

/* The answer to a call: 503 when Redis or Kafka failed (the sender retries),
 * 404 when every event named an unknown registry, else 200 with the tally. */
static void answer(const struct tally *y, rs_httpd_response *resp)
{
    if (y->infra) {
        rs_httpd_error(resp, 503, "Redis or Kafka is unavailable, try again");
        return;
    }
    if (y->config) {
        rs_httpd_error(resp, 500, "configuration error (see the coordinator's log)");
        return;
    }
    if (y->unknown_registry && y->unknown_registry + y->ignored == y->events) {
        rs_httpd_error(resp, 404, "the registry is not one of the tenant's");
        return;
    }
    json_t *j = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "events", (json_int_t)y->events,
                          "published", (json_int_t)y->published, "skipped",
                          (json_int_t)y->skipped, "errors", (json_int_t)y->errors, "ignored",
                          (json_int_t)y->ignored, "unknown_registry",
                          (json_int_t)y->unknown_registry, "not_selected",
                          (json_int_t)y->not_selected, "tags_removed",
                          (json_int_t)y->tags_removed, "tombstones", (json_int_t)y->tombstones);
    resp->status = 200;
    resp->body = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
}

static void bad_request(const rs_tenant *t, const char *what, const char *errstr,
                        rs_httpd_response *resp)
{
    rs_log(RS_LOG_WARN, "serve: tenant '%s': bad %s: %s", t->name, what, errstr);
    rs_httpd_error(resp, 400, errstr);
}

/* POST /webhooks/acr/{tenant} */
static void on_acr(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    struct serve *s = ctx;
    char errstr[512];
    rs_wh_event e;
    struct tally y = {0};
    const rs_tenant *t = route_tenant(s, req->path, ACR_PREFIX);
    if (!t) {
        rs_httpd_error(resp, 404, "no such tenant");
        return;
    }
    if (authenticate(s, t, req, 0, resp))
        return;
    if (rs_webhook_parse_acr(req->body, req->body_len, &e, errstr, sizeof errstr)) {
        bad_request(t, "ACR webhook", errstr, resp);
        return;
    }
    pthread_mutex_lock(&s->mu);
    handle_event(s, t, &e, &y);
    pthread_mutex_unlock(&s->mu);
    answer(&y, resp);
}

/* Answers Event Grid's subscription validation: {"validationResponse": code}. */
static void validation_answer(const rs_tenant *t, const rs_wh_event *e, rs_httpd_response *resp)
{
    json_t *j = json_pack("{s:s}", "validationResponse", e->validation_code);
    resp->status = 200;
    resp->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    rs_log(RS_LOG_INFO, "serve: tenant '%s': Event Grid subscription validated", t->name);
}

/* POST /webhooks/eventgrid/{tenant} */
static void on_eventgrid(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    struct serve *s = ctx;
    char errstr[512];
    rs_wh_event *ev = NULL;
    size_t n = 0;
    struct tally y = {0};
    const rs_tenant *t = route_tenant(s, req->path, EG_PREFIX);
    if (!t) {
        rs_httpd_error(resp, 404, "no such tenant");
        return;
    }
    if (authenticate(s, t, req, 1, resp))
        return;
    if (rs_webhook_parse_eventgrid(req->body, req->body_len, &ev, &n, errstr, sizeof errstr)) {
        bad_request(t, "Event Grid delivery", errstr, resp);
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (ev[i].kind == RS_WH_VALIDATION) {
            validation_answer(t, &ev[i], resp);
            free(ev);
            return;
        }
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < n && !y.infra; i++)
        handle_event(s, t, &ev[i], &y);
    pthread_mutex_unlock(&s->mu);
    free(ev);
    answer(&y, resp);
}

/* OPTIONS /webhooks/eventgrid/{tenant}: CloudEvents 1.0 abuse protection
 * (WebHook-Request-Origin answered with WebHook-Allowed-Origin). */
static void on_options(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    struct serve *s = ctx;
    const rs_tenant *t = route_tenant(s, req->path, EG_PREFIX);
    if (!t) {
        rs_httpd_error(resp, 404, "no such tenant");
        return;
    }
    if (authenticate(s, t, req, 1, resp))
        return;
    const char *origin = rs_httpd_header(req, "WebHook-Request-Origin");
    size_t n = origin ? strlen(origin) : 0;
    for (size_t i = 0; i < n; i++)
        if (origin[i] <= 0x20 || origin[i] >= 0x7f)
            n = 0; /* a header value we would echo: printable ASCII only */
    if (n == 0 || n >= sizeof resp->header_value) {
        rs_httpd_error(resp, 400, "WebHook-Request-Origin is missing or not a host name");
        return;
    }
    resp->status = 200;
    snprintf(resp->header_name, sizeof resp->header_name, "WebHook-Allowed-Origin");
    snprintf(resp->header_value, sizeof resp->header_value, "%s", origin);
}

/* Any other method under /webhooks/. */
static void on_other(const rs_httpd_request *req, rs_httpd_response *resp, void *ctx)
{
    (void)req;
    (void)ctx;
    rs_httpd_error(resp, 405, NULL);
}

/* Redis, the cache store and the producer, checked as a pass checks them. */
static int serve_connect(struct serve *s, char *errstr, size_t errsz)
{
    const rs_settings *st = &s->cfg->settings;
    if (!(s->state = rs_state_new(st->redis_url, st->redis_prefix, errstr, errsz)))
        return RS_ERR_UNREACHABLE;
    s->cache = s->state;
    if (st->cache_redis_url && strcmp(st->cache_redis_url, st->redis_url) != 0 &&
        !(s->cache = rs_state_new(st->cache_redis_url, st->redis_prefix, errstr, errsz)))
        return RS_ERR_UNREACHABLE;
    int rc = rs_kafka_check(st, st->topic_requests, 10000, errstr, errsz);
    if (rc)
        return rc;
    if (!(s->producer = rs_producer_new(st, errstr, errsz)))
        return RS_ERR_UNREACHABLE;
    return 0;
}

static void serve_close(struct serve *s)
{
    for (size_t i = 0; i < s->n_clients; i++) {
        rs_registry_destroy(s->clients[i].reg);
        free(s->clients[i].gate);
    }
    free(s->clients);
    for (size_t i = 0; i < s->n_found; i++) {
        free(s->found[i].rc->url);
        free(s->found[i].rc->host);
        free(s->found[i].rc);
    }
    free(s->found);
    if (s->producer)
        rs_producer_flush(s->producer, 10000);
    rs_producer_destroy(s->producer);
    if (s->cache && s->cache != s->state)
        rs_state_destroy(s->cache);
    rs_state_destroy(s->state);
}

static int any_secret(const rs_config *cfg)
{
    int any = cfg->webhook_secret != NULL;
    for (size_t i = 0; i < cfg->n_tenants; i++)
        any |= cfg->tenants[i].webhook_secret != NULL;
    return any;
}

int rs_coordinator_serve(const rs_config *cfg, const rs_serve_opts *o, char *errstr, size_t errsz)
{
    struct serve s = {.cfg = cfg, .requeue_after_s = o->requeue_after_s};
    rs_httpd *h = NULL;
    if (!any_secret(cfg))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "serve: no webhook secret: set webhook_secret_env or webhook_secret_file "
                       "(top level or per tenant)");
    pthread_mutex_init(&s.mu, NULL);
    int rc = serve_connect(&s, errstr, errsz);
    const rs_httpd_route routes[] = {
        {"POST", ACR_PREFIX, on_acr, &s},        {"POST", EG_PREFIX, on_eventgrid, &s},
        {"OPTIONS", EG_PREFIX, on_options, &s},  {NULL, "/webhooks/", on_other, &s},
        {"GET", "/healthz", rs_httpd_healthz, NULL},
        /* the operations work adds GET /readyz and GET /metrics here */
    };
    const rs_httpd_opts ho = {.listen = o->listen, .max_body = 1024 * 1024, .timeout_s = 30};
    if (rc == 0 && !(h = rs_httpd_start(&ho, routes, sizeof routes / sizeof *routes, errstr,
                                        errsz)))
        rc = RS_ERR_CONFIG;
    if (rc == 0) {
        rs_log(RS_LOG_INFO, "serve: listening on '%s' (port %d)", o->listen, rs_httpd_port(h));
        while (!*o->stop)
            usleep(100 * 1000);
        rs_log(RS_LOG_INFO, "serve: stopping");
    }
    rs_httpd_stop(h);
    serve_close(&s);
    pthread_mutex_destroy(&s.mu);
    return rc;
}
