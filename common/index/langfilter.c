/* langfilter.c - the owned-files and lock-file rules (see langfilter.h).
 *
 * Owned paths are gathered from every file of the view into one sorted array
 * of borrowed pointers and looked up by binary search: a Debian system owns
 * ~100k paths, checked against a few thousand package files. */
#include "langfilter_int.h"
#include "analyzers/npm_int.h"
#include "analyzers/npmlock_int.h"
#include "model.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

struct rs_langfilter {
    const char **owned; /* sorted */
    size_t n_owned;
    char **npm_roots; /* D of every D/node_modules/.../package.json read, sorted */
    size_t n_roots, cap_roots;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int in_sorted(const char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* Records the directory above the first node_modules of an npm manifest. */
static int add_root(rs_langfilter *lf, const rs_layer_file *f)
{
    if (!f->n_pkgs || !rs_npm_manifest_path(f->path))
        return 0;
    const char *nm = strstr(f->path, "/node_modules/");
    size_t n = nm ? (size_t)(nm - f->path) : 0;
    if (!nm || RS_GROW(lf->npm_roots, lf->n_roots + 1, lf->cap_roots))
        return nm ? -1 : 0;
    char *d = malloc(n + 1);
    if (!d)
        return -1;
    memcpy(d, f->path, n);
    d[n] = '\0';
    lf->npm_roots[lf->n_roots++] = d;
    return 0;
}

rs_langfilter *rs_langfilter_new(const rs_layer_file *const *files, size_t n)
{
    rs_langfilter *lf = calloc(1, sizeof *lf);
    size_t total = 0;
    if (!lf)
        return NULL;
    for (size_t i = 0; i < n; i++)
        total += files[i]->n_owned;
    if (total && !(lf->owned = malloc(total * sizeof *lf->owned)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < files[i]->n_owned; k++)
            lf->owned[lf->n_owned++] = files[i]->owned[k];
        if (add_root(lf, files[i]))
            goto fail;
    }
    /* qsort's pointer must not be NULL, even for no element */
    if (lf->n_owned > 1)
        qsort(lf->owned, lf->n_owned, sizeof *lf->owned, cmp_str);
    if (lf->n_roots > 1)
        qsort(lf->npm_roots, lf->n_roots, sizeof *lf->npm_roots, cmp_str);
    return lf;
fail:
    rs_langfilter_free(lf);
    return NULL;
}

/* 1 when `path`, or its *.dist-info / *.egg-info directory, is owned. */
static int owned(const rs_langfilter *lf, const char *path)
{
    if (in_sorted(lf->owned, lf->n_owned, path))
        return 1;
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    static const char *const dirs[] = {".dist-info", ".egg-info"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(dirs[i]);
        if (n > k && memcmp(path + n - k, dirs[i], k) == 0) {
            char *dir = strndup(path, n);
            int hit = dir && in_sorted(lf->owned, lf->n_owned, dir);
            free(dir);
            return hit;
        }
    }
    return 0;
}

/* 1 when `path` is a lock file beside a node_modules tree that was read. */
static int shadowed_lock(const rs_langfilter *lf, const char *path)
{
    if (!rs_npmlock_path(path))
        return 0;
    const char *slash = strrchr(path, '/');
    char *dir = strndup(path, (size_t)(slash - path));
    int hit = dir && in_sorted((const char *const *)lf->npm_roots, lf->n_roots, dir);
    free(dir);
    return hit;
}

int rs_langfilter_drops(const rs_langfilter *lf, const rs_layer_file *f, const rs_pkg *p)
{
    if (!p->type || rs_ecosystem_for_type(p->type))
        return 0; /* an OS package is never anyone else's */
    if (owned(lf, f->path))
        return 1;
    return strcmp(p->type, "npm") == 0 && shadowed_lock(lf, f->path);
}

void rs_langfilter_free(rs_langfilter *lf)
{
    if (!lf)
        return;
    for (size_t i = 0; i < lf->n_roots; i++)
        free(lf->npm_roots[i]);
    free(lf->npm_roots);
    free(lf->owned);
    free(lf);
}
