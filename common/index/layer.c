/* layer.c - stream one layer blob: inflate, walk tar entries, run analyzers.
 *
 * libarchive pulls compressed bytes through a callback over the rs_reader
 * (gzip, zstd or no filter, detected from the bytes; tar, pax and GNU tar
 * formats only) and hands back entry data in blocks. An entry is read once
 * for every analyzer that wants it: streaming analyzers are fed the blocks as
 * they come, and the blocks are copied (up to a bound) only when a whole-file
 * analyzer wants them. Limits (entries, uncompressed bytes,
 * ratio, path length) are checked as the stream goes, so a bomb stops early.
 * Nothing is written to disk. Merging layers is merge.c's business. */
#include "index.h"
#include "gunzip_int.h"
#include "layer_int.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAYER_CHUNK 65536
#define LAYER_PATH_MAX 4096
/* a path in the JSON form: each byte of a tar path may have become a 3-byte U+FFFD */
#define LAYER_JSON_PATH_MAX (3 * (LAYER_PATH_MAX + 1))
#define LAYER_JSON_MAX_ITEMS RS_LAYER_JSON_MAX_ITEMS
/* analyzers that may want one path; the registry is far smaller */
#define LAYER_MAX_ANALYZERS 32

/* Why a walk stopped early: a result limit (a positive code, never an rs_err). */
enum {
    STOP_PACKAGES = 1,
    STOP_PATHS,
    STOP_WHITEOUTS,
    STOP_SKIPPED,
    STOP_FANOUT,
    STOP_BYTES,
    STOP_IMAGE_BYTES,
    STOP_IMAGE_PACKAGES,
};
static const char *const stop_names[] = {
    NULL,          "max_packages",    "max_paths",       "max_whiteouts",     "max_skipped",
    "max_link_fanout", "max_result_bytes", "max_image_bytes", "max_image_packages",
};

/* What a layer's result holds, counted as it grows (account()). */
struct budget {
    uint64_t bytes, pkgs, paths;
    size_t files, links, whiteouts, opaque, skipped; /* items already counted */
    uint64_t *fan;  /* open addressing: hashes of hard-link targets ... */
    uint32_t *fanc; /* ... and their link counts */
    size_t fan_cap, fan_n;
};

struct walk {
    rs_reader *in;
    int in_rc; /* the reader's own error, which wins over libarchive's */
    int in_eof;
    uint64_t compressed;
    const rs_analyzer *const *analyzers; /* NULL-terminated */
    char in_err[256];
    int sniffed;    /* the first bytes were looked at */
    rs_gunzip *gz;  /* a gzip layer inflated with ISA-L (gunzip.c) */
    struct budget held; /* what the result holds so far (layer limits) */
    /* zstd (or gzip without ISA-L): a libarchive of its own inflates ("raw"
     * format), so that the tar reader, like the hash, sees inflated bytes */
    struct archive *inflate;
    size_t pending;    /* sniffed bytes in buf that `inflate` has not read yet */
    rs_sha256 *diff;   /* the sha256 of every inflated byte: the layer's diff_id */
    uint64_t inflated; /* bytes handed to the tar reader or drained after it */
    char path[LAYER_PATH_MAX + 2]; /* the entry being walked, normalised */
    unsigned char buf[LAYER_CHUNK];
};

/* The next compressed bytes into w->buf: their count, 0 at the end, or -1
 * with the reader's error recorded for libarchive. */
