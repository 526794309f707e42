/* acrtags.c - ACR's time-ordered tag listing (registry.h, "acrtags"):
 * GET /acr/v1/{repository}/_tags?orderby=timedesc, page by page.
 *
 * Answers are hostile: types, tag names, digests and times are checked and a
 * bad one fails the page with the field named; times must not increase, as
 * callers stop early on them. Knows nothing about what a caller keeps. */
#include "registry.h"
#include "registry_int.h"
#include "base.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct page_ctx {
    const char *repo;
    int64_t *prev;
    rs_acr_tag_cb cb;
    void *opaque;
    int stop; /* cb's non-zero answer */
    char why[256];
};

/* One entry of "tags": checked, then handed to the callback. */
static int tag_item(const json_t *v, void *opaque)
{
    struct page_ctx *c = opaque;
    if (!json_is_object(v))
        return snprintf(c->why, sizeof c->why, "not an object"), RS_ERR_INVALID;
    const char *name = json_string_value(json_object_get(v, "name"));
    const char *digest = json_string_value(json_object_get(v, "digest"));
    const char *when = json_string_value(json_object_get(v, "lastUpdateTime"));
    rs_acr_tag t = {name, digest, 0};
    if (!name || !rs_registry_valid_tag(name))
        return snprintf(c->why, sizeof c->why, "name: not a valid tag"), RS_ERR_INVALID;
    if (!digest || !rs_digest_valid(digest))
        return snprintf(c->why, sizeof c->why, "digest: not a sha256 digest"), RS_ERR_INVALID;
    if (rs_clock_parse_rfc3339(when, &t.updated))
        return snprintf(c->why, sizeof c->why, "lastUpdateTime: not an RFC 3339 time"),
               RS_ERR_INVALID;
    if (t.updated > *c->prev)
        return snprintf(c->why, sizeof c->why, "lastUpdateTime: newer than the tag before"),
               RS_ERR_INVALID;
    *c->prev = t.updated;
    int rc = c->cb(&t, c->opaque);
    if (rc > 0) {
        c->stop = rc;
        return 1; /* ends rs_json_each; told apart from errors by c->stop */
    }
    if (rc < 0)
        snprintf(c->why, sizeof c->why, "refused by the caller");
    return rc;
}

int rs_acr_tags_parse(const char *body, size_t len, const char *repo, int64_t *prev,
                      rs_acr_tag_cb cb, void *opaque, char *errstr, size_t errsz)
{
    struct page_ctx c = {repo, prev, cb, opaque, 0, ""};
    char what[64];
    json_t *j = json_loadb(body ? body : "", len, 0, NULL);
    int rc = 0;
    if (!json_is_object(j)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "malformed _tags answer: not a JSON object");
        goto out;
    }
    const char *image = json_string_value(json_object_get(j, "imageName"));
    if (image && strcmp(image, repo) != 0) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "malformed _tags answer: imageName is not '%s'", repo);
        goto out;
    }
    snprintf(what, sizeof what, "_tags answer: tags");
    rc = rs_json_each(json_object_get(j, "tags"), RS_ACR_TAGS_PAGE_MAX, what, tag_item, &c,
                      errstr, errsz);
    if (c.stop) {
        rc = c.stop;
    } else if (rc && c.why[0]) {
        /* rs_json_each named the item; add what was wrong with it */
        char head[512];
        snprintf(head, sizeof head, "%s", errstr);
        rc = rs_errf(errstr, errsz, rc, "%s: %s", head, c.why);
    }
out:
    json_decref(j);
    return rc;
}

