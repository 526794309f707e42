/* registry.c - the registry client: listings, manifests, blobs, references.
 *
 * Every request goes through reg_call(): send what auth.c says for the
 * request's scope, and on a 401 answer the challenge once and try again; a
 * second 401 is final. HTTP statuses are mapped to rs_err here, so callers
 * see RS_ERR_MANIFEST_UNKNOWN, RS_ERR_UNAUTHORIZED, ... with a message naming
 * what and where, never a credential or a signed URL. */
#include "registry.h"
#include "registry_int.h"
#include "base.h"
#include "image.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rs_registry {
    char *base; /* "https://host[:port]", no trailing slash */
    char host[256];
    int insecure;
    rs_http *http;
    rs_auth *auth;
};

enum what_kind { K_OTHER, K_MANIFEST, K_BLOB };

rs_registry *rs_registry_new_with_policy(const rs_registry_conf *conf, const rs_http_policy *policy,
                                         char *errstr, size_t errsz)
{
    rs_registry *r = calloc(1, sizeof *r);
    rs_buf base = RS_BUF_INIT;
    if (!r)
        goto oom;
    const char *url = conf->url;
    if (url && *url) {
        if (strncasecmp(url, "https://", 8) && strncasecmp(url, "http://", 7)) {
            rs_errf(errstr, errsz, RS_ERR_CONFIG, "registry url '%s' is not http(s)", url);
            goto fail;
        }
        rs_buf_puts(&base, url);
    } else if (conf->host && *conf->host) {
        rs_buf_printf(&base, "%s://%s", conf->insecure ? "http" : "https", conf->host);
    } else {
        rs_errf(errstr, errsz, RS_ERR_CONFIG, "registry has neither url nor host");
        goto fail;
    }
    if (!base.data)
        goto oom;
    while (base.len && base.data[base.len - 1] == '/')
        base.data[--base.len] = '\0';
    r->insecure = !strncasecmp(base.data, "http://", 7);
    if (conf->host && *conf->host) {
        snprintf(r->host, sizeof r->host, "%s", conf->host);
    } else {
        const char *h = strstr(base.data, "://") + 3;
        snprintf(r->host, sizeof r->host, "%.*s", (int)strcspn(h, "/"), h);
    }
    r->base = rs_buf_steal(&base);
    rs_http_policy envp = RS_HTTP_POLICY_DEFAULT;
    if (!policy && rs_http_policy_env(&envp, errstr, errsz))
        goto fail; /* a bad REGSCAN_HTTP_* value, named in errstr */
    if (!(r->http = rs_http_new(policy ? policy : &envp)) ||
        !(r->auth = rs_auth_new(&conf->auth, r->http, r->host, r->insecure)))
        goto oom;
    return r;
oom:
    rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
fail:
    rs_buf_free(&base);
    rs_registry_destroy(r);
    return NULL;
}

rs_registry *rs_registry_new(const rs_registry_conf *conf, char *errstr, size_t errsz)
{
    return rs_registry_new_with_policy(conf, NULL, errstr, errsz);
}

void rs_registry_destroy(rs_registry *r)
{
    if (!r)
        return;
    rs_auth_destroy(r->auth);
    rs_http_destroy(r->http);
    free(r->base);
    free(r);
}

const char *rs_registry_host(const rs_registry *r)
{
    return r->host;
}

int rs_registry_set_gate(rs_registry *r, const rs_http_gate *gate)
{
    return rs_http_set_gate(r->http, r->base, r->host, gate);
}

/* ---- names ------------------------------------------------------------- */

int rs_registry_valid_repository(const char *repo)
{
    /* path-component ("/" path-component)*, path-component = [a-z0-9]+ (separator [a-z0-9]+)*,
     * separator = [_.] | "__" | [-]+ (distribution's reference grammar) */
    size_t len = repo ? strlen(repo) : 0;
    if (!len || len > 255)
        return 0;
    const char *p = repo;
    for (;;) {
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
            return 0;
        while (islower((unsigned char)*p) || isdigit((unsigned char)*p))
            p++;
        if (*p == '\0')
            return 1;
        if (*p == '/') {
            p++;
            continue;
        }
        if (*p == '.' || (*p == '_' && p[1] != '_'))
            p++;
        else if (*p == '_' && p[1] == '_')
            p += 2;
        else if (*p == '-')
            while (*p == '-')
                p++;
        else
            return 0;
    }
}