static ssize_t read_in(struct archive *a, struct walk *w)
{
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

/* A gzip layer: what ISA-L inflates, pulling compressed bytes as needed. */
static la_ssize_t gz_read(struct archive *a, struct walk *w, const void **out)
{
    char err[256];
    for (int idle = 0;;) {
        ssize_t made = rs_gunzip_output(w->gz, out, err, sizeof err);
        if (made < 0) {
            archive_set_error(a, -1, "%s", err);
            return -1;
        }
        if (made > 0)
            return made;
        if (rs_gunzip_pending(w->gz)) {
            if (++idle > 2) { /* input left and no output: a stream igzip cannot move */
                archive_set_error(a, -1, "gzip: the inflater makes no progress");
                return -1;
            }
            continue;
        }
        if (w->in_eof) {
            if (rs_gunzip_finished(w->gz))
                return 0;
            archive_set_error(a, -1, "gzip: the compressed data ends early");
            return -1;
        }
        ssize_t got = read_in(a, w);
        if (got < 0)
            return -1;
        rs_gunzip_input(w->gz, w->buf, (size_t)got);
        idle = 0;
    }
}

/* The compressed bytes the zstd (or libarchive gzip) inflater pulls. */
static la_ssize_t inflate_read(struct archive *ia, void *client, const void **out)
{
    struct walk *w = client;
    *out = w->buf;
    if (w->pending) {
        la_ssize_t n = (la_ssize_t)w->pending;
        w->pending = 0;
        return n;
    }
    return read_in(ia, w);
}

/* Opens the inflater over the sniffed bytes (w->pending of them in buf). */
static int inflate_open(struct archive *a, struct walk *w)
{
    struct archive_entry *e;
    if (!(w->inflate = archive_read_new())) {
        archive_set_error(a, ENOMEM, "out of memory");
        return -1;
    }
    if (archive_read_support_filter_gzip(w->inflate) < ARCHIVE_WARN ||
        archive_read_support_filter_zstd(w->inflate) < ARCHIVE_WARN ||
        archive_read_support_format_raw(w->inflate) != ARCHIVE_OK ||
        archive_read_open(w->inflate, w, NULL, inflate_read, NULL) != ARCHIVE_OK ||
        archive_read_next_header(w->inflate, &e) != ARCHIVE_OK) {
        const char *msg = archive_error_string(w->inflate);
        archive_set_error(a, -1, "%s", msg ? msg : "cannot inflate");
        return -1;
    }
    return 0;
}

/* The next inflated bytes from the zstd (or libarchive gzip) inflater. */
static la_ssize_t inflate_next(struct archive *a, struct walk *w, const void **out)
{
    size_t n = 0;
    la_int64_t off = 0;
    int ar, empty = 0;
    do /* empty blocks are skipped, a few: never an endless loop */
        ar = archive_read_data_block(w->inflate, out, &n, &off);
    while (ar == ARCHIVE_OK && n == 0 && ++empty < 64);
    if (ar == ARCHIVE_OK && n == 0) {
        archive_set_error(a, -1, "inflate: no progress");
        return -1;
    }
    if (ar == ARCHIVE_EOF)
        return 0;
    if (ar != ARCHIVE_OK) { /* RETRY and WARN too: the raw stream has no "next" to go to */
        const char *msg = archive_error_string(w->inflate);
        archive_set_error(a, -1, "%s", msg ? msg : "cannot inflate");
        return -1;
    }
    return (la_ssize_t)n;
}

/* The next inflated bytes, before they are hashed: 0 at the end, -1 broken. */
static la_ssize_t produce(struct archive *a, struct walk *w, const void **out)
{
    *out = w->buf;
    if (w->sniffed)
        return w->gz ? gz_read(a, w, out) : w->inflate ? inflate_next(a, w, out) : read_in(a, w);
    /* gzip (1f 8b) goes to ISA-L when it is built in, zstd and gzip without it
     * to libarchive's inflater; anything else is read as is */
    ssize_t got = read_in(a, w);
    w->sniffed = 1;
    if (got < 0)
        return -1;
    const unsigned char *b = w->buf;
    int gzip = got >= 2 && b[0] == 0x1f && b[1] == 0x8b;
    int zstd = got >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd;
    if (gzip && (w->gz = rs_gunzip_new())) {
        rs_gunzip_input(w->gz, w->buf, (size_t)got);
        return gz_read(a, w, out);
    }
    if (gzip || zstd) {
        w->pending = (size_t)got;
        return inflate_open(a, w) ? -1 : inflate_next(a, w, out);
    }
    return got;
}

/* libarchive's tar reader pulls the inflated stream here: every byte of it
 * is hashed once, on its way, into the diff_id. */
static la_ssize_t walk_read(struct archive *a, void *client, const void **out)
{
    struct walk *w = client;
    la_ssize_t n = produce(a, w, out);
    if (n > 0) {
        rs_sha256_update(w->diff, *out, (size_t)n);
        w->inflated += (uint64_t)n;
    }
    return n;
}

static int add_str(char ***arr, size_t *n, size_t *cap, const char *s)
{
    if (RS_GROW(*arr, *n + 1, *cap))
        return RS_ERR_INTERNAL;
    if (!((*arr)[*n] = strdup(s)))
        return RS_ERR_INTERNAL;
    (*n)++;
    return 0;
}

static void skipped_clear(rs_layer_skipped *s)
{
    char **f[] = {&s->path, &s->reason, &s->analyzer, &s->limit, &s->detail};
    rs_strs_free(f, sizeof f / sizeof *f);
}

/* analyzer: the one that skipped the file, NULL for the entry as a whole;
 * limit and detail may be NULL (detail is cut and made valid UTF-8). */
static int add_skipped_why(rs_layer_result *r, const char *path, const char *analyzer,
                           const char *reason, const char *limit, const char *detail)
{
    if (RS_GROW(r->skipped, r->n_skipped + 1, r->cap_skipped))
        return RS_ERR_INTERNAL;
    rs_layer_skipped *s = &r->skipped[r->n_skipped];
    memset(s, 0, sizeof *s);
    s->path = strdup(path);
    s->reason = strdup(reason);
    s->analyzer = analyzer ? strdup(analyzer) : NULL;
    s->limit = limit ? strdup(limit) : NULL;
    s->detail = detail && *detail ? rs_utf8_dup(detail, strnlen(detail, 512), NULL) : NULL;
    if (!s->path || !s->reason || (analyzer && !s->analyzer) || (limit && !s->limit) ||
        (detail && *detail && !s->detail)) {
        skipped_clear(s);
        return RS_ERR_INTERNAL;
    }
    r->n_skipped++;
    return 0;
}

/* A file larger than what analyzer `an` holds or reads. */
static int add_too_large(rs_layer_result *r, const char *path, const rs_analyzer *an,
                         uint64_t size, int known)
{
    char d[200];
    if (!known)
        snprintf(d, sizeof d, "the tar header gives no size");
    else if (an->max_file_size)
        snprintf(d, sizeof d, "%llu bytes; the %s analyzer reads at most %zu",
                 (unsigned long long)size, an->name, an->max_file_size);
    else
        snprintf(d, sizeof d, "%llu bytes, more than the entry's header said",
                 (unsigned long long)size);
    return add_skipped_why(r, path, an->name, "LIMIT_EXCEEDED", "max_file_size", d);
}

static int add_link(rs_layer_result *r, const char *path, const char *target, int hard)
{
    if (RS_GROW(r->links, r->n_links + 1, r->cap_links))
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
    for (size_t i = 0; i < f->n_owned; i++)
        free(f->owned[i]);
    free(f->owned);
    rs_pkgs_free(f->pkgs, f->n_pkgs);
    rs_secrets_clear(&f->secrets);
    memset(f, 0, sizeof *f);
}

/* Appends a file result; takes the analysis' packages and owned paths over. */
static int add_file(rs_layer_result *r, const char *path, const char *analyzer, rs_analysis *an)
{
    if (RS_GROW(r->files, r->n_files + 1, r->cap_files))
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
    f->secrets = an->secrets;
    f->facts = an->facts;
    f->mode = an->mode;
    f->owned = an->owned;
    f->n_owned = an->n_owned;
    /* packages, owned paths and secrets move; the rest (skips) stays for rs_analysis_clear */
    an->pkgs = NULL;
    an->n_pkgs = an->cap_pkgs = 0;
    an->owned = NULL;
    an->n_owned = an->cap_owned = 0;
    memset(&an->secrets, 0, sizeof an->secrets); /* moved too */
    r->n_files++;
    return 0;
}

int rs_layer_tar_block(struct archive *a, const void **blk, size_t *n, int64_t *off)
{
    la_int64_t o = 0;
    int ar = archive_read_data_block(a, blk, n, &o);
    *off = (int64_t)o;
    if (ar == ARCHIVE_RETRY && !archive_error_string(a))
        archive_set_error(a, -1, "unreadable data block");
    return ar == ARCHIVE_EOF ? 0 : ar == ARCHIVE_OK || ar == ARCHIVE_WARN ? 1 : -1;
}

int rs_layer_tar_next(struct archive *a, struct archive_entry **e, unsigned *damaged,
                      unsigned max_damaged)
{
    for (;;) {
        int ar = archive_read_next_header(a, e);
        if (ar == ARCHIVE_EOF)
            return 0;
        if (ar == ARCHIVE_OK || ar == ARCHIVE_WARN)
            return 1;
        if (ar != ARCHIVE_RETRY)
            return -1;
        if (++*damaged > max_damaged) {
            archive_set_error(a, -1, "more than %u damaged tar header blocks", max_damaged);
            return -1;
        }
    }
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
    for (size_t i = 0; i < r->n_skipped; i++)
        skipped_clear(&r->skipped[i]);
    free(r->skipped);
    free(r);
}

/* ---- result limits: what the layer's result holds, estimated as malloc
 * holds it and counted once per item as the result grows (account()). */

static uint64_t str_bytes(const char *s)
{
    return s ? strlen(s) + 1 + 16 : 0;
}

static uint64_t pkg_bytes(const rs_pkg *p)
{
    return sizeof *p + str_bytes(p->type) + str_bytes(p->ecosystem) + str_bytes(p->name) +
           str_bytes(p->version) + str_bytes(p->source_name) + str_bytes(p->source_version) +
           str_bytes(p->arch) + str_bytes(p->purl) + str_bytes(p->path) + str_bytes(p->layer);
}

static uint64_t file_bytes(const rs_layer_file *f)
{
    uint64_t b = sizeof *f + str_bytes(f->path) + str_bytes(f->analyzer);
    for (size_t i = 0; i < f->n_pkgs; i++)
        b += pkg_bytes(&f->pkgs[i]);
    for (size_t i = 0; i < f->n_owned; i++)
        b += sizeof *f->owned + str_bytes(f->owned[i]);
    /* a secret: its struct and a few short strings (rule, match, title) */
    return b + f->secrets.n * (sizeof *f->secrets.items + 128);
}

static uint64_t skipped_bytes(const rs_layer_skipped *s)
{
    return sizeof *s + str_bytes(s->path) + str_bytes(s->reason) + str_bytes(s->analyzer) +
           str_bytes(s->limit) + str_bytes(s->detail);
}

void rs_index_budget_charge(rs_index_budget *b, const rs_layer_result *r)
{
    uint64_t bytes = 0, pkgs = 0;
    for (size_t i = 0; i < r->n_files; i++) {
        bytes += file_bytes(&r->files[i]);
        pkgs += r->files[i].n_pkgs;
    }
    for (size_t i = 0; i < r->n_links; i++)
        bytes += sizeof *r->links + str_bytes(r->links[i].path) + str_bytes(r->links[i].target);
    for (size_t i = 0; i < r->n_whiteouts; i++)
        bytes += sizeof(char *) + str_bytes(r->whiteouts[i]);
    for (size_t i = 0; i < r->n_opaque_dirs; i++)
        bytes += sizeof(char *) + str_bytes(r->opaque_dirs[i]);
    for (size_t i = 0; i < r->n_skipped; i++)
        bytes += skipped_bytes(&r->skipped[i]);
    atomic_fetch_add(&b->bytes, bytes);
    atomic_fetch_add(&b->packages, pkgs);
}

static uint64_t path_hash(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h | 1; /* 0 marks a free slot */
}

/* The slot of `h` in the table of paths with a file result (a free one when
 * absent); NULL when the table cannot grow. */
static uint32_t *fan_slot(struct budget *b, uint64_t h, int insert)
{
    if (insert && (b->fan_n + 1) * 2 > b->fan_cap) {
        size_t cap = b->fan_cap ? b->fan_cap * 2 : 1024;
        uint64_t *nk = calloc(cap, sizeof *nk);
        uint32_t *nc = calloc(cap, sizeof *nc);
        if (!nk || !nc) {
            free(nk);
            free(nc);
            return NULL;
        }
        for (size_t i = 0; i < b->fan_cap; i++) {
            size_t j = b->fan[i] & (cap - 1);
            while (b->fan[i] && nk[j])
                j = (j + 1) & (cap - 1);
            if (b->fan[i]) {
                nk[j] = b->fan[i];
                nc[j] = b->fanc[i];
            }
        }
        free(b->fan);
        free(b->fanc);
        b->fan = nk;
        b->fanc = nc;
        b->fan_cap = cap;
    }
    if (!b->fan_cap)
        return NULL;
    size_t j = h & (b->fan_cap - 1);
    while (b->fan[j] && b->fan[j] != h)
        j = (j + 1) & (b->fan_cap - 1);
    if (!b->fan[j] && insert) {
        b->fan[j] = h;
        b->fan_n++;
    }
    return b->fan[j] ? &b->fanc[j] : NULL;
}

static int over(uint64_t max, uint64_t n)
{
    return max && n > max;
}

/* Counts what the result gained since the last call and checks the result
 * limits: 0, a STOP_ code, or RS_ERR_INTERNAL (out of memory). */
static int account(struct budget *b, const rs_layer_limits *lim, const rs_layer_result *r)
{
    uint64_t bytes = 0, pkgs = 0;
    for (; b->files < r->n_files; b->files++) {
        const rs_layer_file *f = &r->files[b->files];
        bytes += file_bytes(f);
        pkgs += f->n_pkgs;
        b->paths += 1 + f->n_owned;
        if (!fan_slot(b, path_hash(f->path), 1))
            return RS_ERR_INTERNAL;
    }
    for (; b->links < r->n_links; b->links++, b->paths++)
        bytes += sizeof *r->links + str_bytes(r->links[b->links].path) +
                 str_bytes(r->links[b->links].target);
    for (; b->whiteouts < r->n_whiteouts; b->whiteouts++)
        bytes += sizeof(char *) + str_bytes(r->whiteouts[b->whiteouts]);
    for (; b->opaque < r->n_opaque_dirs; b->opaque++)
        bytes += sizeof(char *) + str_bytes(r->opaque_dirs[b->opaque]);
    for (; b->skipped < r->n_skipped; b->skipped++)
        bytes += skipped_bytes(&r->skipped[b->skipped]);
    b->bytes += bytes;
    b->pkgs += pkgs;
    int stop = over(lim->max_packages, b->pkgs)                          ? STOP_PACKAGES
               : over(lim->max_paths, b->paths)                          ? STOP_PATHS
               : over(lim->max_whiteouts, b->whiteouts + b->opaque)      ? STOP_WHITEOUTS
               : over(lim->max_skipped, r->n_skipped)                    ? STOP_SKIPPED
               : over(lim->max_result_bytes, b->bytes)                   ? STOP_BYTES
                                                                         : 0;
    rs_index_budget *img = lim->image;
    if (img && (bytes || pkgs)) {
        uint64_t ib = atomic_fetch_add(&img->bytes, bytes) + bytes;
        uint64_t ip = atomic_fetch_add(&img->packages, pkgs) + pkgs;
        if (!stop && over(img->max_bytes, ib))
            stop = STOP_IMAGE_BYTES;
        if (!stop && over(img->max_packages, ip))
            stop = STOP_IMAGE_PACKAGES;
    }
    return stop;
}

/* How many more packages and owned paths one file may add before the
 * layer's (or the image's) budget is exceeded: one more than what is left,
 * so that account() sees the excess. 0: no limit. */
static size_t left(uint64_t max, uint64_t used)
{
    return max ? (size_t)(used < max ? max - used + 1 : 1) : 0;
}

static void analysis_caps(const struct budget *b, const rs_layer_limits *lim, size_t *pkgs,
                          size_t *owned)
{
    *pkgs = left(lim->max_packages, b->pkgs);
    if (lim->image && lim->image->max_packages) {
        size_t img = left(lim->image->max_packages, atomic_load(&lim->image->packages));
        *pkgs = *pkgs && *pkgs < img ? *pkgs : img;
    }
    *owned = left(lim->max_paths, b->paths);
}

/* The entry that ended the layer at a limit: one skip of the entry as a
 * whole, naming the limit. */
static int add_stop(rs_layer_result *r, const rs_layer_limits *lim, const char *path, int stop)
{
    uint64_t max = stop == STOP_PACKAGES      ? lim->max_packages
                   : stop == STOP_PATHS       ? lim->max_paths
                   : stop == STOP_WHITEOUTS   ? lim->max_whiteouts
                   : stop == STOP_SKIPPED     ? lim->max_skipped
                   : stop == STOP_FANOUT      ? lim->max_link_fanout
                   : stop == STOP_BYTES       ? lim->max_result_bytes
                   : stop == STOP_IMAGE_BYTES ? lim->image->max_bytes
                                              : lim->image->max_packages;
    char d[200];
    snprintf(d, sizeof d, "the layer's result would exceed %s (%llu); the rest of the layer "
             "is not read", stop_names[stop], (unsigned long long)max);
    return add_skipped_why(r, path, NULL, "LIMIT_EXCEEDED", stop_names[stop], d);
}

/* Checks the byte limits against the stream position so far. */
static int check_bytes(struct archive *a, const struct walk *w, const rs_layer_limits *lim,
                       rs_layer_result *r, char *errstr, size_t errsz)
{
    (void)a;
    r->uncompressed_bytes = w->inflated;
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

/* A streaming analyzer at work on one entry. */
struct stream {
    const rs_analyzer *an;
    void *state;
    int on; /* fed; 0 once feed failed */
    int rc; /* feed's error */
};

/* Where one entry's bytes go as they are read: the streams, and the buffer
 * held (once, up to keep.limit) for the whole-file analyzers. */
struct sink {
    rs_buf keep;
    int keeping;  /* a whole-file analyzer wants the bytes */
    int overflow; /* they outgrew keep.limit (or memory ran out) */
    struct stream st[LAYER_MAX_ANALYZERS];
    size_t n_st;
    uint64_t pos;             /* bytes fed to the streams */
    size_t max_pkgs, max_owned; /* what one analysis may keep (rs_analysis) */
};

static void sink_feed(struct sink *k, const void *data, size_t n)
{
    for (size_t i = 0; i < k->n_st; i++) {
        struct stream *s = &k->st[i];
        int rc = s->on ? s->an->feed(s->state, data, n) : 0;
        if (rc) {
            s->on = 0;
            s->rc = rc;
        }
    }
    k->pos += n;
}

/* Feeds the streams zeros up to offset `to`: a hole of a sparse file. */
static void sink_zeros(struct sink *k, uint64_t to)
{
    static const char zeros[16384];
    while (k->pos < to) {
        uint64_t n = to - k->pos;
        sink_feed(k, zeros, n < sizeof zeros ? (size_t)n : sizeof zeros);
    }
}

static void sink_block(struct sink *k, const void *blk, size_t n, la_int64_t off)
{
    if (!n)
        return;
    if (k->n_st && (off < 0 || (uint64_t)off < k->pos)) {
        for (size_t i = 0; i < k->n_st; i++)
            if (k->st[i].on)
                k->st[i] = (struct stream){k->st[i].an, k->st[i].state, 0, RS_ERR_INVALID};
    } else if (k->n_st) {
        sink_zeros(k, (uint64_t)off);
        sink_feed(k, blk, n);
    }
    if (!k->keeping || k->overflow)
        return;
    /* sparse files: holes read as zeros, as the file would */
    if (off < 0 || (uint64_t)off > k->keep.limit) {
        k->overflow = 1;
        return;
    }
    while (k->keep.len < (size_t)off && !k->overflow)
        if (rs_buf_append(&k->keep, "", 1))
            k->overflow = 1;
    if (!k->overflow && rs_buf_append(&k->keep, blk, n))
        k->overflow = 1;
}

/* Reads the current entry's data into `k` (NULL: the data is skipped). */
static int read_data(struct archive *a, struct walk *w, const rs_layer_limits *lim,
                     rs_layer_result *r, struct sink *k, const char *media_type, char *errstr,
                     size_t errsz)
{
    const void *blk;
    size_t n;
    int64_t off;
    int more;
    while ((more = rs_layer_tar_block(a, &blk, &n, &off)) > 0) {
        int rc = check_bytes(a, w, lim, r, errstr, errsz);
        if (rc)
            return rc;
        if (k)
            sink_block(k, blk, n, off);
    }
    return more < 0 ? archive_fail(a, w, media_type, errstr, errsz) : 0;
}

/* The parts of a file the analyzer gave up on while reading the rest (a
 * nested archive): per-file skips of that analyzer. */
static int add_part_skips(rs_layer_result *r, const rs_analyzer *an, const rs_analysis *res)
{
    for (size_t i = 0; i < res->n_skips; i++)
        if (add_skipped_why(r, res->skips[i].path, an->name, rs_err_code(res->skips[i].err), NULL,
                            NULL))
            return RS_ERR_INTERNAL;
    return 0;
}

static int oom(char *errstr, size_t errsz)
{
    return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
}

/* Records what `an` made of the file at `path`: its result (taken over), or
 * a skip for its error prc. Returns 0 or an error that ends the walk. */
static int record(rs_layer_result *r, const char *path, const rs_analyzer *an, int prc,
                  const char *perr, rs_analysis *res, char *errstr, size_t errsz)
{
    int rc;
    if (prc == RS_ERR_INTERNAL) {
        rs_analysis_clear(res);
        return rs_errf(errstr, errsz, prc, "%s", perr);
    }
    if (prc)
        rc = add_skipped_why(r, path, an->name, rs_err_code(prc),
                             prc == RS_ERR_LIMIT_EXCEEDED ? "analyzer" : NULL, perr);
    else if (!(rc = add_part_skips(r, an, res)))
        rc = add_file(r, path, an->name, res);
    rs_analysis_clear(res);
    return rc ? oom(errstr, errsz) : 0;
}

static int stream_begin(struct sink *k, rs_layer_result *r, const char *path, const rs_analyzer *an,
                        uint64_t size, char *errstr, size_t errsz)
{
    char berr[256] = "";
    struct stream *s = &k->st[k->n_st];
    int rc = an->begin(path, size, &s->state, berr, sizeof berr);
    if (rc) {
        rs_analysis none = {0};
        return record(r, path, an, rc, berr, &none, errstr, errsz);
    }
    s->an = an;
    s->on = 1;
    s->rc = 0;
    k->n_st++;
    return 0;
}

/* Ends every stream begun, once each: abandoned when the walk failed
 * (walk_rc, which is returned) or the stream's feed did. */
static int stream_end_all(struct sink *k, rs_layer_result *r, const char *path, int walk_rc,
                          char *errstr, size_t errsz)
{
    int rc = 0;
    for (size_t i = 0; i < k->n_st; i++) {
        struct stream *s = &k->st[i];
        rs_analysis res = {.max_pkgs = k->max_pkgs, .max_owned = k->max_owned};
        char perr[256] = "";
        if (walk_rc || !s->on) {
            s->an->end(s->state, NULL, perr, sizeof perr);
            snprintf(perr, sizeof perr, "analyzer '%s' failed reading a file", s->an->name);
            if (!walk_rc && !rc)
                rc = record(r, path, s->an, s->rc, perr, &res, errstr, errsz);
            continue;
        }
        int prc = s->an->end(s->state, &res, perr, sizeof perr);
        if (!rc)
            rc = record(r, path, s->an, prc, perr, &res, errstr, errsz);
        else
            rs_analysis_clear(&res);
    }
    return walk_rc ? walk_rc : rc;
}

static int parse_whole(rs_layer_result *r, const char *path, const rs_analyzer *an,
                       const struct sink *k, char *errstr, size_t errsz)
{
    if (k->overflow || k->keep.len > an->max_file_size) {
        /* the data outgrew its header's size (or memory ran out): skipped */
        return add_too_large(r, path, an, k->keep.len, 1) ? oom(errstr, errsz) : 0;
    }
    rs_analysis res = {.max_pkgs = k->max_pkgs, .max_owned = k->max_owned};
    char perr[256] = "";
    RS_TEST_STEP("analyse"); /* tests stop a worker while it analyses */
    int prc =
        an->parse(path, k->keep.data ? k->keep.data : "", k->keep.len, &res, perr, sizeof perr);
    return record(r, path, an, prc, perr, &res, errstr, errsz);
}

/* Runs analyzers `ans` on the regular file at `path`, reading it once:
 * streaming ones are fed as its bytes come, whole-file ones get the bytes
 * held for all of them (up to the largest of their limits). */
static int analyze_file(struct archive *a, struct archive_entry *e, struct walk *w,
                        const rs_layer_limits *lim, rs_layer_result *r, const char *path,
                        const rs_analyzer **ans, size_t n_an, const char *media_type, char *errstr,
                        size_t errsz)
{
    struct sink k = {.keep = RS_BUF_INIT};
    analysis_caps(&w->held, lim, &k.max_pkgs, &k.max_owned);
    const rs_analyzer *whole[LAYER_MAX_ANALYZERS];
    size_t n_whole = 0;
    int known = archive_entry_size_is_set(e) && archive_entry_size(e) >= 0, rc = 0;
    uint64_t size = known ? (uint64_t)archive_entry_size(e) : 0;
    for (size_t i = 0; i < n_an && !rc; i++) {
        const rs_analyzer *an = ans[i];
        int streams = an->begin && an->feed && an->end;
        if (!known || (an->max_file_size ? size > an->max_file_size : !streams)) {
            rc = add_too_large(r, path, an, size, known) ? oom(errstr, errsz) : 0;
        } else if (streams) {
            rc = stream_begin(&k, r, path, an, size, errstr, errsz);
        } else {
            whole[n_whole++] = an;
            if (an->max_file_size > k.keep.limit)
                k.keep.limit = an->max_file_size;
        }
    }
    k.keeping = n_whole > 0;
    if (!rc)
        rc = read_data(a, w, lim, r, &k, media_type, errstr, errsz);
    if (!rc)
        sink_zeros(&k, size); /* a hole at the end of a sparse file */
    rc = stream_end_all(&k, r, path, rc, errstr, errsz);
    for (size_t i = 0; i < n_whole && !rc; i++)
        rc = parse_whole(r, path, whole[i], &k, errstr, errsz);
    rs_buf_free(&k.keep);
    return rc;
}

/* The analyzers of `all` that want `path`, in their order. */
static size_t wanted_by(const rs_analyzer *const *all, const char *path, const rs_analyzer **out)
{
    size_t n = 0;
    for (size_t i = 0; all[i] && n < LAYER_MAX_ANALYZERS; i++)
        if (all[i]->wants(path))
            out[n++] = all[i];
    return n;
}

/* Drops from `ans` the analyzers that see only executables (they know their
 * files by content) unless the entry is a regular file with an execute bit:
 * a symlink or hard link to a binary is not a second binary. Returns the
 * new count. */
static size_t keep_executables(const rs_analyzer **ans, size_t n, struct archive_entry *e)
{
    int exec = archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
               (archive_entry_perm(e) & 0111);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!ans[i]->executables_only || exec)
            ans[k++] = ans[i];
    return k;
}

/* A hard link at a wanted path is recorded as a link, never as a copy of
 * its target's result: the merge resolves it (merge.c). A target this layer
 * has a result for counts its links against max_link_fanout: STOP_FANOUT
 * when one more would exceed it. Returns 0, STOP_FANOUT or RS_ERR_INTERNAL. */
static int hard_link(struct walk *w, const rs_layer_limits *lim, rs_layer_result *r,
                     const char *path, const char *hard)
{
    char tpath[LAYER_PATH_MAX + 2];
    if (rs_analyzer_path_normalize(hard, tpath, sizeof tpath) != 0)
        return add_skipped_why(r, path, NULL, "INVALID", NULL,
                               "a hard link whose target escapes the root");
    uint32_t *links = fan_slot(&w->held, path_hash(tpath), 0);
    if (links && lim->max_link_fanout && *links >= lim->max_link_fanout)
        return STOP_FANOUT;
    if (links)
        ++*links;
    return add_link(r, path, tpath, 1);
}

/* A FIFO, device or socket where an analyzer expects a file to read: a
 * skip of each such analyzer, so the report says what was not read. */
static int special_file(rs_layer_result *r, const char *path, mode_t type,
                        const rs_analyzer **ans, size_t n_an)
{
    const char *what = type == AE_IFIFO  ? "a FIFO"
                       : type == AE_IFCHR ? "a character device"
                       : type == AE_IFBLK ? "a block device"
                       : type == AE_IFSOCK ? "a socket"
                                          : "a special file";
    char d[128];
    snprintf(d, sizeof d, "%s, not a regular file", what);
    for (size_t i = 0; i < n_an; i++)
        if (add_skipped_why(r, path, ans[i]->name, "INVALID", NULL, d))
            return RS_ERR_INTERNAL;
    return 0;
}

/* Runs the metadata mode of the analyzers in ans (`entry` in index.h),
 * recording what raised a fact, and leaves in ans those that read bytes (for
 * a hard link, those that want its copy). Returns 0 or RS_ERR_INTERNAL. */
static int entry_analyzers(rs_layer_result *r, struct archive_entry *e, const char *path,
                           const rs_analyzer **ans, size_t *n_an)
{
    const char *hard = archive_entry_hardlink(e);
    mode_t t = archive_entry_filetype(e);
    rs_entry_meta m = {
        .mode = (unsigned)archive_entry_perm(e),
        .type = hard || t == AE_IFREG ? RS_ENTRY_FILE
                : t == AE_IFDIR       ? RS_ENTRY_DIR
                : t == AE_IFLNK       ? RS_ENTRY_SYMLINK
                                      : RS_ENTRY_OTHER,
        .uid = (long long)archive_entry_uid(e),
        .gid = (long long)archive_entry_gid(e),
        .size = archive_entry_size(e) > 0 ? (uint64_t)archive_entry_size(e) : 0,
        .hard_link = hard != NULL,
    };
    size_t keep = 0;
    for (size_t i = 0; i < *n_an; i++) {
        const rs_analyzer *an = ans[i];
        if (an->entry) {
            rs_analysis res = {0};
            int rc = an->entry(path, &m, &res);
            if (!rc && res.facts)
                rc = add_file(r, path, an->name, &res);
            rs_analysis_clear(&res);
            if (rc)
                return RS_ERR_INTERNAL;
        }
        if ((an->parse || an->begin) && !(hard && an->skip_hard_links))
            ans[keep++] = an;
    }
    *n_an = keep;
    return 0;
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
        if (raw && add_skipped_why(r, raw, NULL, "INVALID", NULL,
                                   "a path that escapes the root or cannot be named"))
            return oom(errstr, errsz);
        return read_data(a, w, lim, r, NULL, media_type, errstr, errsz);
    }
    memcpy(w->path, path, sizeof w->path);
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
            return oom(errstr, errsz);
        return read_data(a, w, lim, r, NULL, media_type, errstr, errsz);
    }
    const rs_analyzer *ans[LAYER_MAX_ANALYZERS];
    size_t n_an = keep_executables(ans, wanted_by(w->analyzers, path, ans), e);
    const char *hard = archive_entry_hardlink(e);
    mode_t type = archive_entry_filetype(e);
    int rc = entry_analyzers(r, e, path, ans, &n_an);
    if (rc)
        return oom(errstr, errsz);
    if (n_an && hard) {
        if ((rc = hard_link(w, lim, r, path, hard)) > 0)
            return rc; /* a limit ends the walk */
    } else if (n_an && type == AE_IFLNK) {
        const char *t = archive_entry_symlink(e);
        if (!t)
            t = archive_entry_symlink_utf8(e);
        rc = t ? add_link(r, path, t, 0)
               : add_skipped_why(r, path, NULL, "INVALID", NULL, "a symlink without a target");
    } else if (n_an && type == AE_IFREG) {
        return analyze_file(a, e, w, lim, r, path, ans, n_an, media_type, errstr, errsz);
    } else if (n_an && type != AE_IFDIR) {
        rc = special_file(r, path, type, ans, n_an);
    }
    if (rc)
        return oom(errstr, errsz);
    return read_data(a, w, lim, r, NULL, media_type, errstr, errsz);
}

