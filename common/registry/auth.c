/* auth.c - WWW-Authenticate parsing, the Docker token flow and a token cache.
 *
 * Credentials and tokens live only in this module's memory and in the
 * Authorization values it hands out; messages name the registry and the
 * realm's host, never a secret. Token requests go through rs_http, so a
 * redirected token endpoint never receives the Basic credentials. Auth type
 * azure gets its tokens from ACR's exchange (acr_auth.c) into the same cache. */
#include "registry.h"
#include "acr_auth_int.h"
#include "base.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CACHE_MAX 256
#define TOKEN_MAX_BYTES (256u * 1024)
#define DEFAULT_EXPIRES_IN 60

/* ---- WWW-Authenticate ------------------------------------------------ */

static int is_tchar(int c)
{
    /* c != 0: strchr finds the terminator, which would walk a scan off the string */
    return c != 0 && (isalnum(c) || strchr("!#$%&'*+-.^_`|~/", c) != NULL);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Reads a token or quoted-string into out (truncated to out_size). */
static const char *read_value(const char *p, char *out, size_t out_size, int *ok)
{
    size_t n = 0;
    *ok = 1;
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 < out_size)
                out[n++] = *p;
            p++;
        }
        if (*p != '"')
            *ok = 0; /* unterminated */
        else
            p++;
    } else {
        while (*p && *p != ',' && *p != ' ' && *p != '\t') {
            if (n + 1 < out_size)
                out[n++] = *p;
            p++;
        }
    }
    if (out_size)
        out[n] = '\0';
    return p;
}

/* Copies a parameter; -1 (copy truncated) when it does not fit. */
static int set_param(char *dst, size_t dsz, const char *v)
{
    size_t n = strlen(v);
    int rc = 0;
    if (n >= dsz) {
        n = dsz - 1;
        rc = -1;
    }
    memcpy(dst, v, n);
    dst[n] = '\0';
    return rc;
}

/* Looks ahead: is there `token =` at p (a parameter, not a new scheme)? */
static int at_param(const char *p)
{
    const char *q = p;
    while (is_tchar((unsigned char)*q) && *q != '=')
        q++;
    if (q == p)
        return 0;
    q = skip_ws(q);
    return *q == '=';
}

int rs_auth_challenge_parse(const char *header, rs_auth_challenge *out)
{
    memset(out, 0, sizeof *out);
    if (!header)
        return RS_ERR_INVALID;
    rs_auth_challenge cur, best;
    memset(&best, 0, sizeof best);
    const char *p = header;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        char scheme[32];
        size_t n = 0;
        while (is_tchar((unsigned char)*p)) {
            if (n + 1 < sizeof scheme)
                scheme[n++] = *p;
            p++;
        }
        scheme[n] = '\0';
        if (!n)
            return RS_ERR_INVALID;
        memset(&cur, 0, sizeof cur);
        if (!strcasecmp(scheme, "bearer"))
            cur.scheme = RS_CHALLENGE_BEARER;
        else if (!strcasecmp(scheme, "basic"))
            cur.scheme = RS_CHALLENGE_BASIC;
        p = skip_ws(p);
        /* parameters until a token that is not followed by '=' (a new scheme) */
        while (*p) {
            while (*p == ' ' || *p == '\t' || *p == ',')
                p++;
            if (!*p || !at_param(p))
                break;
            char name[32];
            n = 0;
            while (is_tchar((unsigned char)*p) && *p != '=') {
                if (n + 1 < sizeof name)
                    name[n++] = (char)tolower((unsigned char)*p);
                p++;
            }
            name[n] = '\0';
            p = skip_ws(p);
            p++; /* '=' */
            p = skip_ws(p);
            char value[2048];
            int ok;
            p = read_value(p, value, sizeof value, &ok);
            if (!ok)
                return RS_ERR_INVALID;
            int bad = 0;
            if (!strcmp(name, "realm"))
                bad = set_param(cur.realm, sizeof cur.realm, value);
            else if (!strcmp(name, "service"))
                bad = set_param(cur.service, sizeof cur.service, value);
            else if (!strcmp(name, "scope"))
                bad = set_param(cur.scope, sizeof cur.scope, value);
            else if (!strcmp(name, "error"))
                set_param(cur.error, sizeof cur.error, value); /* informative only */
            if (bad)
                return RS_ERR_INVALID;
            p = skip_ws(p);
            if (*p && *p != ',')
                return RS_ERR_INVALID;
        }
        if (cur.scheme == RS_CHALLENGE_BEARER && best.scheme != RS_CHALLENGE_BEARER)
            best = cur;
        else if (cur.scheme == RS_CHALLENGE_BASIC && best.scheme == RS_CHALLENGE_NONE)
            best = cur;
    }
    if (best.scheme == RS_CHALLENGE_NONE)
        return RS_ERR_INVALID;
    if (best.scheme == RS_CHALLENGE_BEARER && !best.realm[0])
        return RS_ERR_INVALID;
    *out = best;
    return 0;
}

