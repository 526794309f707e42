/* layer.c - stream one layer blob: inflate, walk tar entries, run analyzers.
 *
 * libarchive pulls compressed bytes through a callback over the rs_reader
 * (gzip, zstd or no filter, detected from the bytes; tar, pax and GNU tar
 * formats only) and hands back entry data in blocks that are never copied
 * unless an analyzer wants the file. Limits (entries, uncompressed bytes,
 * ratio, path length) are checked as the stream goes, so a bomb stops early.
 * Nothing is written to disk. Merging layers is merge.c's business. */
#include "layer.h"
#include "analyzers/analyzer.h"
#include "buf.h"
#include "err.h"
#include "utf8.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYER_CHUNK 65536
#define LAYER_PATH_MAX 4096
/* a path in the JSON form: each byte of a tar path may have become a 3-byte U+FFFD */
#define LAYER_JSON_PATH_MAX (3 * (LAYER_PATH_MAX + 1))
#define LAYER_JSON_MAX_ITEMS 1000000

struct walk {
    rs_reader *in;
    int in_rc; /* the reader's own error, which wins over libarchive's */
    int in_eof;
    uint64_t compressed;
    char in_err[256];
    unsigned char buf[LAYER_CHUNK];
};

static la_ssize_t walk_read(struct archive *a, void *client, const void **out)
{
    struct walk *w = client;
    *out = w->buf;
    if (w->in_eof)
        return 0;
    ssize_t got = rs_reader_read(w->in, w->buf, sizeof w->buf, w->in_err, sizeof w->in_err);
    if (got < 0) {
        w->in_rc = (int)got;
        archive_set_error(a, -1, "%s", w->in_err);
        return -1;
    }
    if (got == 0)
        w->in_eof = 1;
    w->compressed += (uint64_t)got;
    return got;
}

/* Grows *arr (of elem-sized items) so that one more item fits. */
static int grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    void **p = arr;
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *q = realloc(*p, nc * elem);
    if (!q)
        return RS_ERR_INTERNAL;
    *p = q;
    *cap = nc;
    return 0;
}

static int add_str(char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (grow(arr, cap, *n, sizeof **arr))
        return RS_ERR_INTERNAL;
    if (!((*arr)[*n] = strdup(s)))
        return RS_ERR_INTERNAL;
    (*n)++;
    return 0;
}

static int add_skipped(rs_layer_result *r, const char *path, const char *reason)
{
    if (grow(&r->skipped, &r->cap_skipped, r->n_skipped, sizeof *r->skipped))
        return RS_ERR_INTERNAL;
    rs_layer_skipped *s = &r->skipped[r->n_skipped];
    s->path = strdup(path);
    s->reason = strdup(reason);
    if (!s->path || !s->reason) {
        free(s->path);
        free(s->reason);
        return RS_ERR_INTERNAL;
    }
    r->n_skipped++;
    return 0;
}

static int add_link(rs_layer_result *r, const char *path, const char *target, int hard)
{
    if (grow(&r->links, &r->cap_links, r->n_links, sizeof *r->links))
        return RS_ERR_INTERNAL;
    rs_layer_link *l = &r->links[r->n_links];
    l->path = strdup(path);
    l->target = strdup(target);
    l->hard = hard;
    if (!l->path || !l->target) {
        free(l->path);
        free(l->target);
        return RS_ERR_INTERNAL;
    }
    r->n_links++;
    return 0;
}

static void file_clear(rs_layer_file *f)
{
    free(f->path);
    free(f->analyzer);
    for (size_t i = 0; i < f->n_pkgs; i++)
        rs_pkg_clear(&f->pkgs[i]);
    free(f->pkgs);
    memset(f, 0, sizeof *f);
}