/* Damaged header blocks stepped over before an entry (libarchive's
 * ARCHIVE_RETRY): an INVALID skip without a path, for the report. */
static int add_damaged(rs_layer_result *r, unsigned n, char *errstr, size_t errsz)
{
    char detail[128];
    snprintf(detail, sizeof detail,
             "%u damaged tar header block%s (bad checksum) skipped to the next valid header", n,
             n == 1 ? "" : "s");
    return add_skipped_why(r, "", NULL, "INVALID", NULL, detail) ? oom(errstr, errsz) : 0;
}

/* The rest of the inflated stream after the tar's end (its padding, or
 * garbage): hashed into the diff_id like the rest and held to the byte
 * limits, so a stream cut short or followed by a bomb is an error here too. */
static int drain_inflated(struct archive *a, struct walk *w, const rs_layer_limits *lim,
                          rs_layer_result *r, char *errstr, size_t errsz)
{
    for (;;) {
        const void *blk;
        la_ssize_t n = walk_read(a, w, &blk);
        if (n == 0)
            return 0;
        if (n < 0)
            return archive_fail(a, w, NULL, errstr, errsz);
        int rc = check_bytes(a, w, lim, r, errstr, errsz);
        if (rc)
            return rc;
    }
}

/* Reads `in` to its end so that a verifying reader checks the digest; when
 * the tar ended well (tar_ok) the inflated stream is read to its end too. */
