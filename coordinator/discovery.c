/* discovery.c - a tenant's container registries found through Azure Resource
 * Manager (discovery_int.h; docs/azure.md, "Discovery").
 *
 * An Entra ID token for "<resource_manager>/.default", then GET /subscriptions
 * and, per selected subscription, GET …/providers/Microsoft.ContainerRegistry/
 * registries, both following nextLink. ARM's answers are hostile: sizes,
 * counts, types, ids and login servers are checked, and nextLink must stay on
 * the resource manager's origin (the token goes with every page). Does not
 * scan: coordinator.c lists what this returns like any configured registry. */
#include "discovery_int.h"
#include "base.h"
#include "registry.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ID_MAX 64
#define NAME_MAX_BYTES 256
#define LINK_MAX 4096

/* ---- parsing ------------------------------------------------------------ */

int rs_arm_login_server_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    const char *colon = s ? strchr(s, ':') : NULL;
    size_t hlen = colon ? (size_t)(colon - s) : n;
    if (!hlen || hlen > 253 || s[0] == '.' || s[0] == '-' || s[hlen - 1] == '.')
        return 0;
    for (size_t i = 0; i < hlen; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
            return 0;
    if (!colon)
        return 1;
    const char *p = colon + 1;
    long port = 0;
    if (!*p || strlen(p) > 5)
        return 0;
    for (; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return 0;
        port = port * 10 + (*p - '0');
    }
    return port >= 1 && port <= 65535;
}

static int id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (!n || n > ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return 0;
    return 1;
}

/* Printable UTF-8 without control characters, at most NAME_MAX_BYTES. */
static int name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n > NAME_MAX_BYTES || !rs_utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

struct page_ctx {
    int registries; /* items are registries, else subscriptions */
    rs_arm_item_cb cb;
    void *opaque;
    char why[128];
};

static int item_fail(struct page_ctx *c, const char *why)
{
    snprintf(c->why, sizeof c->why, "%s", why);
    return RS_ERR_INVALID;
}

static int subscription_item(const json_t *v, struct page_ctx *c)
{
    const char *id = json_string_value(json_object_get(v, "subscriptionId"));
    json_t *dn = json_object_get(v, "displayName");
    const char *name = dn ? json_string_value(dn) : "";
    if (!id_valid(id))
        return item_fail(c, "subscriptionId: not 1 to 64 of A-Z a-z 0-9 -");
    if (!name || !name_valid(name))
        return item_fail(c, "displayName: not printable text of at most 256 bytes");
    return c->cb(id, name, c->opaque);
}

static int registry_item(const json_t *v, struct page_ctx *c)
{
    json_t *props = json_object_get(v, "properties");
    const char *login = json_string_value(json_object_get(props, "loginServer"));
    const char *name = json_string_value(json_object_get(v, "name"));
    char host[260];
    if (!json_is_object(props))
        return item_fail(c, "properties: not an object");
    if (!rs_arm_login_server_valid(login))
        return item_fail(c, "properties.loginServer: not a host[:port]");
    if (name && !name_valid(name))
        return item_fail(c, "name: not printable text of at most 256 bytes");
    snprintf(host, sizeof host, "%s", login);
    for (char *h = host; *h; h++)
        *h = (char)tolower((unsigned char)*h);
    return c->cb(host, name ? name : "", c->opaque);
}

static int page_item(const json_t *v, void *opaque)
{
    struct page_ctx *c = opaque;
    if (!json_is_object(v))
        return item_fail(c, "not an object");
    int rc = c->registries ? registry_item(v, c) : subscription_item(v, c);
    if (rc == RS_ERR_INTERNAL)
        return rc;
    if (rc == RS_ERR_LIMIT_EXCEEDED)
        snprintf(c->why, sizeof c->why, "over %d %s a tenant", c->registries ?
                 RS_ARM_MAX_REGISTRIES : RS_ARM_MAX_SUBSCRIPTIONS,
                 c->registries ? "registries" : "selected subscriptions");
    else if (rc && !c->why[0])
        snprintf(c->why, sizeof c->why, "refused by the caller");
    return rc;
}