int rs_registry_valid_tag(const char *tag)
{
    size_t len = tag ? strlen(tag) : 0;
    if (!len || len > 128)
        return 0;
    if (!isalnum((unsigned char)tag[0]) && tag[0] != '_')
        return 0;
    for (size_t i = 1; i < len; i++)
        if (!isalnum((unsigned char)tag[i]) && !strchr("._-", tag[i]))
            return 0;
    return 1;
}

static int check_ref(const char *ref, int *is_digest)
{
    *is_digest = 0;
    if (rs_digest_valid(ref)) {
        *is_digest = 1;
        return 0;
    }
    if (strchr(ref, ':'))
        return RS_ERR_UNSUPPORTED; /* a digest of another algorithm */
    return rs_registry_valid_tag(ref) ? 0 : RS_ERR_INVALID;
}

/* ---- requests ---------------------------------------------------------- */

static const char *status_text(long status)
{
    switch (status) {
    case 400:
        return "bad request";
    case 401:
        return "unauthorized";
    case 403:
        return "forbidden";
    case 404:
        return "not found";
    case 405:
        return "method not allowed";
    case 429:
        return "too many requests";
    case 500:
        return "internal server error";
    case 502:
        return "bad gateway";
    case 503:
        return "service unavailable";
    case 504:
        return "gateway timeout";
    default:
        return "unexpected status";
    }
}

static int status_err(long status, enum what_kind k)
{
    if (status == 401 || status == 403)
        return RS_ERR_UNAUTHORIZED;
    if (status == 404)
        return k == K_MANIFEST ? RS_ERR_MANIFEST_UNKNOWN
               : k == K_BLOB   ? RS_ERR_BLOB_UNKNOWN
                               : RS_ERR_UNSUPPORTED;
    if (status == 429)
        return RS_ERR_TOOMANYREQUESTS;
    if (status >= 500)
        return RS_ERR_UNREACHABLE;
    return RS_ERR_INVALID;
}

/* "cannot <action> '<subject>' from '<host>': <status> <text>" */
static int fail_status(rs_registry *r, long status, enum what_kind k, const char *action,
                       const char *subject, char *errstr, size_t errsz)
{
    const char *text = status_text(status);
    if (status == 404 && k == K_MANIFEST)
        text = "manifest unknown";
    else if (status == 404 && k == K_BLOB)
        text = "blob unknown";
    return rs_errf(errstr, errsz, status_err(status, k), "cannot %s '%s' from '%s': %ld %s", action,
                   subject, r->host, status, text);
}

static int fail_with(rs_registry *r, int rc, const char *action, const char *subject,
                     const char *why, char *errstr, size_t errsz)
{
    return rs_errf(errstr, errsz, rc, "cannot %s '%s' from '%s': %s", action, subject, r->host,
                   why);
}

/* One authenticated request; 0 with resp filled (any status), or an error
 * already worded with action and subject. */
static int reg_call(rs_registry *r, const char *method, const char *url, const char *scope,
                    const char *const *hdrs, size_t max_body, rs_http_response *resp,
                    const char *action, const char *subject, char *errstr, size_t errsz)
{
    char *auth = NULL;
    char why[1024];
    int rc = rs_auth_header(r->auth, scope, &auth, why, sizeof why);
    if (rc)
        return fail_with(r, rc, action, subject, why, errstr, errsz);
    rs_http_request req = {method, url, hdrs, auth, max_body};
    rc = rs_http_do(r->http, &req, resp, why, sizeof why);
    free(auth);
    auth = NULL;
    if (rc)
        return fail_with(r, rc, action, subject, why, errstr, errsz);
    if (resp->status != 401)
        return 0;
    rc = rs_auth_challenge_answer(r->auth, resp->www_authenticate, scope, &auth, why, sizeof why);
    if (rc) {
        rs_http_response_free(resp);
        return fail_with(r, rc, action, subject, why, errstr, errsz);
    }
    rs_http_response_free(resp);
    req.authorization = auth;
    rc = rs_http_do(r->http, &req, resp, why, sizeof why);
    free(auth);
    if (rc)
        return fail_with(r, rc, action, subject, why, errstr, errsz);
    return 0;
}