static int drain(struct archive *a, struct walk *w, int tar_ok, const rs_layer_limits *lim,
                 rs_layer_result *r, char *errstr, size_t errsz)
{
    if (w->in_rc)
        return w->in_rc;
    int rc = tar_ok ? drain_inflated(a, w, lim, r, errstr, errsz) : 0;
    if (w->in_rc)
        return w->in_rc;
    /* after an error, the rest is still read: a bad digest would explain it better */
    char derr[256];
    while (!w->in_eof) {
        ssize_t got = rs_reader_read(w->in, w->buf, sizeof w->buf, derr, sizeof derr);
        if (got < 0)
            return rs_errf(errstr, errsz, (int)got, "%s", derr);
        w->in_eof = got == 0;
        w->compressed += (uint64_t)got;
    }
    return rc;
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
    w->analyzers = lim->analyzers ? lim->analyzers : rs_analyzers_all();
    if (!(w->diff = rs_sha256_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    /* no filter here: walk_read inflates (gzip and zstd, from their magic) */
    if (archive_read_support_format_tar(a) != ARCHIVE_OK) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "libarchive lacks tar: %s",
                     archive_error_string(a) ? archive_error_string(a) : "?");
        goto out;
    }
    if (archive_read_open(a, w, NULL, walk_read, NULL) != ARCHIVE_OK) {
        rc = archive_fail(a, w, media_type, errstr, errsz);
        goto drain;
    }
    struct archive_entry *e;
    int nx;
    unsigned damaged = 0, seen = 0;
    while ((nx = rs_layer_tar_next(a, &e, &damaged, RS_LAYER_MAX_DAMAGED_HEADERS)) > 0) {
        if (damaged != seen && (rc = add_damaged(r, damaged - seen, errstr, errsz)))
            goto drain;
        seen = damaged;
        r->n_entries++;
        if (lim->max_entries && r->n_entries > lim->max_entries) {
            rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                         "layer exceeds max_entries (%zu entries)", lim->max_entries);
            goto drain;
        }
        if ((rc = check_bytes(a, w, lim, r, errstr, errsz)))
            goto drain;
        w->path[0] = '\0';
        if ((rc = walk_entry(a, e, w, lim, r, media_type, errstr, errsz)) < 0)
            goto drain;
        if (!rc && (rc = account(&w->held, lim, r)) < 0) {
            rc = oom(errstr, errsz);
            goto drain;
        }
        if (!rc)
            continue;
        /* a result limit: the layer ends here, its result stands (status partial) */
        rc = add_stop(r, lim, w->path[0] ? w->path : "/", rc) ? oom(errstr, errsz) : 0;
        goto drain;
    }
    if (nx < 0) {
        rc = archive_fail(a, w, media_type, errstr, errsz);
        goto drain;
    }
    if (damaged != seen && (rc = add_damaged(r, damaged - seen, errstr, errsz)))
        goto drain;
    rc = check_bytes(a, w, lim, r, errstr, errsz);
