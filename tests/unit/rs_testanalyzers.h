/* rs_testanalyzers.h - two test-only analyzers that want the same paths
 * (everything under /data/), passed to the layer walker through
 * rs_layer_limits.analyzers: "wc" streams (counts bytes and newlines, and the
 * most memory the process held while it was fed), "head" parses whole files
 * of at most 1 MiB (counts their bytes). Each reports one package of type
 * "test" named after itself, whose version is what it counted. */
#ifndef RS_TESTANALYZERS_H
#define RS_TESTANALYZERS_H

#include "index.h"
#include "base.h"

#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The most bytes malloc held while "wc" was fed (0 under sanitizers, whose
 * allocator mallinfo2 does not see). Tests run one walk at a time. */
static size_t wc_peak_heap;

static int data_wants(const char *path)
{
    return strncmp(path, "/data/", 6) == 0;
}

static inline int add_test_pkg(rs_analysis *out, const char *path, const char *name,
                               const char *version)
{
    rs_pkg p = {0};
    p.type = (char *)"test";
    p.path = (char *)path;
    p.name = (char *)name;
    p.version = (char *)version;
    return rs_analysis_add_pkg(out, &p);
}

struct wc_state {
    uint64_t size, bytes, lines;
    char path[256];
};

static int wc_begin(const char *path, uint64_t size, void **state, char *errstr, size_t errsz)
{
    struct wc_state *s = calloc(1, sizeof *s);
    if (!s)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    s->size = size;
    snprintf(s->path, sizeof s->path, "%s", path);
    *state = s;
    return 0;
}

static int wc_feed(void *state, const void *data, size_t len)
{
    struct wc_state *s = state;
    const char *p = data, *end = p + len;
    while ((p = memchr(p, '\n', (size_t)(end - p)))) {
        s->lines++;
        p++;
    }
    s->bytes += len;
    struct mallinfo2 mi = mallinfo2();
    if (mi.uordblks + mi.hblkhd > wc_peak_heap)
        wc_peak_heap = mi.uordblks + mi.hblkhd;
    return 0;
}

static int wc_end(void *state, rs_analysis *out, char *errstr, size_t errsz)
{
    struct wc_state *s = state;
    int rc = 0;
    if (out) {
        char v[64];
        snprintf(v, sizeof v, "%llu:%llu", (unsigned long long)s->bytes,
                 (unsigned long long)s->lines);
        if (s->bytes != s->size)
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "wc: %s is not its header's size", v);
        else if (add_test_pkg(out, s->path, "wc", v))
            rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    free(s);
    return rc;
}

static int head_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                      char *errstr, size_t errsz)
{
    (void)data;
    char v[32];
    snprintf(v, sizeof v, "%zu", len);
    if (add_test_pkg(out, path, "head", v))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

static const rs_analyzer test_wc = {
    .name = "wc",
    .version = "wc/1",
    .wants = data_wants,
    .max_file_size = 0, /* streams any size */
    .begin = wc_begin,
    .feed = wc_feed,
    .end = wc_end,
};

static const rs_analyzer test_head = {
    .name = "head",
    .version = "head/1",
    .wants = data_wants,
    .max_file_size = 1 << 20,
    .parse = head_parse,
};

/* 1 for the analyzers that look at every file (secrets, files), which the
 * walker and merge tests leave out: they have their own tests. */
static inline int test_every_file(const rs_analyzer *a)
{
    return a->skip_hard_links || (!a->parse && !a->begin);
}

/* The real analyzers of some paths, NULL-terminated. */
static inline const rs_analyzer *const *real_analyzers(void)
{
    static const rs_analyzer *list[64];
    if (!list[0]) {
        size_t n = 0;
        for (const rs_analyzer *const *a = rs_analyzers_all(); *a && n < 63; a++)
            if (!test_every_file(*a))
                list[n++] = *a;
    }
    return list;
}

/* The real analyzers of some paths, then the two test ones; those of every
 * file (secrets, files: skip_hard_links or `entry` alone) are left out. */
static inline const rs_analyzer *const *test_analyzers(void)
{
    static const rs_analyzer *list[64]; /* NULL-terminated: room for the registry and two */
    if (!list[0]) {
        size_t n = 0;
        for (const rs_analyzer *const *a = rs_analyzers_all(); *a && n + 3 < 64; a++)
            if (!test_every_file(*a))
                list[n++] = *a;
        list[n++] = &test_wc;
        list[n++] = &test_head;
    }
    return list;
}

/* The version of the "test" package `name` at `path` in the n files, or NULL. */
static inline const char *test_version(const rs_layer_file *files, size_t n, const char *path,
                                       const char *name)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < files[i].n_pkgs; k++)
            if (!strcmp(files[i].path, path) && !strcmp(files[i].pkgs[k].name, name) &&
                !strcmp(files[i].analyzer, name))
                return files[i].pkgs[k].version;
    return NULL;
}

#endif