/* Fetches and parses one page; *next gets the next page's URL ("" at the end). */
static int one_page(rs_registry *r, const char *repo, const char *url, const char *scope,
                    int first, int64_t *prev, rs_acr_tag_cb cb, void *opaque, rs_buf *next,
                    char *errstr, size_t errsz)
{
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    rs_http_response resp;
    memset(&resp, 0, sizeof resp);
    char why[1024], link[4096];
    int rc = rs_registry_int_call(r, url, scope, hdrs, RS_ACR_TAGS_BODY_MAX, &resp,
                                  "list tags (_tags) of", repo, errstr, errsz);
    if (rc)
        goto out;
    if (resp.status != 200) {
        /* a registry that is not ACR: an unknown route is a 404 or 405, or a 400 or
         * a refusal (401, 403) where it checks names or rights before routes */
        if (first && (resp.status == 400 || resp.status == 401 || resp.status == 403 ||
                      resp.status == 404 || resp.status == 405)) {
            snprintf(why, sizeof why, "%ld: not offered", resp.status);
            rc = rs_registry_int_fail(r, RS_ERR_UNSUPPORTED, "list tags (_tags) of", repo, why,
                                      errstr, errsz);
        } else {
            rc = rs_registry_int_status(r, resp.status, "list tags (_tags) of", repo, errstr,
                                        errsz);
        }
        goto out;
    }
    rc = rs_acr_tags_parse(resp.body, resp.body_len, repo, prev, cb, opaque, why, sizeof why);
    if (rc) {
        if (rc < 0)
            rs_registry_int_fail(r, rc, "list tags (_tags) of", repo, why, errstr, errsz);
        goto out;
    }
    rs_buf_reset(next);
    int ln = rs_registry_link_next(resp.link, link, sizeof link);
    if (ln < 0)
        rc = rs_registry_int_fail(r, RS_ERR_INVALID, "list tags (_tags) of", repo,
                                  "unparsable Link header", errstr, errsz);
    else if (ln > 0 && rs_registry_int_next(r, link, next))
        rc = rs_registry_int_fail(r, RS_ERR_INVALID, "list tags (_tags) of", repo,
                                  "Link header points outside the registry", errstr, errsz);
out:
    rs_http_response_free(&resp);
    return rc;
}

int rs_registry_acr_tags(rs_registry *r, const char *repo, rs_acr_tag_cb cb, void *opaque,
                         long *pages, char *errstr, size_t errsz)
{
    rs_buf url = RS_BUF_INIT, scope = RS_BUF_INIT, next = RS_BUF_INIT;
    char **seen = NULL;
    size_t n_seen = 0, cap_seen = 0;
    int64_t prev = INT64_MAX;
    int rc = 0;
    if (pages)
        *pages = 0;
    if (!rs_registry_valid_repository(repo))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid repository name '%s'",
                       repo ? repo : "");
    if (rs_buf_printf(&url, "%s/acr/v1/%s/_tags?orderby=timedesc&n=%d", rs_registry_int_base(r),
                      repo, RS_ACR_TAGS_PAGE_SIZE) ||
        rs_buf_printf(&scope, "repository:%s:metadata_read,pull", repo)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (long page = 0;; page++) {
        if (page >= RS_REGISTRY_MAX_PAGES) {
            rc = rs_registry_int_fail(r, RS_ERR_LIMIT_EXCEEDED, "list tags (_tags) of", repo,
                                      "too many pages", errstr, errsz);
            goto out;
        }
        if (pages)
            (*pages)++;
        rc = one_page(r, repo, url.data, scope.data, page == 0, &prev, cb, opaque, &next, errstr,
                      errsz);
        if (rc == RS_ACR_STOP)
            rc = 0;
        if (rc || !next.len)
            goto out;
        if (RS_GROW(seen, n_seen + 1, cap_seen) || !(seen[n_seen] = strdup(url.data))) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
            goto out;
        }
        n_seen++;
        for (size_t s = 0; s < n_seen; s++)
            if (!strcmp(seen[s], next.data)) {
                rc = rs_registry_int_fail(r, RS_ERR_INVALID, "list tags (_tags) of", repo,
                                          "Link header repeats an earlier page", errstr, errsz);
                goto out;
            }
        rs_buf_reset(&url);
        if (rs_buf_puts(&url, next.data)) {
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
out:
    for (size_t s = 0; s < n_seen; s++)
        free(seen[s]);
    free(seen);
    rs_buf_free(&url);
    rs_buf_free(&scope);
    rs_buf_free(&next);
    return rc;
}