/* ---- base64, JWT, token JSON ------------------------------------------ */


int rs_auth_jwt_exp(const char *jwt, int64_t *exp)
{
    const char *dot1 = jwt ? strchr(jwt, '.') : NULL;
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot2 || dot2 - dot1 - 1 > 64 * 1024)
        return RS_ERR_INVALID;
    char *payload = NULL;
    size_t plen = 0;
    if (rs_base64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &plen))
        return RS_ERR_INVALID;
    int rc = RS_ERR_INVALID;
    json_t *j = json_loadb(payload, plen, 0, NULL);
    json_t *e = j ? json_object_get(j, "exp") : NULL;
    if (json_is_integer(e)) {
        *exp = json_integer_value(e);
        rc = 0;
    } else if (json_is_real(e)) {
        *exp = (int64_t)json_real_value(e);
        rc = 0;
    }
    json_decref(j);
    free(payload);
    return rc;
}

int rs_auth_token_parse(const char *json, size_t len, time_t now, char **token, time_t *expires_at,
                        char *errstr, size_t errsz)
{
    *token = NULL;
    json_error_t jerr;
    json_t *j = json_loadb(json, len, 0, &jerr);
    int rc = 0;
    if (!json_is_object(j)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "token response is not a json object");
        goto out;
    }
    json_t *t = json_object_get(j, "token");
    if (!json_is_string(t) || !json_string_length(t))
        t = json_object_get(j, "access_token");
    if (!json_is_string(t) || !json_string_length(t)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "token response has no token");
        goto out;
    }
    const char *tok = json_string_value(t);
    for (const char *c = tok; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "token response has a malformed token");
            goto out;
        }
    time_t base = now;
    json_t *ia = json_object_get(j, "issued_at");
    int64_t issued;
    /* trust issued_at only when the clocks roughly agree */
    if (json_is_string(ia) && !rs_clock_parse_rfc3339(json_string_value(ia), &issued) &&
        issued <= (int64_t)now + 300 && issued >= (int64_t)now - 300)
        base = (time_t)issued;
    json_t *ei = json_object_get(j, "expires_in");
    int64_t exp;
    if (json_is_integer(ei) && json_integer_value(ei) > 0)
        *expires_at =
            base +
            (time_t)(json_integer_value(ei) > 86400 * 365 ? 86400 * 365 : json_integer_value(ei));
    else if (!rs_auth_jwt_exp(tok, &exp))
        *expires_at = (time_t)exp;
    else
        *expires_at = base + DEFAULT_EXPIRES_IN;
    if (!(*token = strdup(tok)))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
out:
    json_decref(j);
    return rc;
}

/* ---- the client -------------------------------------------------------- */

struct cache_entry {
    char *key; /* realm \n service \n scopes */
    char *token;
    time_t expires_at, fetched_at;
};