int rs_registry_ping(rs_registry *r, char *errstr, size_t errsz)
{
    rs_buf url = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int rc;
    if (rs_buf_printf(&url, "%s/v2/", r->base))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rc = reg_call(r, "GET", url.data, NULL, NULL, 64 * 1024, &resp, "reach", "/v2/", errstr, errsz);
    if (!rc && resp.status != 200)
        rc = fail_status(r, resp.status, K_OTHER, "reach", "/v2/", errstr, errsz);
    rs_http_response_free(&resp);
    rs_buf_free(&url);
    return rc;
}

/* ---- listings ---------------------------------------------------------- */

int rs_registry_link_next(const char *link, char *out, size_t out_size)
{
    if (!link)
        return 0;
    const char *p = link;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        if (*p != '<')
            return RS_ERR_INVALID;
        const char *end = strchr(p + 1, '>');
        if (!end)
            return RS_ERR_INVALID;
        const char *target = p + 1;
        size_t tlen = (size_t)(end - target);
        int next = 0;
        p = end + 1;
        /* parameters: ; name=value or ; name="value" */
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ';')
                break;
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            const char *name = p;
            while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ')
                p++;
            size_t nlen = (size_t)(p - name);
            while (*p == ' ' || *p == '\t')
                p++;
            char value[128];
            size_t vn = 0;
            if (*p == '=') {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                if (*p == '"') {
                    for (p++; *p && *p != '"'; p++)
                        if (vn + 1 < sizeof value)
                            value[vn++] = *p;
                    if (*p != '"')
                        return RS_ERR_INVALID;
                    p++;
                } else {
                    for (; *p && *p != ';' && *p != ',' && *p != ' '; p++)
                        if (vn + 1 < sizeof value)
                            value[vn++] = *p;
                }
            }
            value[vn] = '\0';
            if (nlen == 3 && !strncasecmp(name, "rel", 3)) {
                /* rel may list several relation types */
                for (const char *v = value; *v;) {
                    size_t w = strcspn(v, " ");
                    if (w == 4 && !strncasecmp(v, "next", 4))
                        next = 1;
                    v += w;
                    while (*v == ' ')
                        v++;
                }
            }
        }
        if (*p && *p != ',')
            return RS_ERR_INVALID;
        if (next) {
            if (!tlen || tlen >= out_size)
                return RS_ERR_INVALID;
            memcpy(out, target, tlen);
            out[tlen] = '\0';
            return 1;
        }
    }
}

/* Resolves a next link against the registry; absolute links must stay on it. */
static int resolve_next(rs_registry *r, const char *next, rs_buf *out)
{
    rs_buf_reset(out);
    if (next[0] == '/' && next[1] != '/')
        return rs_buf_printf(out, "%s%s", r->base, next) ? RS_ERR_INTERNAL : 0;
    if (!strncasecmp(next, "https://", 8) || !strncasecmp(next, "http://", 7)) {
        if (!rs_http_same_origin(next, r->base))
            return RS_ERR_INVALID;
        return rs_buf_puts(out, next) ? RS_ERR_INTERNAL : 0;
    }
    return RS_ERR_INVALID;
}

/* One page's names to cb; *count and *hash cover the names of the page. */
static int list_page_names(rs_registry *r, const rs_http_response *resp, const char *key,
                           const char *action, const char *subject, rs_registry_name_cb cb,
                           void *opaque, size_t *count, uint64_t *hash, char *errstr, size_t errsz)
{
    json_t *j = json_loadb(resp->body, resp->body_len, 0, NULL);
    json_t *arr = json_is_object(j) ? json_object_get(j, key) : NULL;
    int rc = 0;
    *count = 0;
    *hash = RS_LISTING_HASH_INIT;
    if (!j || (arr && !json_is_array(arr) && !json_is_null(arr)) ||
        (!arr && !json_is_object(j))) {
        json_decref(j);
        return fail_with(r, RS_ERR_INVALID, action, subject, "malformed listing", errstr, errsz);
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!json_is_string(v))
            continue;
        (*count)++;
        *hash = rs_listing_hash_name(*hash, json_string_value(v));
        if ((rc = cb(json_string_value(v), opaque)))
            break;
    }
    json_decref(j);
    return rc;
}