/* Appends a file result; takes the analysis' packages over. */
static int add_file(rs_layer_result *r, const char *path, const char *analyzer, rs_analysis *an)
{
    if (grow(&r->files, &r->cap_files, r->n_files, sizeof *r->files))
        return RS_ERR_INTERNAL;
    rs_layer_file *f = &r->files[r->n_files];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    f->analyzer = strdup(analyzer);
    if (!f->path || !f->analyzer) {
        file_clear(f);
        return RS_ERR_INTERNAL;
    }
    f->pkgs = an->pkgs;
    f->n_pkgs = an->n_pkgs;
    f->os = an->os;
    f->n_malformed = an->n_malformed;
    memset(an, 0, sizeof *an);
    r->n_files++;
    return 0;
}

/* Copies the result of file `from` (this layer) to `path` (a hard link). */
static int copy_file(rs_layer_result *r, const rs_layer_file *from, const char *path)
{
    rs_analysis an = {0};
    an.os = from->os;
    an.n_malformed = from->n_malformed;
    for (size_t i = 0; i < from->n_pkgs; i++) {
        rs_pkg p = from->pkgs[i];
        p.path = (char *)path;
        if (rs_analysis_add_pkg(&an, &p)) {
            rs_analysis_clear(&an);
            return RS_ERR_INTERNAL;
        }
    }
    char *analyzer = strdup(from->analyzer);
    int rc = analyzer ? add_file(r, path, analyzer, &an) : RS_ERR_INTERNAL;
    free(analyzer);
    rs_analysis_clear(&an);
    return rc;
}

void rs_layer_result_free(rs_layer_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_files; i++)
        file_clear(&r->files[i]);
    free(r->files);
    for (size_t i = 0; i < r->n_links; i++) {
        free(r->links[i].path);
        free(r->links[i].target);
    }
    free(r->links);
    for (size_t i = 0; i < r->n_whiteouts; i++)
        free(r->whiteouts[i]);
    free(r->whiteouts);
    for (size_t i = 0; i < r->n_opaque_dirs; i++)
        free(r->opaque_dirs[i]);
    free(r->opaque_dirs);
    for (size_t i = 0; i < r->n_skipped; i++) {
        free(r->skipped[i].path);
        free(r->skipped[i].reason);
    }
    free(r->skipped);
    free(r);
}

/* Checks the byte limits against the stream position so far. */
static int check_bytes(struct archive *a, const struct walk *w, const rs_layer_limits *lim,
                       rs_layer_result *r, char *errstr, size_t errsz)
{
    int64_t pos = archive_filter_bytes(a, 0);
    r->uncompressed_bytes = pos > 0 ? (uint64_t)pos : 0;
    r->compressed_bytes = w->compressed;
    if (lim->max_uncompressed_bytes && r->uncompressed_bytes > lim->max_uncompressed_bytes)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "layer exceeds max_uncompressed_bytes (%llu bytes)",
                       (unsigned long long)lim->max_uncompressed_bytes);
    if (lim->max_ratio > 0 && r->uncompressed_bytes > lim->ratio_min_bytes &&
        (double)r->uncompressed_bytes >
            lim->max_ratio * (double)(w->compressed ? w->compressed : 1))
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "layer exceeds max_ratio (%.0f): %llu bytes inflated from %llu",
                       lim->max_ratio, (unsigned long long)r->uncompressed_bytes,
                       (unsigned long long)w->compressed);
    return 0;
}

static int archive_fail(struct archive *a, const struct walk *w, const char *media_type,
                        char *errstr, size_t errsz)
{
    if (w->in_rc)
        return rs_errf(errstr, errsz, w->in_rc, "%s", w->in_err);
    const char *msg = archive_error_string(a);
    return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer '%s': %s",
                   media_type && media_type[0] ? media_type : "tar", msg ? msg : "unreadable");
}

/* Reads the current entry's data; collects it into `keep` (may be NULL)
 * until keep->limit, past which *overflow is set and collecting stops. */
