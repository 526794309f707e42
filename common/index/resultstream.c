/* resultstream.c - the stream form of a layer result (index.h): one line of
 * JSON per item, written and decoded one line at a time, so that the
 * sandboxed child and its parent never hold a whole result's JSON tree or
 * text. The items are those of the JSON form (layer.c's codecs). */
#include "index.h"
#include "layer_int.h"
#include "base.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing */

struct sw {
    rs_layer_stream_write_fn *fn;
    void *ctx;
    int rc;
};

static int dump_cb(const char *buf, size_t n, void *ctx)
{
    struct sw *w = ctx;
    if (!w->rc)
        w->rc = w->fn(buf, n, w->ctx);
    return w->rc ? -1 : 0;
}

/* Writes j (a reference it takes; NULL: out of memory) and a '\n'. */
static int put(struct sw *w, json_t *j)
{
    if (!j)
        return RS_ERR_INTERNAL;
    int rc = json_dump_callback(j, dump_cb, w, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (w->rc)
        return w->rc;
    if (rc)
        return RS_ERR_INTERNAL;
    return (w->rc = w->fn("\n", 1, w->ctx));
}

static json_t *header_json(const rs_layer_result *r)
{
    json_t *j = json_pack("{s:i, s:I, s:I, s:I, s:I, s:I}", "layer_result_stream", 1, "files",
                          (json_int_t)r->n_files, "links", (json_int_t)r->n_links, "whiteouts",
                          (json_int_t)r->n_whiteouts, "opaque_dirs",
                          (json_int_t)r->n_opaque_dirs, "skipped", (json_int_t)r->n_skipped);
    if (j && rs_layer_counters_json(j, r)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* A file's head with its counts, then its packages and owned paths. */
static int put_file(struct sw *w, const rs_layer_file *f)
{
    json_t *o = rs_layer_file_head_json(f);
    if (o && (json_object_set_new(o, "packages", json_integer((json_int_t)f->n_pkgs)) ||
              json_object_set_new(o, "owned", json_integer((json_int_t)f->n_owned)))) {
        json_decref(o);
        o = NULL;
    }
    int rc = put(w, o);
    for (size_t k = 0; !rc && k < f->n_pkgs; k++)
        rc = put(w, rs_pkg_to_json(&f->pkgs[k]));
    for (size_t k = 0; !rc && k < f->n_owned; k++)
        rc = put(w, rs_layer_path_json(f->owned[k]));
    return rc;
}

int rs_layer_result_write_stream(const rs_layer_result *r, rs_layer_stream_write_fn *write,
                                 void *ctx)
{
    struct sw w = {write, ctx, 0};
    int rc = put(&w, header_json(r));
    for (size_t i = 0; !rc && i < r->n_files; i++)
        rc = put_file(&w, &r->files[i]);
    for (size_t i = 0; !rc && i < r->n_links; i++)
        rc = put(&w, rs_layer_link_json(&r->links[i]));
    for (size_t i = 0; !rc && i < r->n_whiteouts; i++)
        rc = put(&w, rs_layer_path_json(r->whiteouts[i]));
    for (size_t i = 0; !rc && i < r->n_opaque_dirs; i++)
        rc = put(&w, rs_layer_path_json(r->opaque_dirs[i]));
    for (size_t i = 0; !rc && i < r->n_skipped; i++)
        rc = put(&w, rs_layer_skipped_json(&r->skipped[i]));
    return rc;
}

/* ---- reading */

/* What the next line is. The sections follow each other in this order. */
enum { ST_HEADER, ST_FILE, ST_PKG, ST_OWNED, ST_LINK, ST_WHITEOUT, ST_OPAQUE, ST_SKIPPED, ST_END };
enum { SEC_FILES, SEC_LINKS, SEC_WHITEOUTS, SEC_OPAQUE, SEC_SKIPPED, SEC_N };
static const char *const sec_keys[SEC_N] = {"files", "links", "whiteouts", "opaque_dirs",
                                            "skipped"};

struct rs_layer_stream {
    rs_layer_result *r;
    int rc; /* the first error, returned again */
    char err[400];
    char *part; /* the start of a line whose end has not come yet */
    size_t part_len, part_cap;
    uint64_t line;
    int state;
    uint64_t left[SEC_N];           /* items of each section still to come */
    uint64_t pkgs_left, owned_left; /* of the current file */
    char *path, *analyzer;          /* the current file's */
    rs_analysis res;                /* its packages, owned paths, os, secrets */
};

rs_layer_stream *rs_layer_stream_new(void)
{
    rs_layer_stream *d = calloc(1, sizeof *d);
    if (d && !(d->r = calloc(1, sizeof *d->r))) {
        free(d);
        return NULL;
    }
    return d;
}

static void file_reset(rs_layer_stream *d)
{
    free(d->path);
    free(d->analyzer);
    d->path = d->analyzer = NULL;
    rs_analysis_clear(&d->res);
}

void rs_layer_stream_free(rs_layer_stream *d)
{
    if (!d)
        return;
    file_reset(d);
    rs_layer_result_free(d->r);
    free(d->part);
    free(d);
}

/* The next section with items left, or the end. */
static void advance(rs_layer_stream *d)
{
    static const int st[SEC_N] = {ST_FILE, ST_LINK, ST_WHITEOUT, ST_OPAQUE, ST_SKIPPED};
    for (int k = 0; k < SEC_N; k++)
        if (d->left[k]) {
            d->state = st[k];
            return;
        }
    d->state = ST_END;
}

/* A count of at most RS_LAYER_JSON_MAX_ITEMS in o[key]; -1 when it is not. */
static int count(const json_t *o, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > RS_LAYER_JSON_MAX_ITEMS)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int decode_header(rs_layer_stream *d, const json_t *j, char *errstr, size_t errsz)
{
    json_t *v = json_object_get(j, "layer_result_stream");
    if (!json_is_integer(v) || json_integer_value(v) != 1)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "not a layer result stream (no \"layer_result_stream\": 1)");
    for (int k = 0; k < SEC_N; k++)
        if (count(j, sec_keys[k], &d->left[k]))
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "bad '%s' count (at most %d)",
                           sec_keys[k], RS_LAYER_JSON_MAX_ITEMS);
    int rc = rs_layer_counters_decode(j, d->r, errstr, errsz);
    if (!rc)
        advance(d);
    return rc;
}

/* The current file is complete: it moves into the result. */
static int file_done(rs_layer_stream *d, char *errstr, size_t errsz)
{
    int rc = rs_layer_add_file(d->r, d->path, d->analyzer, &d->res, errstr, errsz);
    file_reset(d);
    d->left[SEC_FILES]--;
    advance(d);
    return rc;
}

/* After a file's package or owned path: what comes next. */
static int file_next(rs_layer_stream *d, char *errstr, size_t errsz)
{
    if (d->pkgs_left)
        d->state = ST_PKG;
    else if (d->owned_left)
        d->state = ST_OWNED;
    else
        return file_done(d, errstr, errsz);
    return 0;
}

static int decode_file_head(rs_layer_stream *d, const json_t *o, char *errstr, size_t errsz)
{
    const char *path, *an;
    if (count(o, "packages", &d->pkgs_left) || count(o, "owned", &d->owned_left))
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid layer result: bad file entry (its counts)");
    int rc = rs_layer_file_head_decode(o, &path, &an, &d->res, errstr, errsz);
    if (rc)
        return rc;
    if (!(d->path = strdup(path)) || !(d->analyzer = strdup(an)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return file_next(d, errstr, errsz);
}

/* One of the sections after the files: its item, then what comes next. */
static int decode_item(rs_layer_stream *d, const json_t *j, char *errstr, size_t errsz)
{
    int rc, sec;
    switch (d->state) {
    case ST_LINK:
        sec = SEC_LINKS, rc = rs_layer_link_decode(j, d->r, errstr, errsz);
        break;
    case ST_WHITEOUT:
    case ST_OPAQUE:
        sec = d->state == ST_OPAQUE ? SEC_OPAQUE : SEC_WHITEOUTS;
        rc = rs_layer_path_decode(j, d->state == ST_OPAQUE, d->r, errstr, errsz);
        break;
    default:
        sec = SEC_SKIPPED, rc = rs_layer_skipped_decode(j, d->r, errstr, errsz);
    }
    d->left[sec]--;
    advance(d);
    return rc;
}

static int decode_line(rs_layer_stream *d, const json_t *j, char *errstr, size_t errsz)
{
    int rc;
    switch (d->state) {
    case ST_HEADER:
        return decode_header(d, j, errstr, errsz);
    case ST_FILE:
        return decode_file_head(d, j, errstr, errsz);
    case ST_PKG:
        d->pkgs_left--;
        rc = rs_layer_add_pkg_json(&d->res, j, errstr, errsz);
        return rc ? rc : file_next(d, errstr, errsz);
    case ST_OWNED:
        d->owned_left--;
        rc = rs_layer_add_owned_json(&d->res, j, errstr, errsz);
        return rc ? rc : file_next(d, errstr, errsz);
    default:
        return decode_item(d, j, errstr, errsz);
    }
}

/* Records the first error: "line N: why". */
static int fail(rs_layer_stream *d, int rc, const char *why)
{
    d->rc = rc;
    snprintf(d->err, sizeof d->err, "line %llu: %s", (unsigned long long)d->line, why);
    return rc;
}

static int line(rs_layer_stream *d, const char *s, size_t n)
{
    char why[300];
    d->line++;
    if (d->state == ST_END)
        return fail(d, RS_ERR_INVALID, "data after the end of the result");
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        snprintf(why, sizeof why, "not JSON: %s", je.text);
        return fail(d, RS_ERR_INVALID, why);
    }
    int rc = decode_line(d, j, why, sizeof why);
    json_decref(j);
    return rc ? fail(d, rc, why) : 0;
}

static int part_add(rs_layer_stream *d, const char *s, size_t n)
{
    if (RS_GROW(d->part, d->part_len + n, d->part_cap))
        return fail(d, RS_ERR_INTERNAL, "out of memory");
    memcpy(d->part + d->part_len, s, n);
    d->part_len += n;
    return 0;
}

int rs_layer_stream_feed(rs_layer_stream *d, const void *buf, size_t len, char *errstr,
                         size_t errsz)
{
    const char *p = buf, *end = p + len;
    while (!d->rc && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (d->part_len + n > RS_LAYER_STREAM_MAX_LINE) {
            char why[100];
            snprintf(why, sizeof why, "longer than %zu bytes", RS_LAYER_STREAM_MAX_LINE);
            d->line++;
            fail(d, RS_ERR_INVALID, why);
            break;
        }
        if (!nl) {
            part_add(d, p, n);
            break;
        }
        if (d->part_len) {
            if (!part_add(d, p, n))
                line(d, d->part, d->part_len);
            d->part_len = 0;
        } else {
            line(d, p, n);
        }
        p = nl + 1;
    }
    return d->rc ? rs_errf(errstr, errsz, d->rc, "%s", d->err) : 0;
}

int rs_layer_stream_finish(rs_layer_stream *d, rs_layer_result **out, char *errstr,
                           size_t errsz)
{
    *out = NULL;
    if (!d->rc && d->part_len) {
        d->line++;
        fail(d, RS_ERR_INVALID, "the result ends inside this line");
    } else if (!d->rc && d->state != ST_END) {
        d->line++;
        fail(d, RS_ERR_INVALID, d->state == ST_HEADER ? "no result (nothing written)"
                                                      : "the result ends early");
    }
    if (d->rc)
        return rs_errf(errstr, errsz, d->rc, "%s", d->err);
    *out = d->r;
    d->r = NULL;
    return 0;
}