/* nextLink: an absolute http(s) URL of printable ASCII on the resource manager's origin. */
static int next_link(const json_t *j, const char *rm, char **next, char *errstr, size_t errsz)
{
    json_t *nl = json_object_get(j, "nextLink");
    *next = NULL;
    if (!nl || json_is_null(nl))
        return 0;
    const char *s = json_string_value(nl);
    size_t n = s ? strlen(s) : 0;
    if (!s || !n || n >= LINK_MAX || n != json_string_length(nl))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid ARM answer: nextLink: not a URL");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "invalid ARM answer: nextLink: not a URL");
    if ((strncasecmp(s, "https://", 8) && strncasecmp(s, "http://", 7)) ||
        !rs_http_same_origin(s, rm))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid ARM answer: nextLink leaves the resource manager '%s'", rm);
    *next = strdup(s);
    return *next ? 0 : rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
}

static int page_parse(int registries, const char *body, size_t len, const char *rm,
                      rs_arm_item_cb cb, void *opaque, char **next, char *errstr, size_t errsz)
{
    struct page_ctx c = {registries, cb, opaque, ""};
    const char *what = registries ? "ARM answer: registries" : "ARM answer: subscriptions";
    *next = NULL;
    if (len > RS_ARM_BODY_MAX)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED, "invalid %s: over %u bytes", what,
                       RS_ARM_BODY_MAX);
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    int rc = 0;
    if (!json_is_object(j)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: not a JSON object", what);
        goto out;
    }
    json_t *value = json_object_get(j, "value");
    if (!json_is_array(value)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: value: not an array", what);
        goto out;
    }
    /* nextLink first: a page pointing elsewhere is refused before any item counts */
    if ((rc = next_link(j, rm, next, errstr, errsz)))
        goto out;
    rc = rs_json_each(value, RS_ARM_PAGE_ITEMS, what, page_item, &c, errstr, errsz);
    if (rc && c.why[0]) {
        char head[256];
        snprintf(head, sizeof head, "%s", errstr);
        rs_errf(errstr, errsz, rc, "%s: %s", head, c.why);
    }
out:
    if (rc) {
        free(*next);
        *next = NULL;
    }
    json_decref(j);
    return rc;
}

int rs_arm_subscriptions_parse(const char *body, size_t len, const char *rm, rs_arm_item_cb cb,
                               void *opaque, char **next, char *errstr, size_t errsz)
{
    return page_parse(0, body, len, rm, cb, opaque, next, errstr, errsz);
}

int rs_arm_registries_parse(const char *body, size_t len, const char *rm, rs_arm_item_cb cb,
                            void *opaque, char **next, char *errstr, size_t errsz)
{
    return page_parse(1, body, len, rm, cb, opaque, next, errstr, errsz);
}

/* ---- listing -------------------------------------------------------------- */

struct disc {
    const rs_tenant *t;
    rs_coord_stats *st;
    rs_discovered *out;
    rs_http *http;
    char *auth;      /* "Bearer <token>": never logged */
    const char *rm;  /* the resource manager, no trailing slash */
    char **subs;     /* the selected subscriptions */
    size_t n_subs, cap_subs;
};

/* ARM's error code of a refusal ({"error":{"code":…}}), "" when none is readable. */
static void arm_code(const rs_http_response *resp, char *out, size_t size)
{
    json_t *j = json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
    const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    out[0] = '\0';
    if (code && strlen(code) < 64 && id_valid(code))
        snprintf(out, size, " %s", code);
    json_decref(j);
}

static int status_err(long status)
{
    if (status == 401 || status == 403)
        return RS_ERR_UNAUTHORIZED;
    if (status == 429)
        return RS_ERR_TOOMANYREQUESTS;
    return status >= 500 ? RS_ERR_UNREACHABLE : RS_ERR_INVALID;
}

/* Lists every page from `url` (what names it in messages); *status gets a
 * refusal's HTTP status (0 otherwise). */