drain:
    /* A bad digest explains a broken stream better than the stream's own
     * error, so it wins; the caller's limit errors stand otherwise. */
    {
        char derr[256] = "";
        int drc = drain(a, w, rc == 0, lim, r, derr, sizeof derr);
        if (w->in_rc && !derr[0])
            snprintf(derr, sizeof derr, "%s", w->in_err);
        if (drc && (rc == 0 || rc == RS_ERR_INVALID || drc == RS_ERR_DIGEST_MISMATCH))
            rc = rs_errf(errstr, errsz, drc, "%s", derr);
    }
    if (rc == 0) {
        r->compressed_bytes = w->compressed;
        r->uncompressed_bytes = w->inflated;
        rs_sha256_final(w->diff, r->diff_id);
        *out = r;
        r = NULL;
    }
out:
    if (a)
        archive_read_free(a);
    if (w) {
        rs_gunzip_free(w->gz);
        free(w->held.fan);
        free(w->held.fanc);
        if (w->inflate)
            archive_read_free(w->inflate);
        rs_sha256_destroy(w->diff);
    }
    free(w);
    rs_layer_result_free(r);
    return rc;
}

/* JSON: paths are bytes from tar headers; they are written as UTF-8 (U+FFFD
 * for what is not), so the document always encodes. Packages and the OS
 * carry their own invalid-utf8 flags. The item codecs below (layer_int.h)
 * serve this form and the stream form of resultstream.c alike. */

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