/* The next page's URL into url from resp's Link: 1 with url set, 0 at the end. */
static int list_next_url(rs_registry *r, const rs_http_response *resp, rs_buf *url,
                         const char *action, const char *subject, char *errstr, size_t errsz)
{
    char next[4096];
    int ln = rs_registry_link_next(resp->link, next, sizeof next);
    if (ln < 0)
        return fail_with(r, RS_ERR_INVALID, action, subject, "unparsable Link header", errstr,
                         errsz);
    if (ln == 0)
        return 0;
    if (resolve_next(r, next, url))
        return fail_with(r, RS_ERR_INVALID, action, subject,
                         "Link header points outside the registry", errstr, errsz);
    return 1;
}

static int list_pages(rs_registry *r, const char *first_url, const char *scope, const char *key,
                      const char *action, const char *subject, rs_registry_name_cb cb, void *opaque,
                      char *errstr, size_t errsz)
{
    rs_buf url = RS_BUF_INIT;
    rs_listing_guard guard;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    size_t total = 0;
    char why[256];
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    rs_listing_guard_init(&guard, RS_REGISTRY_MAX_PAGES);
    int rc = rs_buf_puts(&url, first_url) ? RS_ERR_INTERNAL : 0;
    if (rc)
        rc = rs_errf(errstr, errsz, rc, "out of memory");
    while (!rc) {
        size_t count = 0;
        uint64_t names = 0;
        if ((rc = rs_listing_guard_page(&guard, url.data, why, sizeof why))) {
            rc = fail_with(r, rc, action, subject, why, errstr, errsz);
            break;
        }
        rs_http_response_free(&resp);
        if ((rc = reg_call(r, "GET", url.data, scope, hdrs, 16u * 1024 * 1024, &resp, action,
                           subject, errstr, errsz)))
            break;
        if (resp.status != 200) {
            rc = fail_status(r, resp.status, K_OTHER, action, subject, errstr, errsz);
            break;
        }
        if ((rc = list_page_names(r, &resp, key, action, subject, cb, opaque, &count, &names,
                                  errstr, errsz)))
            break;
        total += count;
        if ((rc = rs_listing_guard_names(&guard, names, count, why, sizeof why))) {
            rc = fail_with(r, rc, action, subject, why, errstr, errsz);
            break;
        }
        rc = list_next_url(r, &resp, &url, action, subject, errstr, errsz);
        if (rc <= 0)
            break;
        rc = 0;
    }
    if (!rc)
        rs_log(RS_LOG_DEBUG, "listed %zu names in %zu pages for '%s' of '%s'", total,
               guard.pages, subject, r->host);
    rs_listing_guard_free(&guard);
    rs_http_response_free(&resp);
    rs_buf_free(&url);
    return rc;
}

int rs_registry_catalog(rs_registry *r, rs_registry_name_cb cb, void *opaque, char *errstr,
                        size_t errsz)
{
    rs_buf url = RS_BUF_INIT;
    if (rs_buf_printf(&url, "%s/v2/_catalog?n=%d", r->base, RS_REGISTRY_PAGE_SIZE))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    int rc = list_pages(r, url.data, "registry:catalog:*", "repositories", "list repositories",
                        "_catalog", cb, opaque, errstr, errsz);
    rs_buf_free(&url);
    return rc;
}

int rs_registry_tags(rs_registry *r, const char *repo, rs_registry_name_cb cb, void *opaque,
                     char *errstr, size_t errsz)
{
    if (!rs_registry_valid_repository(repo))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid repository name '%s'",
                       repo ? repo : "");
    rs_buf url = RS_BUF_INIT, scope = RS_BUF_INIT;
    int rc;
    if (rs_buf_printf(&url, "%s/v2/%s/tags/list?n=%d", r->base, repo, RS_REGISTRY_PAGE_SIZE) ||
        rs_buf_printf(&scope, "repository:%s:pull", repo)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = list_pages(r, url.data, scope.data, "tags", "list tags of", repo, cb, opaque, errstr,
                    errsz);
out:
    rs_buf_free(&url);
    rs_buf_free(&scope);
    return rc;
}

