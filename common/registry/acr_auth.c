/* acr_auth.c - auth type azure against Azure Container Registry: an Entra ID
 * token (entra.c) is exchanged at the registry's POST /oauth2/exchange for a
 * refresh token, cached per registry, which POST /oauth2/token turns into an
 * access token per scope (auth.c caches those until their JWT exp).
 *
 * Both endpoints must be on the registry's own origin: a challenge whose realm
 * points elsewhere is refused, as it would hand an Entra ID token to another
 * host. Tokens never appear in messages. */
#include "acr_auth_int.h"
#include "entra_int.h"
#include "base.h"

#include <ctype.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ANSWER_MAX (256u * 1024)
#define REFRESH_MAX (64u * 1024)
#define REFRESH_DEFAULT_LIFETIME 3600

struct rs_acr_auth {
    rs_http *http;
    rs_entra *entra; /* NULL when the identity is unusable: init_err says why */
    char init_err[512];
    char registry[256], origin[300];
    char *entra_scope, *tenant;
    pthread_mutex_t lock;       /* guards the refresh token */
    pthread_mutex_t fetch_lock; /* one exchange at a time: the others wait for its result */
    char *refresh; /* the refresh token of `refresh_service`, NULL when none */
    char refresh_service[256];
    time_t refresh_fetched, refresh_exp;
};

static void scrub_free(char *s)
{
    if (s) {
        volatile char *v = s;
        while (*v)
            *v++ = 0;
        free(s);
    }
}

rs_acr_auth *rs_acr_auth_new(const rs_azure_conf *conf, rs_http *http, const char *registry,
                             int insecure)
{
    rs_acr_auth *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    pthread_mutex_init(&x->lock, NULL);
    pthread_mutex_init(&x->fetch_lock, NULL);
    x->http = http;
    snprintf(x->registry, sizeof x->registry, "%s", registry);
    snprintf(x->origin, sizeof x->origin, "%s://%s", insecure ? "http" : "https", registry);
    rs_buf s = RS_BUF_INIT;
    const char *aud = conf->acr_audience ? conf->acr_audience : "";
    size_t alen = strlen(aud);
    while (alen && aud[alen - 1] == '/')
        alen--;
    if (rs_buf_printf(&s, "%.*s/.default", (int)alen, aud) ||
        !(x->tenant = strdup(conf->tenant_id ? conf->tenant_id : ""))) {
        rs_buf_free(&s);
        rs_acr_auth_destroy(x);
        return NULL;
    }
    x->entra_scope = rs_buf_steal(&s);
    char why[400];
    if (!(x->entra = rs_entra_new(conf, http, why, sizeof why)))
        snprintf(x->init_err, sizeof x->init_err, "registry '%s': %s", registry, why);
    return x;
}

void rs_acr_auth_destroy(rs_acr_auth *x)
{
    if (!x)
        return;
    rs_entra_destroy(x->entra);
    free(x->entra_scope);
    free(x->tenant);
    scrub_free(x->refresh);
    pthread_mutex_destroy(&x->lock);
    pthread_mutex_destroy(&x->fetch_lock);
    free(x);
}

void rs_acr_auth_forget(rs_acr_auth *x)
{
    pthread_mutex_lock(&x->lock);
    scrub_free(x->refresh);
    x->refresh = NULL;
    pthread_mutex_unlock(&x->lock);
}

/* POSTs `form` to origin + path. 0 with resp filled (any status). */
static int post_form(rs_acr_auth *x, const char *path, const rs_buf *form, rs_http_response *resp,
                     char *errstr, size_t errsz)
{
    rs_buf url = RS_BUF_INIT;
    if (rs_buf_printf(&url, "%s%s", x->origin, path))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    rs_http_request req = {"POST", url.data, hdrs, NULL, ANSWER_MAX, form->data, form->len,
                           "application/x-www-form-urlencoded"};
    char herr[512];
    int rc = rs_http_do(x->http, &req, resp, herr, sizeof herr);
    if (rc)
        rc = rs_errf(errstr, errsz, rc == RS_ERR_LIMIT_EXCEEDED ? RS_ERR_UNAUTHORIZED : rc,
                     "registry '%s': cannot post to %s: %s", x->registry, path, herr);
    rs_buf_free(&url);
    return rc;
}

/* Maps a non-200 answer of `path` to an error. */
static int answer_err(rs_acr_auth *x, const char *path, long status, char *errstr, size_t errsz)
{
    if (status == 403 && !strcmp(path, "/oauth2/exchange"))
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "registry %s: the identity has no pull permission (403 at %s)",
                       x->registry, path);
    if (status == 429)
        return rs_errf(errstr, errsz, RS_ERR_TOOMANYREQUESTS,
                       "registry %s: 429 too many requests at %s", x->registry, path);
    if (status >= 500)
        return rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "registry %s: status %ld at %s",
                       x->registry, status, path);
    return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED, "registry %s: %s refused (%ld at %s)",
                   x->registry,
                   !strcmp(path, "/oauth2/exchange") ? "the Entra ID token was"
                                                     : "the refresh token was",
                   status, path);
}

static int token_chars_ok(const char *t)
{
    for (; *t; t++)
        if (!isalnum((unsigned char)*t) && !strchr("-_.~+/=", *t))
            return 0;
    return 1;
}