/* The secrets and facts of a file, written only when there are some. */
static int file_extra_to_json(json_t *o, const rs_layer_file *f)
{
    if (f->secrets.n && json_object_set_new(o, "secrets", rs_secrets_to_json(&f->secrets)))
        return -1;
    if (f->facts && json_object_set_new(o, "facts", json_pack("{s:I, s:I}", "bits",
                                                            (json_int_t)f->facts, "mode",
                                                            (json_int_t)f->mode)))
        return -1;
    return 0;
}

/* Reads them back (untrusted; absent is none). Returns 0 or RS_ERR_INVALID. */
static int file_extra_from_json(const json_t *o, rs_analysis *res, char *errstr, size_t errsz)
{
    json_t *facts = json_object_get(o, "facts");
    int rc = rs_secrets_from_json(json_object_get(o, "secrets"), &res->secrets, errstr, errsz);
    if (rc || !facts)
        return rc;
    json_t *bits = json_object_get(facts, "bits"), *mode = json_object_get(facts, "mode");
    if (!json_is_integer(bits) || !json_is_integer(mode) || json_integer_value(bits) < 0 ||
        json_integer_value(bits) > 0xffff || json_integer_value(mode) < 0 ||
        json_integer_value(mode) > 07777)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad facts");
    res->facts = (unsigned)json_integer_value(bits);
    res->mode = (unsigned)json_integer_value(mode);
    return 0;
}