/* ---- manifests and blobs ------------------------------------------------ */

static int known_manifest_type(const char *mt)
{
    return !strcmp(mt, RS_MT_OCI_INDEX) || !strcmp(mt, RS_MT_OCI_MANIFEST) ||
           !strcmp(mt, RS_MT_DOCKER_LIST) || !strcmp(mt, RS_MT_DOCKER_MANIFEST) ||
           !strcmp(mt, RS_MT_DOCKER_V1) || !strcmp(mt, RS_MT_DOCKER_V1_SIGNED);
}

/* Copies a Content-Type without parameters and spaces. */
static void media_type_of(const char *ct, char out[128])
{
    size_t n = strcspn(ct, ";");
    while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
        n--;
    if (n > 127)
        n = 127;
    memcpy(out, ct, n);
    out[n] = '\0';
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
}

static int prepare(rs_registry *r, const char *repo, const char *ref, const char *kind, rs_buf *url,
                   rs_buf *scope, rs_buf *subject, int *is_digest, char *errstr, size_t errsz)
{
    if (!rs_registry_valid_repository(repo))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid repository name '%s'",
                       repo ? repo : "");
    int rc = ref ? check_ref(ref, is_digest) : RS_ERR_INVALID;
    if (rc)
        return rs_errf(errstr, errsz, rc, "invalid reference '%s' in '%s'", ref ? ref : "", repo);
    if (rs_buf_printf(url, "%s/v2/%s/%s/%s", r->base, repo, kind, ref) ||
        rs_buf_printf(scope, "repository:%s:pull", repo) ||
        rs_buf_printf(subject, "%s%c%s", repo, *is_digest ? '@' : ':', ref))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Requests the manifest repo:ref with `method` (GET or HEAD): *resp holds
 * a 200 response; `subject` names the manifest in messages (the caller frees
 * both, also on error). */
static int manifest_request(rs_registry *r, const char *method, const char *repo, const char *ref,
                            size_t max_bytes, rs_http_response *resp, rs_buf *subject,
                            int *is_digest, char *errstr, size_t errsz)
{
    static const char *const hdrs[] = {"Accept: " RS_MANIFEST_ACCEPT, NULL};
    rs_buf url = RS_BUF_INIT, scope = RS_BUF_INIT;
    int rc = prepare(r, repo, ref, "manifests", &url, &scope, subject, is_digest, errstr, errsz);
    if (!rc)
        rc = reg_call(r, method, url.data, scope.data, hdrs, max_bytes, resp, "fetch manifest",
                      subject->data, errstr, errsz);
    if (!rc && resp->status != 200)
        rc = fail_status(r, resp->status, K_MANIFEST, "fetch manifest", subject->data, errstr,
                         errsz);
    rs_buf_free(&url);
    rs_buf_free(&scope);
    return rc;
}

int rs_registry_get_manifest(rs_registry *r, const char *repo, const char *ref, char **body,
                             size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                             char *errstr, size_t errsz)
{
    rs_buf subject = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int is_digest = 0, rc;
    *body = NULL;
    *len = 0;
    media_type[0] = digest[0] = '\0';
    if ((rc = manifest_request(r, "GET", repo, ref, RS_MANIFEST_MAX_BYTES, &resp, &subject,
                               &is_digest, errstr, errsz)))
        goto out;
    char computed[RS_DIGEST_SIZE];
    rs_sha256_digest(resp.body, resp.body_len, computed);
    if (is_digest && strcmp(computed, ref)) {
        rc = fail_with(r, RS_ERR_DIGEST_MISMATCH, "fetch manifest", subject.data,
                       "content does not match the digest", errstr, errsz);
        goto out;
    }
    if (rs_digest_valid(resp.docker_content_digest) &&
        strcmp(resp.docker_content_digest, computed)) {
        rc = fail_with(r, RS_ERR_DIGEST_MISMATCH, "fetch manifest", subject.data,
                       "content does not match Docker-Content-Digest", errstr, errsz);
        goto out;
    }
    media_type_of(resp.content_type, media_type);
    if (!known_manifest_type(media_type)) {
        /* served as application/json or untyped: trust the document's own field */
        json_t *j = json_loadb(resp.body, resp.body_len, 0, NULL);
        json_t *mt = j ? json_object_get(j, "mediaType") : NULL;
        if (json_is_string(mt) && json_string_length(mt) < 128)
            snprintf(media_type, 128, "%s", json_string_value(mt));
        json_decref(j);
    }
    memcpy(digest, computed, RS_DIGEST_SIZE);
    *len = resp.body_len;
    *body = resp.body;
    resp.body = NULL;
out:
    rs_http_response_free(&resp);
    rs_buf_free(&subject);
    return rc;
}