/* {"refresh_token": "..."} -> *refresh malloc'd, *exp from its JWT exp. */
static int refresh_parse(rs_acr_auth *x, const rs_http_response *resp, time_t now, char **refresh,
                         time_t *exp, char *errstr, size_t errsz)
{
    json_t *j = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    json_t *r = json_object_get(j, "refresh_token");
    const char *t = json_string_value(r);
    int64_t jexp = 0;
    int rc = 0;
    if (!t || !*t || json_string_length(r) > REFRESH_MAX || strlen(t) != json_string_length(r) ||
        !token_chars_ok(t)) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                     "registry %s: /oauth2/exchange answered without a usable refresh_token",
                     x->registry);
    } else if (!(*refresh = strdup(t))) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    } else {
        *exp = rs_auth_jwt_exp(t, &jexp) ? now + REFRESH_DEFAULT_LIFETIME : (time_t)jexp;
    }
    json_decref(j);
    return rc;
}

/* Entra ID token -> POST /oauth2/exchange -> refresh token. */
static int exchange(rs_acr_auth *x, const char *service, time_t now, char **refresh, time_t *exp,
                    char *errstr, size_t errsz)
{
    char *aad = NULL, why[512];
    rs_buf form = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = rs_entra_token(x->entra, x->entra_scope, &aad, why, sizeof why);
    if (rc)
        return rs_errf(errstr, errsz, rc, "registry %s: %s", x->registry, why);
    if (rs_http_form_add(&form, "grant_type", "access_token") ||
        rs_http_form_add(&form, "service", service) ||
        rs_http_form_add(&form, "tenant", x->tenant) ||
        rs_http_form_add(&form, "access_token", aad)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if ((rc = post_form(x, "/oauth2/exchange", &form, &resp, errstr, errsz)))
        goto out;
    if (resp.status != 200)
        rc = answer_err(x, "/oauth2/exchange", resp.status, errstr, errsz);
    else
        rc = refresh_parse(x, &resp, now, refresh, exp, errstr, errsz);
out:
    rs_http_form_free(&form, &resp);
    scrub_free(aad);
    return rc;
}

/* refresh token -> POST /oauth2/token -> access token. *refused set on 401. */
static int get_access(rs_acr_auth *x, const char *service, const char *scopes, const char *refresh,
                  char **token, time_t *expires_at, int *refused, char *errstr, size_t errsz)
{
    rs_buf form = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = 0;
    *refused = 0;
    if (rs_http_form_add(&form, "grant_type", "refresh_token") ||
        rs_http_form_add(&form, "service", service) ||
        (*scopes && rs_http_form_add(&form, "scope", scopes)) ||
        rs_http_form_add(&form, "refresh_token", refresh)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if ((rc = post_form(x, "/oauth2/token", &form, &resp, errstr, errsz)))
        goto out;
    char perr[256];
    if (resp.status != 200) {
        *refused = resp.status == 401;
        rc = answer_err(x, "/oauth2/token", resp.status, errstr, errsz);
    } else if (rs_auth_token_parse(resp.body, resp.body_len, time(NULL), token, expires_at, perr,
                                   sizeof perr)) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED, "registry %s: bad answer at %s: %s",
                     x->registry, "/oauth2/token", perr);
    }
out:
    rs_http_form_free(&form, &resp);
    return rc;
}

/* A copy of the cached refresh token for `service` while fresh, else NULL. */
static char *refresh_cached(rs_acr_auth *x, const char *service, time_t now)
{
    char *r = NULL;
    pthread_mutex_lock(&x->lock);
    if (x->refresh && !strcmp(x->refresh_service, service) &&
        rs_entra_fresh(x->refresh_fetched, x->refresh_exp, now))
        r = strdup(x->refresh);
    pthread_mutex_unlock(&x->lock);
    return r;
}

static void refresh_store(rs_acr_auth *x, const char *service, const char *r, time_t now,
                          time_t exp)
{
    char *c = strdup(r);
    pthread_mutex_lock(&x->lock);
    scrub_free(x->refresh);
    x->refresh = c;
    snprintf(x->refresh_service, sizeof x->refresh_service, "%s", service);
    x->refresh_fetched = now;
    x->refresh_exp = exp;
    pthread_mutex_unlock(&x->lock);
}

static int realm_ok(rs_acr_auth *x, const rs_auth_challenge *ch, char *errstr, size_t errsz)
{
    if (rs_http_same_origin(ch->realm, x->origin) == 1)
        return 0;
    char where[1024];
    rs_log_redact_url(ch->realm, where, sizeof where);
    return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                   "registry %s: token realm '%s' is not on the registry's own origin: refused "
                   "(an Entra ID token goes only to the registry)",
                   x->registry, where);
}

int rs_acr_auth_token(rs_acr_auth *x, const rs_auth_challenge *ch, const char *scopes,
                      char **token, time_t *expires_at, char *errstr, size_t errsz)
{
    *token = NULL;
    if (!x->entra)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "%s", x->init_err);
    int rc = realm_ok(x, ch, errstr, errsz);
    if (rc)
        return rc;
    const char *service = ch->service[0] ? ch->service : x->registry;
    time_t now = time(NULL), rexp = 0;
    char *refresh = refresh_cached(x, service, now);
    int cached = refresh != NULL, refused = 0;
    for (int round = 0; round < 2; round++) {
        if (!refresh) {
            pthread_mutex_lock(&x->fetch_lock);
            if (round == 0 && (refresh = refresh_cached(x, service, now)))
                cached = 1; /* another thread's exchange, done while this one waited */
            else if (!(rc = exchange(x, service, now, &refresh, &rexp, errstr, errsz)))
                refresh_store(x, service, refresh, now, rexp);
            pthread_mutex_unlock(&x->fetch_lock);
            if (rc)
                break;
        }
        rc = get_access(x, service, scopes, refresh, token, expires_at, &refused, errstr, errsz);
        if (!rc || !refused || !cached)
            break;
        /* the cached refresh token was refused: one new exchange */
        rs_acr_auth_forget(x);
        scrub_free(refresh);
        refresh = NULL;
        cached = 0;
    }
    scrub_free(refresh);
    return rc;
}