struct rs_auth {
    rs_auth_type type;
    char *username, *password, *token;
    rs_http *http;
    char registry[256];
    int insecure;
    int allow_insecure_realm; /* conf's: a password may go to a plain-http realm elsewhere */
    pthread_mutex_t lock;
    rs_auth_challenge known; /* the registry's last challenge, scheme NONE until seen */
    struct cache_entry cache[CACHE_MAX];
    int n_cache;
    rs_acr_auth *acr; /* auth type azure */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
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

rs_auth *rs_auth_new(const rs_auth_conf *conf, rs_http *http, const char *registry, int insecure)
{
    rs_auth *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->type = conf ? conf->type : RS_AUTH_NONE;
    a->http = http;
    a->insecure = insecure;
    snprintf(a->registry, sizeof a->registry, "%s", registry ? registry : "");
    if (conf) {
        a->username = dup_or_null(conf->username);
        a->password = dup_or_null(conf->password);
        a->token = dup_or_null(conf->token);
        a->allow_insecure_realm = conf->allow_insecure_realm;
        if ((conf->username && !a->username) || (conf->password && !a->password) ||
            (conf->token && !a->token)) {
            rs_auth_destroy(a);
            return NULL;
        }
    }
    pthread_mutex_init(&a->lock, NULL);
    if (a->type == RS_AUTH_AZURE &&
        !(a->acr = rs_acr_auth_new(&conf->azure, http, a->registry, insecure))) {
        rs_auth_destroy(a);
        return NULL;
    }
    return a;
}

void rs_auth_destroy(rs_auth *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->n_cache; i++) {
        free(a->cache[i].key);
        scrub_free(a->cache[i].token);
    }
    free(a->username);
    scrub_free(a->password);
    scrub_free(a->token);
    rs_acr_auth_destroy(a->acr);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

static int basic_value(const rs_auth *a, char **value)
{
    rs_buf plain = RS_BUF_INIT, out = RS_BUF_INIT;
    int rc = RS_ERR_INTERNAL;
    if (rs_buf_printf(&plain, "%s:%s", a->username ? a->username : "",
                      a->password ? a->password : ""))
        goto out;
    size_t enc = 4 * ((plain.len + 2) / 3) + 1;
    if (rs_buf_puts(&out, "Basic "))
        goto out;
    char *b = malloc(enc);
    if (!b)
        goto out;
    EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)plain.data, (int)plain.len);
    rc = rs_buf_puts(&out, b);
    memset(b, 0, enc);
    free(b);
    if (!rc)
        *value = rs_buf_steal(&out);
out:
    if (plain.data)
        memset(plain.data, 0, plain.len);
    rs_buf_free(&plain);
    if (out.data)
        memset(out.data, 0, out.len);
    rs_buf_free(&out);
    return rc;
}

static int bearer_value(const char *token, char **value)
{
    rs_buf b = RS_BUF_INIT;
    if (rs_buf_printf(&b, "Bearer %s", token)) {
        rs_buf_free(&b);
        return RS_ERR_INTERNAL;
    }
    *value = rs_buf_steal(&b);
    return 0;
}

static int has_creds(const rs_auth *a)
{
    return a->type == RS_AUTH_BASIC && a->username && a->username[0];
}

static void escape_into(rs_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            rs_buf_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rs_buf_append(b, e, 3);
        }
    }
}

/* The scopes to ask for: ours and the challenge's, each once. */
static void scopes_for(const char *scope, const rs_auth_challenge *ch, char *out, size_t out_size)
{
    out[0] = '\0';
    const char *s1 = scope && *scope ? scope : "";
    const char *s2 = ch->scope;
    if (*s1 && *s2 && strcmp(s1, s2))
        snprintf(out, out_size, "%s %s", s1, s2);
    else
        snprintf(out, out_size, "%s", *s1 ? s1 : s2);
}

static void cache_key(const rs_auth_challenge *ch, const char *scopes, rs_buf *key)
{
    rs_buf_printf(key, "%s\n%s\n%s", ch->realm, ch->service, scopes);
}

static time_t cache_margin(time_t lifetime)
{
    return lifetime > 120 ? 30 : lifetime / 4;
}

/* Returns a copy of a live cached token, or NULL. Caller holds the lock. */
static char *cache_lookup(rs_auth *a, const char *key, time_t now)
{
    for (int i = 0; i < a->n_cache; i++) {
        struct cache_entry *e = &a->cache[i];
        if (strcmp(e->key, key))
            continue;
        if (now < e->expires_at - cache_margin(e->expires_at - e->fetched_at))
            return strdup(e->token);
        return NULL;
    }
    return NULL;
}

static void cache_drop_at(rs_auth *a, int i)
{
    free(a->cache[i].key);
    scrub_free(a->cache[i].token);
    a->cache[i] = a->cache[--a->n_cache];
}