static int read_data(struct archive *a, struct walk *w, const rs_layer_limits *lim,
                     rs_layer_result *r, rs_buf *keep, int *overflow, const char *media_type,
                     char *errstr, size_t errsz)
{
    for (;;) {
        const void *blk;
        size_t n;
        la_int64_t off;
        int ar = archive_read_data_block(a, &blk, &n, &off);
        if (ar == ARCHIVE_EOF)
            return 0;
        if (ar < ARCHIVE_WARN)
            return archive_fail(a, w, media_type, errstr, errsz);
        int rc = check_bytes(a, w, lim, r, errstr, errsz);
        if (rc)
            return rc;
        if (!keep || *overflow || !n)
            continue;
        /* sparse files: holes read as zeros, as the file would */
        if (off < 0 || (uint64_t)off > keep->limit) {
            *overflow = 1;
            continue;
        }
        while (keep->len < (size_t)off && !*overflow)
            if (rs_buf_append(keep, "", 1))
                *overflow = 1;
        if (!*overflow && rs_buf_append(keep, blk, n))
            *overflow = 1;
    }
}

/* Handles one entry. Returns 0 or an error that ends the walk. */
static int walk_entry(struct archive *a, struct archive_entry *e, struct walk *w,
                      const rs_layer_limits *lim, rs_layer_result *r, const char *media_type,
                      char *errstr, size_t errsz)
{
    const char *raw = archive_entry_pathname(e);
    if (!raw)
        raw = archive_entry_pathname_utf8(e);
    size_t max_path = lim->max_path_len ? lim->max_path_len : LAYER_PATH_MAX;
    if (raw && strlen(raw) > max_path)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "layer entry path exceeds max_path_len (%zu bytes)", max_path);
    char path[LAYER_PATH_MAX + 2];
    if (!raw || rs_analyzer_path_normalize(raw, path, sizeof path) != 0) {
        /* an entry that escapes the root or cannot be named is not applied */
        if (raw && add_skipped(r, raw, "INVALID"))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);
    }
    const char *base = strrchr(path, '/') + 1;
    if (strncmp(base, ".wh.", 4) == 0) {
        size_t dirlen = (size_t)(base - path) - 1; /* without the slash */
        char target[LAYER_PATH_MAX + 2];
        int rc = 0;
        if (strcmp(base, ".wh..wh..opq") == 0) {
            snprintf(target, sizeof target, "%.*s", (int)(dirlen ? dirlen : 1), path);
            rc = add_str(&r->opaque_dirs, &r->n_opaque_dirs, &r->cap_opaque_dirs, target);
        } else if (strncmp(base, ".wh..wh.", 8) != 0 && base[4]) {
            /* ".wh..wh.*" other than .opq are aufs bookkeeping: ignored */
            snprintf(target, sizeof target, "%.*s/%s", (int)dirlen, path, base + 4);
            rc = add_str(&r->whiteouts, &r->n_whiteouts, &r->cap_whiteouts, target);
        }
        if (rc)
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);
    }
    const rs_analyzer *an = rs_analyzer_for_path(path);
    const char *hard = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    if (an && hard) {
        char tpath[LAYER_PATH_MAX + 2];
        if (rs_analyzer_path_normalize(hard, tpath, sizeof tpath) != 0) {
            if (add_skipped(r, path, "INVALID"))
                return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        } else {
            const rs_layer_file *from = NULL;
            for (size_t i = r->n_files; i > 0; i--)
                if (strcmp(r->files[i - 1].path, tpath) == 0 &&
                    strcmp(r->files[i - 1].analyzer, an->name) == 0) {
                    from = &r->files[i - 1];
                    break;
                }
            int rc = from ? copy_file(r, from, path) : add_link(r, path, tpath, 1);
            if (rc)
                return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        }
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);
    }
    if (an && type == AE_IFLNK) {
        const char *t = archive_entry_symlink(e);
        if (!t)
            t = archive_entry_symlink_utf8(e);
        int rc = t ? add_link(r, path, t, 0) : add_skipped(r, path, "INVALID");
        if (rc)
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);
    }
    if (!an || type != AE_IFREG)
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);

    if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0 ||
        (uint64_t)archive_entry_size(e) > an->max_file_size) {
        if (add_skipped(r, path, "LIMIT_EXCEEDED"))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return read_data(a, w, lim, r, NULL, NULL, media_type, errstr, errsz);
    }
    rs_buf data = RS_BUF_INIT;
    data.limit = an->max_file_size;
    int overflow = 0;
    int rc = read_data(a, w, lim, r, &data, &overflow, media_type, errstr, errsz);
    if (!rc && overflow) {
        /* the data outgrew its header's size (or memory ran out): skipped */
        rs_buf_free(&data);
        if (add_skipped(r, path, "LIMIT_EXCEEDED"))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return 0;
    }
    if (rc) {
        rs_buf_free(&data);
        return rc;
    }
    rs_analysis res = {0};
    char perr[256] = "";
    rc = an->parse(path, data.data ? data.data : "", data.len, &res, perr, sizeof perr);
    rs_buf_free(&data);
    if (rc == RS_ERR_INTERNAL) {
        rs_analysis_clear(&res);
        return rs_errf(errstr, errsz, rc, "%s", perr);
    }
    if (rc)
        rc = add_skipped(r, path, rs_err_code(rc));
    else
        rc = add_file(r, path, an->name, &res);
    rs_analysis_clear(&res);
    if (rc)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Reads `in` to its end so that a verifying reader checks the digest. */