/* Sets "owned" on the file's object when the file lists owned paths. */
static int owned_to_json(json_t *o, const rs_layer_file *f)
{
    if (!f->n_owned)
        return 0;
    json_t *a = str_array(f->owned, f->n_owned);
    return !a || json_object_set_new(o, "owned", a);
}

json_t *rs_layer_file_head_json(const rs_layer_file *f)
{
    json_t *o = json_pack("{s:o, s:s, s:o?, s:I}", "path", str(f->path), "analyzer", f->analyzer,
                          "os", f->os.found ? rs_os_to_json(&f->os) : NULL, "malformed",
                          (json_int_t)f->n_malformed);
    if (o && file_extra_to_json(o, f)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A file's object of the JSON form: its head, "packages" and "owned". */
static json_t *file_to_json(const rs_layer_file *f)
{
    json_t *pkgs = json_array(), *o = NULL;
    for (size_t k = 0; pkgs && k < f->n_pkgs; k++)
        if (json_array_append_new(pkgs, rs_pkg_to_json(&f->pkgs[k]))) {
            json_decref(pkgs);
            return NULL;
        }
    if (!pkgs || !(o = rs_layer_file_head_json(f)) || json_object_set_new(o, "packages", pkgs) ||
        owned_to_json(o, f)) {
        json_decref(o ? NULL : pkgs);
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rs_layer_link_json(const rs_layer_link *l)
{
    return json_pack("{s:o, s:o, s:b}", "path", str(l->path), "target", str(l->target), "hard",
                     l->hard);
}

json_t *rs_layer_skipped_json(const rs_layer_skipped *s)
{
    return json_pack("{s:o, s:s, s:s*, s:s*, s:o*}", "path", str(s->path), "reason", s->reason,
                     "analyzer", s->analyzer, "limit", s->limit, "detail",
                     s->detail ? str(s->detail) : NULL);
}

json_t *rs_layer_path_json(const char *path)
{
    return str(path);
}

int rs_layer_counters_json(json_t *j, const rs_layer_result *r)
{
    if (json_object_set_new(j, "entries", json_integer((json_int_t)r->n_entries)) ||
        json_object_set_new(j, "uncompressed_bytes",
                            json_integer((json_int_t)r->uncompressed_bytes)) ||
        json_object_set_new(j, "compressed_bytes", json_integer((json_int_t)r->compressed_bytes)))
        return -1;
    return r->diff_id[0] && json_object_set_new(j, "diff_id", json_string(r->diff_id)) ? -1 : 0;
}

/* Appends to array a each of the n items that enc turns into JSON. */
static int items_to_json(json_t *a, const void *items, size_t size, size_t n,
                         json_t *(*enc)(const void *))
{
    for (size_t i = 0; i < n; i++)
        if (json_array_append_new(a, enc((const char *)items + i * size)))
            return -1;
    return 0;
}

static json_t *file_enc(const void *f)
{
    return file_to_json(f);
}

static json_t *link_enc(const void *l)
{
    return rs_layer_link_json(l);
}

static json_t *skipped_enc(const void *s)
{
    return rs_layer_skipped_json(s);
}

json_t *rs_layer_result_to_json(const rs_layer_result *r)
{
    json_t *files = json_array(), *links = json_array(), *skipped = json_array();
    json_t *wh = str_array(r->whiteouts, r->n_whiteouts);
    json_t *opq = str_array(r->opaque_dirs, r->n_opaque_dirs);
    json_t *j = json_object();
    if (!files || !links || !skipped || !wh || !opq || !j ||
        items_to_json(files, r->files, sizeof *r->files, r->n_files, file_enc) ||
        items_to_json(links, r->links, sizeof *r->links, r->n_links, link_enc) ||
        items_to_json(skipped, r->skipped, sizeof *r->skipped, r->n_skipped, skipped_enc)) {
        json_t *all[] = {files, links, skipped, wh, opq, j};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++)
            json_decref(all[i]);
        return NULL;
    }
    int bad = json_object_set_new(j, "files", files) | json_object_set_new(j, "links", links) |
              json_object_set_new(j, "whiteouts", wh) |
              json_object_set_new(j, "opaque_dirs", opq) |
              json_object_set_new(j, "skipped", skipped) | rs_layer_counters_json(j, r);
    if (bad) {
        json_decref(j);
        return NULL;
    }
    return j;
}

const char *rs_layer_json_path(const json_t *v)
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

/* One path of a file's optional "owned" array: normalised and absolute. */
static int owned_from_json(const json_t *v, void *res)
{
    const char *p = rs_layer_json_path(v);
    if (!p)
        return RS_ERR_INVALID;
    return rs_analysis_add_owned(res, p, strlen(p)) ? RS_ERR_INTERNAL : 0;
}

int rs_layer_file_head_decode(const json_t *o, const char **path, const char **analyzer,
                              rs_analysis *res, char *errstr, size_t errsz)
{
    *path = rs_layer_json_path(json_object_get(o, "path"));
    json_t *an = json_object_get(o, "analyzer"), *os = json_object_get(o, "os");
    uint64_t malformed = 0;
    if (!*path || !json_is_string(an) || !rs_analyzer_find(json_string_value(an)) ||
        json_count(json_object_get(o, "malformed"), &malformed))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad file entry");
    *analyzer = json_string_value(an);
    if (os && !json_is_null(os)) {
        int rc = rs_os_from_json(os, &res->os, errstr, errsz);
        if (rc)
            return rc;
        res->os.found = 1;
    }
    res->n_malformed = (size_t)malformed;
    return file_extra_from_json(o, res, errstr, errsz);
}

int rs_layer_add_pkg_json(rs_analysis *res, const json_t *v, char *errstr, size_t errsz)
{
    rs_pkg p;
    int rc = rs_pkg_from_json(v, &p, errstr, errsz);
    if (rc)
        return rc;
    rc = rs_analysis_add_pkg(res, &p);
    rs_pkg_clear(&p);
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

int rs_layer_add_owned_json(rs_analysis *res, const json_t *v, char *errstr, size_t errsz)
{
    int rc = owned_from_json(v, res);
    if (rc == RS_ERR_INVALID)
        return rs_errf(errstr, errsz, rc, "invalid layer result: bad owned path");
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

int rs_layer_add_file(rs_layer_result *r, const char *path, const char *analyzer, rs_analysis *res,
                      char *errstr, size_t errsz)
{
    int rc = add_file(r, path, analyzer, res);
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

static int decode_file(const json_t *o, rs_layer_result *r, char *errstr, size_t errsz)
{
    json_t *pkgs = json_object_get(o, "packages");
    if (!json_is_array(pkgs) || json_array_size(pkgs) > LAYER_JSON_MAX_ITEMS)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad file entry");
    rs_analysis res = {0};
    const char *path, *an;
    int rc = rs_layer_file_head_decode(o, &path, &an, &res, errstr, errsz);
    if (!rc)
        rc = rs_json_each(json_object_get(o, "owned"), LAYER_JSON_MAX_ITEMS,
                          "layer result: owned paths", owned_from_json, &res, errstr, errsz);
    size_t i;
    json_t *v;
    json_array_foreach(pkgs, i, v)
    {
        if (rc || (rc = rs_layer_add_pkg_json(&res, v, errstr, errsz)))
            break;
    }
    if (!rc)
        rc = rs_layer_add_file(r, path, an, &res, errstr, errsz);
    rs_analysis_clear(&res);
    return rc;
}

int rs_layer_link_decode(const json_t *v, rs_layer_result *r, char *errstr, size_t errsz)
{
    const char *p = rs_layer_json_path(json_object_get(v, "path"));
    json_t *t = json_object_get(v, "target"), *h = json_object_get(v, "hard");
    if (!p || !json_is_string(t) || json_string_length(t) > LAYER_JSON_PATH_MAX ||
        strlen(json_string_value(t)) != json_string_length(t) || !json_is_boolean(h))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad link");
    int rc = add_link(r, p, json_string_value(t), json_is_true(h));
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

int rs_layer_path_decode(const json_t *v, int opaque, rs_layer_result *r, char *errstr,
                         size_t errsz)
{
    const char *p = rs_layer_json_path(v);
    if (!p)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad %s",
                       opaque ? "opaque dir" : "whiteout");
    int rc = opaque ? add_str(&r->opaque_dirs, &r->n_opaque_dirs, &r->cap_opaque_dirs, p)
                    : add_str(&r->whiteouts, &r->n_whiteouts, &r->cap_whiteouts, p);
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

int rs_layer_skipped_decode(const json_t *v, rs_layer_result *r, char *errstr, size_t errsz)
{
    json_t *p = json_object_get(v, "path"), *why = json_object_get(v, "reason"),
           *an = json_object_get(v, "analyzer"), *lim = json_object_get(v, "limit"),
           *det = json_object_get(v, "detail");
    if (!json_is_string(p) || json_string_length(p) > LAYER_JSON_PATH_MAX ||
        !json_is_string(why) || json_string_length(why) > 64 ||
        (an && !json_is_null(an) &&
         (!json_is_string(an) || !rs_analyzer_find(json_string_value(an)))) ||
        (lim && (!json_is_string(lim) || json_string_length(lim) > 64)) ||
        (det && (!json_is_string(det) || json_string_length(det) > 1024)))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad skipped");
    int rc = add_skipped_why(r, json_string_value(p),
                             json_is_string(an) ? json_string_value(an) : NULL,
                             json_string_value(why), json_string_value(lim),
                             json_string_value(det));
    return rc ? rs_errf(errstr, errsz, rc, "out of memory") : 0;
}

int rs_layer_counters_decode(const json_t *j, rs_layer_result *r, char *errstr, size_t errsz)
{
    if (json_count(json_object_get(j, "entries"), &r->n_entries) ||
        json_count(json_object_get(j, "uncompressed_bytes"), &r->uncompressed_bytes) ||
        json_count(json_object_get(j, "compressed_bytes"), &r->compressed_bytes))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad counters");
    /* the optional "diff_id": absent is "" (not computed), else a valid digest */
    json_t *v = json_object_get(j, "diff_id");
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= RS_DIGEST_SIZE ||
        !rs_digest_valid(json_string_value(v)))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid layer result: bad diff_id");
    memcpy(r->diff_id, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* Decodes each item of array a with dec (a whiteout or opaque dir: kind). */
static int items_from_json(const json_t *a, int kind, rs_layer_result *r, char *errstr,
                           size_t errsz)
{
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(a, i, v)
    {
        switch (kind) {
        case 0:
            rc = decode_file(v, r, errstr, errsz);
            break;
        case 1:
            rc = rs_layer_link_decode(v, r, errstr, errsz);
            break;
        case 2:
        case 3:
            rc = rs_layer_path_decode(v, kind == 3, r, errstr, errsz);
            break;
        default:
            rc = rs_layer_skipped_decode(v, r, errstr, errsz);
        }
        if (rc)
            return rc;
    }
    return 0;
}

int rs_layer_result_from_json(const json_t *j, rs_layer_result **out, char *errstr, size_t errsz)
{
    *out = NULL;
    static const char *const keys[] = {"files", "links", "whiteouts", "opaque_dirs", "skipped"};
    for (size_t i = 0; i < 5; i++) {
        json_t *a = json_object_get(j, keys[i]);
        if (!json_is_array(a) || json_array_size(a) > LAYER_JSON_MAX_ITEMS)
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "invalid layer result: missing or oversized array");
    }
    rs_layer_result *r = calloc(1, sizeof *r);
    if (!r)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    int rc = rs_layer_counters_decode(j, r, errstr, errsz);
    for (int k = 0; !rc && k < 5; k++)
        rc = items_from_json(json_object_get(j, keys[k]), k, r, errstr, errsz);
    if (rc) {
        rs_layer_result_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