static void cache_forget(rs_auth *a, const char *key)
{
    for (int i = 0; i < a->n_cache; i++)
        if (!strcmp(a->cache[i].key, key)) {
            cache_drop_at(a, i);
            return;
        }
}

static void cache_store(rs_auth *a, const char *key, const char *token, time_t now,
                        time_t expires_at)
{
    cache_forget(a, key);
    if (a->n_cache == CACHE_MAX) {
        int victim = 0;
        for (int i = 1; i < a->n_cache; i++)
            if (a->cache[i].expires_at < a->cache[victim].expires_at)
                victim = i;
        cache_drop_at(a, victim);
    }
    char *k = strdup(key), *t = strdup(token);
    if (!k || !t) {
        free(k);
        free(t);
        return;
    }
    a->cache[a->n_cache++] = (struct cache_entry){k, t, expires_at, now};
}

/* A 401 answered: drops the token for key; for ACR also the refresh token that
 * gave it, so the flow restarts from the Entra ID token. A first contact
 * (nothing cached for key) keeps a refresh token another thread just got.
 * Caller holds the lock. */
static void forget_refused(rs_auth *a, const char *key)
{
    for (int i = 0; i < a->n_cache; i++)
        if (!strcmp(a->cache[i].key, key)) {
            if (a->acr)
                rs_acr_auth_forget(a->acr);
            cache_drop_at(a, i);
            return;
        }
}

static void realm_host(const char *realm, char *out, size_t out_size)
{
    char red[1024];
    rs_log_redact_url(realm, red, sizeof red);
    snprintf(out, out_size, "%s", red);
}

/* GET realm?service=…&scope=…; *token malloc'd. */
static int fetch_token(rs_auth *a, const rs_auth_challenge *ch, const char *scopes, char **token,
                       time_t *expires_at, char *errstr, size_t errsz)
{
    char where[1024];
    realm_host(ch->realm, where, sizeof where);
    int https = !strncasecmp(ch->realm, "https://", 8);
    int http = !strncasecmp(ch->realm, "http://", 7);
    if (!https && !(http && a->insecure))
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "token realm '%s' of registry '%s' is not an https url", where, a->registry);
    /* a password in clear text goes only to the registry's own host (DESIGN.md §7) */
    if (http && has_creds(a) && !a->allow_insecure_realm &&
        !rs_http_url_on_host(ch->realm, a->registry))
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "token realm '%s' of registry '%s' is plain http on another host: "
                       "credentials not sent (the registry's \"allow_insecure_realm\": true "
                       "allows it)",
                       where, a->registry);
    rs_buf url = RS_BUF_INIT;
    char *auth = NULL;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc = 0;
    char sep = strchr(ch->realm, '?') ? '&' : '?';
    rs_buf_puts(&url, ch->realm);
    if (ch->service[0]) {
        rs_buf_printf(&url, "%cservice=", sep);
        escape_into(&url, ch->service);
        sep = '&';
    }
    for (const char *s = scopes; *s;) {
        size_t n = strcspn(s, " ");
        if (n) {
            char one[1024];
            snprintf(one, sizeof one, "%.*s", (int)n, s);
            rs_buf_printf(&url, "%cscope=", sep);
            escape_into(&url, one);
            sep = '&';
        }
        s += n;
        while (*s == ' ')
            s++;
    }
    if (!url.data) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (has_creds(a) && (rc = basic_value(a, &auth))) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    rs_http_request req = {"GET", url.data, hdrs, auth, TOKEN_MAX_BYTES};
    char herr[512];
    rc = rs_http_do(a->http, &req, &resp, herr, sizeof herr);
    if (rc) {
        rc = rs_errf(errstr, errsz, rc, "cannot get a token for registry '%s' from '%s': %s",
                     a->registry, where, herr);
        goto out;
    }
    if (resp.status == 401 || resp.status == 403) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                     "token request for registry '%s' refused by '%s': %ld %s", a->registry, where,
                     resp.status, has_creds(a) ? "(credentials rejected)" : "(anonymous)");
        goto out;
    }
    if (resp.status == 429) {
        rc = rs_errf(errstr, errsz, RS_ERR_TOOMANYREQUESTS,
                     "token request for registry '%s' to '%s': 429 too many requests", a->registry,
                     where);
        goto out;
    }
    if (resp.status != 200) {
        rc = rs_errf(errstr, errsz, resp.status >= 500 ? RS_ERR_UNREACHABLE : RS_ERR_UNAUTHORIZED,
                     "token request for registry '%s' to '%s': status %ld", a->registry, where,
                     resp.status);
        goto out;
    }
    char perr[256];
    if (rs_auth_token_parse(resp.body, resp.body_len, time(NULL), token, expires_at, perr,
                            sizeof perr)) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED, "bad token response from '%s': %s", where,
                     perr);
        goto out;
    }