static int drain(struct walk *w, char *errstr, size_t errsz)
{
    if (w->in_rc)
        return w->in_rc;
    while (!w->in_eof) {
        ssize_t got = rs_reader_read(w->in, w->buf, sizeof w->buf, errstr, errsz);
        if (got < 0)
            return (int)got;
        if (got == 0)
            w->in_eof = 1;
        w->compressed += (uint64_t)got;
    }
    return 0;
}

int rs_layer_analyze(rs_reader *in, const char *media_type, const rs_layer_limits *limits,
                     rs_layer_result **out, char *errstr, size_t errsz)
{
    static const rs_layer_limits defaults = RS_LAYER_LIMITS_DEFAULT;
    const rs_layer_limits *lim = limits ? limits : &defaults;
    int rc = 0;
    struct archive *a = NULL;
    rs_layer_result *r = NULL;
    struct walk *w = NULL;
    *out = NULL;

    if (!(r = calloc(1, sizeof *r)) || !(w = calloc(1, sizeof *w)) || !(a = archive_read_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    w->in = in;
    /* gzip and zstd are detected from their magic; anything else is read as is */
    if (archive_read_support_filter_gzip(a) < ARCHIVE_WARN ||
        archive_read_support_filter_zstd(a) < ARCHIVE_WARN ||
        archive_read_support_format_tar(a) != ARCHIVE_OK) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "libarchive lacks gzip, zstd or tar: %s",
                     archive_error_string(a) ? archive_error_string(a) : "?");
        goto out;
    }
    if (archive_read_open(a, w, NULL, walk_read, NULL) != ARCHIVE_OK) {
        rc = archive_fail(a, w, media_type, errstr, errsz);
        goto drain;
    }
    for (;;) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN) {
            rc = archive_fail(a, w, media_type, errstr, errsz);
            goto drain;
        }
        r->n_entries++;
        if (lim->max_entries && r->n_entries > lim->max_entries) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "layer exceeds max_entries (%zu entries)", lim->max_entries);
            goto drain;
        }
        if ((rc = check_bytes(a, w, lim, r, errstr, errsz)))
            goto drain;
        if ((rc = walk_entry(a, e, w, lim, r, media_type, errstr, errsz)))
            goto drain;
    }
    rc = check_bytes(a, w, lim, r, errstr, errsz);