int rs_registry_head_manifest(rs_registry *r, const char *repo, const char *ref,
                              char digest[RS_DIGEST_SIZE], char media_type[128], char *errstr,
                              size_t errsz)
{
    rs_buf subject = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int is_digest = 0, rc;
    digest[0] = media_type[0] = '\0';
    if ((rc =
             manifest_request(r, "HEAD", repo, ref, 0, &resp, &subject, &is_digest, errstr, errsz)))
        goto out;
    media_type_of(resp.content_type, media_type);
    if (rs_digest_valid(resp.docker_content_digest)) {
        if (is_digest && strcmp(resp.docker_content_digest, ref)) {
            rc = fail_with(r, RS_ERR_DIGEST_MISMATCH, "fetch manifest", subject.data,
                           "Docker-Content-Digest does not match the reference", errstr, errsz);
            goto out;
        }
        memcpy(digest, resp.docker_content_digest, RS_DIGEST_SIZE - 1);
        digest[RS_DIGEST_SIZE - 1] = '\0';
        goto out;
    }
    /* no digest header: fetch and hash the bytes */
    char *body = NULL;
    size_t len = 0;
    rc = rs_registry_get_manifest(r, repo, ref, &body, &len, media_type, digest, errstr, errsz);
    free(body);
out:
    rs_http_response_free(&resp);
    rs_buf_free(&subject);
    return rc;
}

int rs_registry_open_blob(rs_registry *r, const char *repo, const char *digest, size_t max_bytes,
                          rs_reader **out, char *errstr, size_t errsz)
{
    rs_buf url = RS_BUF_INIT, scope = RS_BUF_INIT, subject = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int is_digest = 0, rc;
    char *auth = NULL;
    char why[1024];
    rs_reader *rd = NULL;
    *out = NULL;
    if (!digest || !rs_digest_valid(digest))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid blob digest '%s'",
                       digest ? digest : "");
    if ((rc = prepare(r, repo, digest, "blobs", &url, &scope, &subject, &is_digest, errstr, errsz)))
        goto out;
    for (int round = 0; round < 2; round++) {
        if (round == 0)
            rc = rs_auth_header(r->auth, scope.data, &auth, why, sizeof why);
        else
            rc = rs_auth_challenge_answer(r->auth, resp.www_authenticate, scope.data, &auth, why,
                                          sizeof why);
        if (rc) {
            rc = fail_with(r, rc, "fetch blob", subject.data, why, errstr, errsz);
            goto out;
        }
        rs_http_response_free(&resp);
        rs_http_request req = {"GET", url.data, NULL, auth, 0};
        rc = rs_http_open(r->http, &req, max_bytes, &rd, &resp, why, sizeof why);
        free(auth);
        auth = NULL;
        if (rc) {
            rc = fail_with(r, rc, "fetch blob", subject.data, why, errstr, errsz);
            goto out;
        }
        if (resp.status != 401)
            break;
    }
    if (!rd) {
        rc = fail_status(r, resp.status, K_BLOB, "fetch blob", subject.data, errstr, errsz);
        goto out;
    }
    if (!(*out = rs_reader_verify_new(rd, digest, max_bytes, subject.data)))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rd = NULL;
out:
    rs_reader_destroy(rd);
    free(auth);
    rs_http_response_free(&resp);
    rs_buf_free(&url);
    rs_buf_free(&scope);
    rs_buf_free(&subject);
    return rc;
}