out:
    if (resp.body)
        memset(resp.body, 0, resp.body_len);
    rs_http_response_free(&resp);
    rs_buf_free(&url);
    scrub_free(auth);
    return rc;
}

static int bearer_for(rs_auth *a, const rs_auth_challenge *ch, const char *scope, int fresh,
                      char **value, char *errstr, size_t errsz)
{
    char scopes[2048];
    scopes_for(scope, ch, scopes, sizeof scopes);
    rs_buf key = RS_BUF_INIT;
    cache_key(ch, scopes, &key);
    if (!key.data)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    time_t now = time(NULL);
    char *tok = NULL;
    pthread_mutex_lock(&a->lock);
    if (fresh)
        forget_refused(a, key.data);
    else
        tok = cache_lookup(a, key.data, now);
    pthread_mutex_unlock(&a->lock);
    int rc = 0;
    if (!tok) {
        time_t exp = 0;
        /* fetched without the lock: two threads may both fetch, both tokens are good */
        rc = a->acr ? rs_acr_auth_token(a->acr, ch, scopes, &tok, &exp, errstr, errsz)
                    : fetch_token(a, ch, scopes, &tok, &exp, errstr, errsz);
        if (rc)
            goto out;
        pthread_mutex_lock(&a->lock);
        cache_store(a, key.data, tok, now, exp);
        pthread_mutex_unlock(&a->lock);
    }
    if (bearer_value(tok, value))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
out:
    scrub_free(tok);
    rs_buf_free(&key);
    return rc;
}

int rs_auth_header(rs_auth *a, const char *scope, char **value, char *errstr, size_t errsz)
{
    *value = NULL;
    if (a->type == RS_AUTH_BEARER)
        return a->token && bearer_value(a->token, value)
                   ? rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory")
                   : 0;
    rs_auth_challenge ch;
    pthread_mutex_lock(&a->lock);
    ch = a->known;
    pthread_mutex_unlock(&a->lock);
    if (ch.scheme == RS_CHALLENGE_BASIC)
        return has_creds(a) && basic_value(a, value)
                   ? rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory")
                   : 0;
    if (ch.scheme == RS_CHALLENGE_BEARER) {
        ch.scope[0] = '\0'; /* the remembered challenge's scope was for another request */
        return bearer_for(a, &ch, scope, 0, value, errstr, errsz);
    }
    return 0;
}

int rs_auth_challenge_answer(rs_auth *a, const char *www_authenticate, const char *scope,
                             char **value, char *errstr, size_t errsz)
{
    *value = NULL;
    rs_auth_challenge ch;
    if (!www_authenticate || !*www_authenticate)
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "registry '%s' refused the request without a challenge", a->registry);
    if (rs_auth_challenge_parse(www_authenticate, &ch))
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "registry '%s' sent an unsupported authentication challenge", a->registry);
    if (a->type == RS_AUTH_BEARER)
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "registry '%s' rejected the configured bearer token", a->registry);
    if (a->type == RS_AUTH_AZURE && ch.scheme != RS_CHALLENGE_BEARER)
        return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                       "registry '%s' offers no Bearer challenge, which auth type azure needs",
                       a->registry);
    pthread_mutex_lock(&a->lock);
    a->known = ch;
    a->known.scope[0] = '\0';
    pthread_mutex_unlock(&a->lock);
    if (ch.scheme == RS_CHALLENGE_BASIC) {
        if (!has_creds(a))
            return rs_errf(errstr, errsz, RS_ERR_UNAUTHORIZED,
                           "registry '%s' requires credentials and none are configured",
                           a->registry);
        if (basic_value(a, value))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return 0;
    }
    return bearer_for(a, &ch, scope, 1, value, errstr, errsz);
}