drain:
    /* A bad digest explains a broken stream better than the stream's own
     * error, so it wins; the caller's limit errors stand otherwise. */
    {
        char derr[256] = "";
        int drc = drain(w, derr, sizeof derr);
        if (w->in_rc && !derr[0])
            snprintf(derr, sizeof derr, "%s", w->in_err);
        if (drc && (rc == 0 || rc == RS_ERR_INVALID || drc == RS_ERR_DIGEST_MISMATCH))
            rc = rs_errf(errstr, errsz, drc, "%s", derr);
    }
    if (rc == 0) {
        r->compressed_bytes = w->compressed;
        *out = r;
        r = NULL;
    }
out:
    if (a)
        archive_read_free(a);
    free(w);
    rs_layer_result_free(r);
    return rc;
}

/* JSON: paths are bytes from tar headers; they are written as UTF-8 (U+FFFD
 * for what is not), so the document always encodes. Packages and the OS
 * carry their own invalid-utf8 flags. */

static json_t *str(const char *s)
{
    return rs_utf8_json_string(s);
}

static json_t *str_array(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, str(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *rs_layer_result_to_json(const rs_layer_result *r)
{
    json_t *files = json_array(), *links = json_array(), *skipped = json_array();
    json_t *j = NULL;
    if (!files || !links || !skipped)
        goto fail;
    for (size_t i = 0; i < r->n_files; i++) {
        const rs_layer_file *f = &r->files[i];
        json_t *pkgs = json_array();
        if (!pkgs)
            goto fail;
        for (size_t k = 0; k < f->n_pkgs; k++)
            if (json_array_append_new(pkgs, rs_pkg_to_json(&f->pkgs[k]))) {
                json_decref(pkgs);
                goto fail;
            }
        json_t *o =
            json_pack("{s:o, s:s, s:o, s:o?, s:I}", "path", str(f->path), "analyzer", f->analyzer,
                      "packages", pkgs, "os", f->os.found ? rs_os_to_json(&f->os) : NULL,
                      "malformed", (json_int_t)f->n_malformed);
        if (!o || json_array_append_new(files, o))
            goto fail;
    }
    for (size_t i = 0; i < r->n_links; i++)
        if (json_array_append_new(links, json_pack("{s:o, s:o, s:b}", "path", str(r->links[i].path),
                                                   "target", str(r->links[i].target), "hard",
                                                   r->links[i].hard)))
            goto fail;
    for (size_t i = 0; i < r->n_skipped; i++)
        if (json_array_append_new(skipped, json_pack("{s:o, s:s}", "path", str(r->skipped[i].path),
                                                     "reason", r->skipped[i].reason)))
            goto fail;
    j = json_pack("{s:o, s:o, s:o?, s:o?, s:o, s:I, s:I, s:I}", "files", files, "links", links,
                  "whiteouts", str_array(r->whiteouts, r->n_whiteouts), "opaque_dirs",
                  str_array(r->opaque_dirs, r->n_opaque_dirs), "skipped", skipped, "entries",
                  (json_int_t)r->n_entries, "uncompressed_bytes", (json_int_t)r->uncompressed_bytes,
                  "compressed_bytes", (json_int_t)r->compressed_bytes);
    if (j && json_is_array(json_object_get(j, "whiteouts")) &&
        json_is_array(json_object_get(j, "opaque_dirs")))
        return j;
    json_decref(j);
    return NULL;
fail:
    json_decref(files);
    json_decref(links);
    json_decref(skipped);
    return NULL;
}

/* A normalised absolute path string of bounded length, or NULL. */
static const char *json_path(const json_t *v)
{
    if (!json_is_string(v) || json_string_length(v) > LAYER_JSON_PATH_MAX ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    const char *s = json_string_value(v);
    char norm[LAYER_JSON_PATH_MAX + 2];
    if (rs_analyzer_path_normalize(s, norm, sizeof norm) != 0 || strcmp(norm, s) != 0)
        return NULL;
    return s;
}

static int json_count(const json_t *v, uint64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int decode_file(const json_t *o, rs_layer_result *r, char *errstr, size_t errsz)
{
    const char *path = json_path(json_object_get(o, "path"));
    json_t *an = json_object_get(o, "analyzer"), *pkgs = json_object_get(o, "packages"),
           *os = json_object_get(o, "os");
    uint64_t malformed = 0;
    if (!path || !json_is_string(an) || !rs_analyzer_find(json_string_value(an)) ||
        !json_is_array(pkgs) || json_array_size(pkgs) > LAYER_JSON_MAX_ITEMS ||
        json_count(json_object_get(o, "malformed"), &malformed))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad file entry");
    rs_analysis res = {0};
    int rc = 0;
    if (os && !json_is_null(os)) {
        if ((rc = rs_os_from_json(os, &res.os, errstr, errsz)))
            goto out;
        res.os.found = 1;
    }
    res.n_malformed = (size_t)malformed;
    size_t i;
    json_t *v;
    json_array_foreach(pkgs, i, v)
    {
        rs_pkg p;
        if ((rc = rs_pkg_from_json(v, &p, errstr, errsz)))
            goto out;
        rc = rs_analysis_add_pkg(&res, &p);
        rs_pkg_clear(&p);
        if (rc) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    if ((rc = add_file(r, path, json_string_value(an), &res)))
        rc = rs_errf(errstr, errsz, rc, "out of memory");
out:
    rs_analysis_clear(&res);
    return rc;
}

int rs_layer_result_from_json(const json_t *j, rs_layer_result **out, char *errstr, size_t errsz)
{
    int rc = 0;
    rs_layer_result *r = NULL;
    *out = NULL;
    json_t *files = json_object_get(j, "files"), *links = json_object_get(j, "links"),
           *wh = json_object_get(j, "whiteouts"), *opq = json_object_get(j, "opaque_dirs"),
           *sk = json_object_get(j, "skipped");
    json_t *arrays[] = {files, links, wh, opq, sk};
    for (size_t i = 0; i < 5; i++)
        if (!json_is_array(arrays[i]) || json_array_size(arrays[i]) > LAYER_JSON_MAX_ITEMS)
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "invalid layer result: missing or oversized array");
    if (!(r = calloc(1, sizeof *r)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    if (json_count(json_object_get(j, "entries"), &r->n_entries) ||
        json_count(json_object_get(j, "uncompressed_bytes"), &r->uncompressed_bytes) ||
        json_count(json_object_get(j, "compressed_bytes"), &r->compressed_bytes)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad counters");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(files, i, v)
    {
        if ((rc = decode_file(v, r, errstr, errsz)))
            goto out;
    }
    json_array_foreach(links, i, v)
    {
        const char *p = json_path(json_object_get(v, "path"));
        json_t *t = json_object_get(v, "target"), *h = json_object_get(v, "hard");
        if (!p || !json_is_string(t) || json_string_length(t) > LAYER_JSON_PATH_MAX ||
            strlen(json_string_value(t)) != json_string_length(t) || !json_is_boolean(h)) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad link");
            goto out;
        }
        if ((rc = add_link(r, p, json_string_value(t), json_is_true(h)))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    json_array_foreach(wh, i, v)
    {
        const char *p = json_path(v);
        if (!p) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad whiteout");
            goto out;
        }
        if ((rc = add_str(&r->whiteouts, &r->n_whiteouts, &r->cap_whiteouts, p))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    json_array_foreach(opq, i, v)
    {
        const char *p = json_path(v);
        if (!p) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad opaque dir");
            goto out;
        }
        if ((rc = add_str(&r->opaque_dirs, &r->n_opaque_dirs, &r->cap_opaque_dirs, p))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    json_array_foreach(sk, i, v)
    {
        json_t *p = json_object_get(v, "path"), *why = json_object_get(v, "reason");
        if (!json_is_string(p) || json_string_length(p) > LAYER_JSON_PATH_MAX ||
            !json_is_string(why) || json_string_length(why) > 64) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad skipped");
            goto out;
        }
        if ((rc = add_skipped(r, json_string_value(p), json_string_value(why)))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    *out = r;
    r = NULL;
out:
    rs_layer_result_free(r);
    return rc;
}