int rs_registry_blob_exists(rs_registry *r, const char *repo, const char *digest, char *errstr,
                            size_t errsz)
{
    rs_buf url = RS_BUF_INIT, scope = RS_BUF_INIT, subject = RS_BUF_INIT;
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    int is_digest = 0, rc;
    if (!digest || !rs_digest_valid(digest))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid blob digest '%s'",
                       digest ? digest : "");
    if ((rc = prepare(r, repo, digest, "blobs", &url, &scope, &subject, &is_digest, errstr, errsz)))
        goto out;
    if ((rc = reg_call(r, "HEAD", url.data, scope.data, NULL, 0, &resp, "check blob", subject.data,
                       errstr, errsz)))
        goto out;
    if (resp.status == 200)
        rc = 1;
    else if (resp.status == 404)
        rc = 0;
    else
        rc = fail_status(r, resp.status, K_BLOB, "check blob", subject.data, errstr, errsz);
out:
    rs_http_response_free(&resp);
    rs_buf_free(&url);
    rs_buf_free(&scope);
    rs_buf_free(&subject);
    return rc;
}

/* ---- image references --------------------------------------------------- */

static int host_is_loopback(const char *host)
{
    char name[256];
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end)
            return 0;
        snprintf(name, sizeof name, "%.*s", (int)(end - host - 1), host + 1);
        return !strcmp(name, "::1");
    }
    snprintf(name, sizeof name, "%.*s", (int)strcspn(host, ":"), host);
    if (!strcasecmp(name, "localhost"))
        return 1;
    if (strncmp(name, "127.", 4))
        return 0;
    int parts = 2; /* "127" and what follows its dot */
    for (const char *c = name + 4; *c; c++) {
        if (*c == '.')
            parts++;
        else if (!isdigit((unsigned char)*c))
            return 0;
    }
    return parts == 4;
}

static int host_listed(const char *host, char *const *list, size_t n)
{
    size_t bare = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
    for (size_t i = 0; i < n; i++) {
        if (!list[i])
            continue;
        if (!strcasecmp(list[i], host))
            return 1;
        if (strlen(list[i]) == bare && !strncasecmp(list[i], host, bare))
            return 1;
    }
    return 0;
}

static int valid_host(const char *h, size_t n)
{
    if (!n || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)h[i]) && !strchr(".-:[]", h[i]))
            return 0;
    return 1;
}

int rs_imageref_parse(const char *ref, char *const *insecure_hosts, size_t n_insecure,
                      rs_imageref *out, char *errstr, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (!ref || !*ref || strlen(ref) > 1024)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid image reference '%s'",
                       ref ? ref : "");
    char name[1100];
    snprintf(name, sizeof name, "%s", ref);
    char *at = strrchr(name, '@');
    if (at) {
        *at = '\0';
        if (!rs_digest_valid(at + 1))
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid digest in image reference '%s'",
                           ref);
        snprintf(out->digest, sizeof out->digest, "%s", at + 1);
    }
    char *slash = strrchr(name, '/');
    char *colon = strrchr(name, ':');
    if (colon && (!slash || colon > slash)) {
        *colon = '\0';
        if (!rs_registry_valid_tag(colon + 1))
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid tag in image reference '%s'",
                           ref);
        snprintf(out->tag, sizeof out->tag, "%s", colon + 1);
    }
    const char *repo = name, *prefix = "";
    size_t first = strcspn(name, "/");
    if (name[first] == '/' && (memchr(name, '.', first) || memchr(name, ':', first) ||
                               (first == 9 && !strncmp(name, "localhost", 9)))) {
        if (!valid_host(name, first))
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid registry in image reference '%s'",
                           ref);
        snprintf(out->host, sizeof out->host, "%.*s", (int)first, name);
        repo = name + first + 1;
    } else {
        snprintf(out->host, sizeof out->host, "docker.io");
        if (name[first] != '/')
            prefix = "library/";
    }
    if (strlen(prefix) + strlen(repo) >= sizeof out->repository)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "repository too long in image reference '%s'",
                       ref);
    memcpy(out->repository, prefix, strlen(prefix));
    memcpy(out->repository + strlen(prefix), repo, strlen(repo) + 1);
    if (!rs_registry_valid_repository(out->repository))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid repository in image reference '%s'",
                       ref);
    if (!out->tag[0] && !out->digest[0])
        snprintf(out->tag, sizeof out->tag, "latest");
    out->insecure = host_is_loopback(out->host) ||
                    host_listed(out->host, insecure_hosts, insecure_hosts ? n_insecure : 0);
    return 0;
}