static int arm_list(struct disc *d, const char *url, int registries, const char *what,
                    rs_arm_item_cb cb, void *ctx, long *status, char *errstr, size_t errsz)
{
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    char *cur = strdup(url), *next = NULL, why[512], code[80];
    int rc = cur ? 0 : rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    *status = 0;
    for (long page = 0; rc == 0 && cur; page++) {
        rs_http_response resp;
        memset(&resp, 0, sizeof resp);
        rs_http_request req = {"GET", cur, hdrs, d->auth, RS_ARM_BODY_MAX};
        if (page >= RS_ARM_MAX_PAGES) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "cannot list %s: more than %d pages", what, RS_ARM_MAX_PAGES);
            break;
        }
        rc = rs_http_do(d->http, &req, &resp, why, sizeof why);
        if (rc) {
            rs_errf(errstr, errsz, rc, "cannot list %s: %s", what, why);
        } else if (resp.status != 200) {
            arm_code(&resp, code, sizeof code);
            *status = resp.status;
            rc = rs_errf(errstr, errsz, status_err(resp.status), "cannot list %s: %ld%s", what,
                         resp.status, code);
        } else {
            rc = page_parse(registries, resp.body, resp.body_len, d->rm, cb, ctx, &next, why,
                            sizeof why);
            if (rc)
                rs_errf(errstr, errsz, rc, "cannot list %s: %s", what, why);
            else if (next && !strcmp(next, cur))
                rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                             "cannot list %s: nextLink repeats the page", what);
        }
        rs_http_response_free(&resp);
        free(cur);
        cur = next;
        next = NULL;
    }
    free(cur);
    return rc;
}

static int subscription_cb(const char *id, const char *name, void *opaque)
{
    struct disc *d = opaque;
    const rs_azure_conf *az = d->t->azure;
    if (!rs_glob_any(az->subscriptions, az->n_subscriptions, id, 1) &&
        !rs_glob_any(az->subscriptions, az->n_subscriptions, name, 0)) {
        d->st->subscriptions_skipped++;
        rs_log(RS_LOG_DEBUG, "tenant '%s': subscription '%s' not selected", d->t->name, id);
        return 0;
    }
    for (size_t i = 0; i < d->n_subs; i++)
        if (!strcmp(d->subs[i], id))
            return 0;
    if (d->n_subs >= RS_ARM_MAX_SUBSCRIPTIONS)
        return RS_ERR_LIMIT_EXCEEDED;
    if (RS_GROW(d->subs, d->n_subs + 1, d->cap_subs) || !(d->subs[d->n_subs] = strdup(id)))
        return RS_ERR_INTERNAL;
    d->n_subs++;
    return 0;
}

static int registry_cb(const char *host, const char *name, void *opaque)
{
    struct disc *d = opaque;
    rs_discovered *o = d->out;
    d->st->registries_discovered++;
    if (rs_config_registry(d->t, host)) {
        rs_log(RS_LOG_INFO, "tenant '%s': discovered registry '%s' (%s) is listed: its entry "
               "applies", d->t->name, host, name);
        return 0;
    }
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->regs[i].host, host))
            return 0;
    if (o->n >= RS_ARM_MAX_REGISTRIES)
        return RS_ERR_LIMIT_EXCEEDED;
    if (RS_GROW(o->regs, o->n + 1, o->cap))
        return RS_ERR_INTERNAL;
    rs_registry_conf *r = &o->regs[o->n];
    *r = d->t->discovered; /* selection and auth borrowed from the tenant */
    rs_buf url = RS_BUF_INIT;
    r->insecure = 0;
    r->host = strdup(host);
    if (rs_buf_printf(&url, "https://%s", host) || !r->host) {
        free(r->host);
        rs_buf_free(&url);
        return RS_ERR_INTERNAL;
    }
    r->url = rs_buf_steal(&url);
    o->n++;
    rs_log(RS_LOG_INFO, "tenant '%s': discovered registry '%s' (%s)", d->t->name, host, name);
    return 0;
}