/* ---- Docker config file ------------------------------------------------ */

/* "https://host/v1/" or "host" → "host" */
static void auths_key_host(const char *key, char *out, size_t out_size)
{
    const char *p = strstr(key, "://");
    p = p ? p + 3 : key;
    snprintf(out, out_size, "%.*s", (int)strcspn(p, "/"), p);
}

int rs_docker_config_auth(const char *host, char **username, char **password)
{
    *username = *password = NULL;
    char path[4096];
    const char *dir = getenv("DOCKER_CONFIG");
    const char *home = getenv("HOME");
    if (dir && *dir)
        snprintf(path, sizeof path, "%s/config.json", dir);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.docker/config.json", home);
    else
        return 0;
    rs_reader *f = rs_reader_file_new(path, NULL, 0);
    if (!f)
        return 0; /* no file: no credentials */
    char *text = NULL;
    size_t len = 0;
    int rc = rs_reader_slurp(f, 1024 * 1024, &text, &len, NULL, 0);
    rs_reader_destroy(f);
    if (rc)
        return RS_ERR_CONFIG;
    json_t *j = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_object(j)) {
        json_decref(j);
        return RS_ERR_CONFIG;
    }
    rc = 0;
    json_t *auths = json_object_get(j, "auths");
    const char *key;
    json_t *entry;
    json_object_foreach(auths, key, entry)
    {
        char h[256];
        auths_key_host(key, h, sizeof h);
        if (strcasecmp(h, host) || !json_is_object(entry))
            continue;
        json_t *a = json_object_get(entry, "auth");
        json_t *u = json_object_get(entry, "username");
        json_t *p = json_object_get(entry, "password");
        if (json_is_string(a) && json_string_length(a)) {
            char *dec = NULL;
            size_t dlen = 0;
            if (rs_base64_decode(json_string_value(a), json_string_length(a), &dec, &dlen)) {
                rc = RS_ERR_CONFIG;
                break;
            }
            char *sep = memchr(dec, ':', dlen);
            if (!sep) {
                memset(dec, 0, dlen);
                free(dec);
                rc = RS_ERR_CONFIG;
                break;
            }
            *sep = '\0';
            *username = strdup(dec);
            *password = strdup(sep + 1);
            memset(dec, 0, dlen);
            free(dec);
        } else if (json_is_string(u) && json_is_string(p)) {
            *username = strdup(json_string_value(u));
            *password = strdup(json_string_value(p));
        } else {
            continue;
        }
        if (!*username || !*password) {
            free(*username);
            free(*password);
            *username = *password = NULL;
            rc = RS_ERR_INTERNAL;
            break;
        }
        rc = 1;
        break;
    }
    json_decref(j);
    return rc;
}

/* ---- lent to the other files of common/registry (registry_int.h) -------- */

int rs_registry_int_call(rs_registry *r, const char *url, const char *scope,
                         const char *const *hdrs, size_t max_body, rs_http_response *resp,
                         const char *action, const char *subject, char *errstr, size_t errsz)
{
    return reg_call(r, "GET", url, scope, hdrs, max_body, resp, action, subject, errstr, errsz);
}

int rs_registry_int_fail(rs_registry *r, int rc, const char *action, const char *subject,
                         const char *why, char *errstr, size_t errsz)
{
    return fail_with(r, rc, action, subject, why, errstr, errsz);
}

const char *rs_registry_int_base(const rs_registry *r)
{
    return r->base;
}

int rs_registry_int_next(rs_registry *r, const char *next, rs_buf *out)
{
    return resolve_next(r, next, out);
}

int rs_registry_int_status(rs_registry *r, long status, const char *action, const char *subject,
                           char *errstr, size_t errsz)
{
    return fail_status(r, status, K_OTHER, action, subject, errstr, errsz);
}