/* Lists the registries of each selected subscription; a 403 skips it. */
static int list_registries(struct disc *d, char *errstr, size_t errsz)
{
    int first = 0;
    for (size_t i = 0; i < d->n_subs; i++) {
        rs_buf url = RS_BUF_INIT, what = RS_BUF_INIT;
        long status = 0;
        int rc = rs_buf_printf(&url,
                               "%s/subscriptions/%s/providers/Microsoft.ContainerRegistry/"
                               "registries?api-version=" RS_ARM_REGISTRIES_API,
                               d->rm, d->subs[i]) ||
                         rs_buf_printf(&what, "the registries of subscription '%s'", d->subs[i])
                     ? RS_ERR_INTERNAL
                     : 0;
        if (rc == 0)
            rc = arm_list(d, url.data, 1, what.data, registry_cb, d, &status, errstr, errsz);
        rs_buf_free(&url);
        rs_buf_free(&what);
        if (rc == 0) {
            d->st->subscriptions_listed++;
        } else if (status == 403) {
            d->st->subscriptions_skipped++;
            rs_log(RS_LOG_WARN, "tenant '%s': subscription '%s' skipped: %s", d->t->name,
                   d->subs[i], errstr);
        } else {
            d->st->errors++;
            rs_log(RS_LOG_ERROR, "tenant '%s': %s", d->t->name, errstr);
            if (!first)
                first = rc;
            if (rc == RS_ERR_INTERNAL || rc == RS_ERR_LIMIT_EXCEEDED)
                break;
        }
    }
    if (first)
        rs_errf(errstr, errsz, first, "not every subscription could be listed");
    return first;
}

/* The Entra ID token for Resource Manager, as d->auth. */
static int arm_token(struct disc *d, rs_entra *e, char *errstr, size_t errsz)
{
    rs_buf scope = RS_BUF_INIT, auth = RS_BUF_INIT;
    char *token = NULL;
    int rc = rs_buf_printf(&scope, "%s/.default", d->rm) ? RS_ERR_INTERNAL : 0;
    if (rc == 0)
        rc = rs_entra_token(e, scope.data, &token, errstr, errsz);
    if (rc == 0 && rs_buf_printf(&auth, "Bearer %s", token))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    if (rc == 0)
        d->auth = rs_buf_steal(&auth);
    free(token);
    rs_buf_free(&auth);
    rs_buf_free(&scope);
    return rc;
}

int rs_coord_discover(const rs_tenant *t, rs_coord_stats *st, rs_discovered *out, char *errstr,
                      size_t errsz)
{
    struct disc d = {.t = t, .st = st, .out = out};
    char why[1024];
    rs_entra *e = NULL;
    char *rm = NULL;
    int rc = 0;
    long listed0 = st->subscriptions_listed, skipped0 = st->subscriptions_skipped;
    if (!t->azure || !t->azure->resource_manager)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "tenant '%s': no azure block", t->name);
    if (!(rm = strdup(t->azure->resource_manager)) || !(d.http = rs_http_new(NULL))) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t n = strlen(rm); n && rm[n - 1] == '/'; n--)
        rm[n - 1] = '\0';
    d.rm = rm;
    if (!(e = rs_entra_new(t->azure, d.http, why, sizeof why)) ||
        (rc = arm_token(&d, e, why, sizeof why))) {
        rc = rc ? rc : RS_ERR_CONFIG;
        rs_errf(errstr, errsz, rc, "tenant '%s': cannot discover registries: %s", t->name, why);
        goto out;
    }
    rs_buf url = RS_BUF_INIT;
    long status = 0;
    if (rs_buf_printf(&url, "%s/subscriptions?api-version=" RS_ARM_SUBSCRIPTIONS_API, rm))
        rc = rs_errf(why, sizeof why, RS_ERR_INTERNAL, "out of memory");
    else
        rc = arm_list(&d, url.data, 0, "the subscriptions", subscription_cb, &d, &status, why,
                      sizeof why);
    rs_buf_free(&url);
    if (rc == 0)
        rc = list_registries(&d, why, sizeof why);
    if (rc)
        rs_errf(errstr, errsz, rc, "tenant '%s': cannot discover registries: %s", t->name, why);
    rs_log(RS_LOG_INFO, "tenant '%s': discovery: %ld subscriptions listed, %ld skipped, %zu "
           "registries to scan", t->name, st->subscriptions_listed - listed0,
           st->subscriptions_skipped - skipped0, out->n);
out:
    for (size_t i = 0; i < d.n_subs; i++)
        free(d.subs[i]);
    free(d.subs);
    free(d.auth);
    rs_entra_destroy(e);
    rs_http_destroy(d.http);
    free(rm);
    return rc;
}

void rs_discovered_free(rs_discovered *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->regs[i].url);
        free(d->regs[i].host);
    }
    free(d->regs);
    memset(d, 0, sizeof *d);
}
