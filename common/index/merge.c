/* merge.c - apply layer results in order into one view of the wanted paths.
 *
 * The view is an array of entries sorted by path; each layer first removes
 * what its whiteouts and opaque directories hide (each view entry checks its
 * own path and its ancestors against the layer's sorted lists), then its own
 * entries are merged in. Costs O((E + F) log) per layer whatever the image
 * throws at it. Package attribution: a package keeps the layer index it had in
 * the previous version of the same path when (name, version, arch) is equal,
 * else gets the current layer. */
#include "index.h"
#include "base.h"
#include "langfilter_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_PATH_MAX 4096
#define MERGE_MAX_HOPS 16

enum { V_FILE, V_LINK, V_SKIPPED };

/* The view holds, per path, what the last layer that touched it says: a
 * link or an entry skipped as a whole, or one file (or skip) per analyzer. */
typedef struct ventry {
    const char *path;
    int kind;
    const char *analyzer; /* NULL: the entry as a whole (a link, a skipped entry) */
    const rs_layer_file *file;
    const rs_layer_link *link;
    size_t *pkg_layer; /* V_FILE: the layer index of each package */
    size_t seq;        /* order within its layer, so the last duplicate wins */
    int alias;         /* V_FILE: a hard link to `file`, which has another path */
} ventry;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
    const ventry *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int in_sorted(char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* 1 when the layer's whiteouts or opaque directories hide `path`. */
static int hidden(const char *path, char **wh, size_t n_wh, char **opq, size_t n_opq)
{
    char buf[MERGE_PATH_MAX + 2];
    if (in_sorted(wh, n_wh, path))
        return 1;
    snprintf(buf, sizeof buf, "%s", path);
    /* walk up the ancestors: "/a/b/c" -> "/a/b" -> "/a" -> "/" */
    for (;;) {
        char *slash = strrchr(buf, '/');
        if (!slash)
            return 0;
        if (slash == buf) {
            if (!buf[1])
                return 0;
            buf[1] = '\0';
        } else {
            *slash = '\0';
        }
        if (in_sorted(wh, n_wh, buf) || in_sorted(opq, n_opq, buf))
            return 1;
        if (buf[0] == '/' && !buf[1])
            return 0;
    }
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int pkg_key_cmp(const rs_pkg *a, const rs_pkg *b)
{
    int c;
    if ((c = strcmp_null(a->name, b->name)) || (c = strcmp_null(a->version, b->version)))
        return c;
    return strcmp_null(a->arch, b->arch);
}

/* qsort_r (glibc, _GNU_SOURCE): merges run on several threads at once */
static int cmp_pkg_index(const void *a, const void *b, void *base)
{
    const rs_pkg *p = base;
    return pkg_key_cmp(&p[*(const size_t *)a], &p[*(const size_t *)b]);
}

/* Attribution of the secrets of `nf` (after its packages in the same array):
 * a secret the previous version of the path had too keeps its layer. */
static void attribute_secrets(const rs_layer_file *nf, const ventry *old, size_t layer,
                              size_t *out)
{
    for (size_t k = 0; k < nf->secrets.n; k++) {
        out[k] = layer;
        for (size_t o = 0; old && old->kind == V_FILE && o < old->file->secrets.n; o++)
            if (rs_secret_same(&nf->secrets.items[k], &old->file->secrets.items[o]))
                out[k] = old->pkg_layer[old->file->n_pkgs + o];
    }
}

/* Attribution of the packages of `nf` (layer `layer`) given the previous
 * version `old` of the same path (may be NULL). */
static size_t *attribute(const rs_layer_file *nf, const ventry *old, size_t layer)
{
    size_t *out = calloc(nf->n_pkgs + nf->secrets.n + 1, sizeof *out);
    if (!out)
        return NULL;
    for (size_t k = 0; k < nf->n_pkgs; k++)
        out[k] = layer;
    attribute_secrets(nf, old, layer, out + nf->n_pkgs);
    if (!old || old->kind != V_FILE || !old->file->n_pkgs)
        return out;
    const rs_layer_file *of = old->file;
    size_t *idx = malloc(of->n_pkgs * sizeof *idx);
    if (!idx) {
        free(out);
        return NULL;
    }
    for (size_t k = 0; k < of->n_pkgs; k++)
        idx[k] = k;
    qsort_r(idx, of->n_pkgs, sizeof *idx, cmp_pkg_index, of->pkgs);
    for (size_t k = 0; k < nf->n_pkgs; k++) {
        size_t lo = 0, hi = of->n_pkgs;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = pkg_key_cmp(&of->pkgs[idx[mid]], &nf->pkgs[k]);
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < of->n_pkgs && pkg_key_cmp(&of->pkgs[idx[lo]], &nf->pkgs[k]) == 0)
            out[k] = old->pkg_layer[idx[lo]];
    }
    free(idx);
    return out;
}

/* The first of the view entries at `path` (their count in *count), or NULL. */
static const ventry *view_find(const ventry *v, size_t n, const char *path, size_t *count)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(v[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < n && strcmp(v[end].path, path) == 0)
        end++;
    *count = end - lo;
    return end > lo ? &v[lo] : NULL;
}

/* Of the n view entries of one path, the file `analyzer` made, or NULL. */
static const ventry *run_file(const ventry *run, size_t n, const char *analyzer)
{
    for (size_t i = 0; i < n; i++)
        if (run[i].kind == V_FILE && strcmp(run[i].analyzer, analyzer) == 0)
            return &run[i];
    return NULL;
}

/* Resolves a symlink's target against the directory of `link`, ".." clamped
 * at the root as the kernel does in a chroot. Returns 0 or -1 (too long). */
static int resolve_target(const char *link, const char *target, char *out, size_t out_size)
{
    size_t o = 0;
    if (target[0] != '/') {
        const char *slash = strrchr(link, '/');
        o = slash ? (size_t)(slash - link) : 0;
        if (o + 1 > out_size)
            return -1;
        memcpy(out, link, o);
    }
    out[o] = '\0';
    const char *p = target, *c;
    size_t n;
    while (rs_path_next(&p, &c, &n)) {
        if (n == 1 && c[0] == '.') {
        } else if (n == 2 && c[0] == '.' && c[1] == '.') {
            char *slash = strrchr(out, '/');
            o = slash ? (size_t)(slash - out) : 0;
            out[o] = '\0';
        } else {
            if (o + 1 + n + 1 > out_size)
                return -1;
            out[o++] = '/';
            memcpy(out + o, c, n);
            o += n;
            out[o] = '\0';
        }
    }
    if (o == 0) {
        if (out_size < 2)
            return -1;
        out[0] = '/';
        out[1] = '\0';
    }
    return 0;
}

/* The file `analyzer` made of `path` after following links, or NULL. */
static const rs_layer_file *follow(const ventry *v, size_t n, const char *path,
                                   const char *analyzer)
{
    char cur[MERGE_PATH_MAX + 2], next[MERGE_PATH_MAX + 2];
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0; hop <= MERGE_MAX_HOPS; hop++) {
        size_t count;
        const ventry *e = view_find(v, n, cur, &count);
        if (!e)
            return NULL;
        if (e->kind != V_LINK) {
            const ventry *f = run_file(e, count, analyzer);
            return f ? f->file : NULL;
        }
        if (resolve_target(e->link->hard ? "/" : cur, e->link->target, next, sizeof next))
            return NULL;
        memcpy(cur, next, sizeof cur);
    }
    return NULL;
}

static void view_free(ventry *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].pkg_layer);
    free(v);
}

/* Keeps, of each path's entries in add[0..n) (sorted by path, then order in
 * the layer), what the last tar entry at the path left: its one entry as a
 * whole, or its trailing entries of distinct analyzers (one tar entry adds one
 * per analyzer, one after another). Returns the count kept, order unchanged. */
static size_t keep_last(ventry *add, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n;) {
        size_t end = i + 1;
        while (end < n && strcmp(add[end].path, add[i].path) == 0)
            end++;
        size_t first = end - 1;
        while (first > i && add[end - 1].analyzer && add[first - 1].analyzer) {
            int dup = 0;
            for (size_t k = first; k < end && !dup; k++)
                dup = strcmp(add[k].analyzer, add[first - 1].analyzer) == 0;
            if (dup)
                break;
            first--;
        }
        for (size_t k = first; k < end; k++)
            add[out++] = add[k];
        i = end;
    }
    return out;
}

/* Where the secrets of files that a layer deletes or replaces go: they are
 * still in the image (in the lower layer's blob), so they stay in the
 * result with deleted_in_layer set. */
struct retire {
    rs_inventory *inv;
    char *const *digests; /* may be NULL */
};

/* Adds secret k of view entry e to the inventory; `deleted` is the layer
 * index that removed it, or -1 while it is still there. */
static int add_secret(const struct retire *rx, const ventry *e, size_t k, long deleted)
{
    const rs_layer_file *f = e->file;
    rs_secret s = f->secrets.items[k];
    int replaced = 0, rc;
    s.path = rs_utf8_dup(e->path, strlen(e->path), &replaced);
    if (!s.path)
        return RS_ERR_INTERNAL;
    s.text_replaced = replaced;
    s.layer = rx->digests ? rx->digests[e->pkg_layer[f->n_pkgs + k]] : NULL;
    s.deleted_in_layer = rx->digests && deleted >= 0 ? rx->digests[deleted] : NULL;
    rc = rs_secrets_add(&rx->inv->secrets, &s);
    free(s.path);
    return rc;
}

/* Retires the secrets of `old` that layer li removed: all of them, or, when
 * the layer put a new version of the path (`now`, may be NULL), those the
 * new version does not have. Returns 0 or RS_ERR_INTERNAL. */
static int retire_secrets(const struct retire *rx, const ventry *old, const ventry *now,
                          size_t li)
{
    if (old->kind != V_FILE || !old->file->secrets.n)
        return 0;
    for (size_t k = 0; k < old->file->secrets.n; k++) {
        int kept = 0;
        for (size_t o = 0; now && now->kind == V_FILE && o < now->file->secrets.n && !kept; o++)
            kept = rs_secret_same(&old->file->secrets.items[k], &now->file->secrets.items[o]);
        if (!kept && add_secret(rx, old, k, (long)li))
            return RS_ERR_INTERNAL;
    }
    return 0;
}

/* 1 when the file `analyzer` made of a hard link's target counts for the
 * link's own path: the analyzer wants that path and reads hard links (an
 * analyzer outside the registry, a test's, does). */
static int link_resolves(const char *analyzer, const char *link_path)
{
    const rs_analyzer *an = rs_analyzer_find(analyzer);
    return !an || (an->wants(link_path) && !an->skip_hard_links && !an->executables_only);
}

/* The files of this layer (add[0..n), sorted by path) a hard link stands
 * for: each hard link whose target the layer has files for becomes one
 * alias entry per such file, at the link's path, sharing the file (no copy;
 * the walker bounds the links per target: max_link_fanout). A link with none
 * stays a link. Replaces *padd. Returns 0 or RS_ERR_INTERNAL. */
static int resolve_hard_links(ventry **padd, size_t *pn)
{
    ventry *add = *padd;
    size_t n = *pn, extra = 0, cnt;
    for (size_t i = 0; i < n; i++)
        if (add[i].kind == V_LINK && add[i].link->hard &&
            view_find(add, n, add[i].link->target, &cnt))
            extra += cnt;
    if (!extra)
        return 0;
    ventry *out = calloc(n + extra, sizeof *out);
    if (!out)
        return RS_ERR_INTERNAL;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const ventry *t = NULL;
        size_t made = 0;
        if (add[i].kind == V_LINK && add[i].link->hard)
            t = view_find(add, n, add[i].link->target, &cnt);
        for (size_t k = 0; t && k < cnt; k++)
            if (t[k].kind == V_FILE && !t[k].alias &&
                link_resolves(t[k].analyzer, add[i].path)) {
                out[m] = t[k];
                out[m].path = add[i].path;
                out[m].seq = add[i].seq;
                out[m++].alias = 1;
                made++;
            }
        if (!made)
            out[m++] = add[i];
    }
    free(add);
    *padd = out;
    *pn = m;
    return 0;
}

/* Applies layer `li` to the view (*pv, *pn). Returns 0 or RS_ERR_INTERNAL. */
static int apply_layer(ventry **pv, size_t *pn, const rs_layer_result *L, size_t li,
                       const struct retire *rx)
{
    ventry *v = *pv, *add = NULL, *merged = NULL;
    size_t n = *pn, n_add = 0;
    char **wh = NULL, **opq = NULL;
    int rc = RS_ERR_INTERNAL;

    /* removals */
    if (L->n_whiteouts || L->n_opaque_dirs) {
        wh = malloc((L->n_whiteouts + 1) * sizeof *wh);
        opq = malloc((L->n_opaque_dirs + 1) * sizeof *opq);
        if (!wh || !opq)
            goto out;
        if (L->n_whiteouts)
            memcpy(wh, L->whiteouts, L->n_whiteouts * sizeof *wh);
        if (L->n_opaque_dirs)
            memcpy(opq, L->opaque_dirs, L->n_opaque_dirs * sizeof *opq);
        qsort(wh, L->n_whiteouts, sizeof *wh, cmp_str);
        qsort(opq, L->n_opaque_dirs, sizeof *opq, cmp_str);
        size_t keep = 0;
        int lost = 0;
        for (size_t i = 0; i < n; i++) {
            if (hidden(v[i].path, wh, L->n_whiteouts, opq, L->n_opaque_dirs)) {
                /* the view stays consistent whatever happens: fail after the loop */
                lost |= retire_secrets(rx, &v[i], NULL, li) != 0;
                free(v[i].pkg_layer);
                continue;
            }
            v[keep++] = v[i];
        }
        n = keep;
        *pn = n;
        if (lost)
            goto out;
    }

    /* this layer's own entries, sorted, the last of a duplicated path kept */
    size_t total = L->n_files + L->n_links + L->n_skipped;
    if (!(add = calloc(total ? total : 1, sizeof *add)))
        goto out;
    /* the last field is the entry's own index: it keeps the sort stable */
    for (size_t i = 0; i < L->n_files; i++, n_add++)
        add[n_add] = (ventry){
            L->files[i].path, V_FILE, L->files[i].analyzer, &L->files[i], NULL, NULL, n_add};
    for (size_t i = 0; i < L->n_links; i++, n_add++)
        add[n_add] = (ventry){L->links[i].path, V_LINK, NULL, NULL, &L->links[i], NULL, n_add};
    for (size_t i = 0; i < L->n_skipped; i++)
        if (L->skipped[i].path[0] == '/') {
            add[n_add] = (ventry){
                L->skipped[i].path, V_SKIPPED, L->skipped[i].analyzer, NULL, NULL, NULL, n_add};
            n_add++;
        }
    qsort(add, n_add, sizeof *add, cmp_entry);
    n_add = keep_last(add, n_add);
    if (resolve_hard_links(&add, &n_add))
        goto out;

    if (!(merged = calloc(n + n_add + 1, sizeof *merged)))
        goto out;
    size_t i = 0, j = 0, m = 0;
    while (i < n || j < n_add) {
        int c = i >= n ? 1 : j >= n_add ? -1 : strcmp(v[i].path, add[j].path);
        if (c < 0) {
            merged[m++] = v[i++];
            continue;
        }
        /* the layer's entries at this path replace all the view had there */
        size_t i_end = i, j_end = j + 1;
        while (c == 0 && i_end < n && strcmp(v[i_end].path, add[j].path) == 0)
            i_end++;
        while (j_end < n_add && strcmp(add[j_end].path, add[j].path) == 0)
            j_end++;
        size_t j_first = m;
        for (; j < j_end; j++) {
            ventry e = add[j];
            const ventry *old = e.kind == V_FILE ? run_file(v + i, i_end - i, e.analyzer) : NULL;
            if (e.kind == V_FILE && !(e.pkg_layer = attribute(e.file, old, li)))
                goto out_merged;
            merged[m++] = e;
        }
        for (; i < i_end; i++) {
            const ventry *now = v[i].kind == V_FILE
                                    ? run_file(merged + j_first, m - j_first, v[i].analyzer)
                                    : NULL;
            if (retire_secrets(rx, &v[i], now, li))
                goto out_merged;
            free(v[i].pkg_layer);
            v[i].pkg_layer = NULL;
        }
    }
    free(v);
    *pv = merged;
    *pn = m;
    merged = NULL;
    rc = 0;
    goto out;
out_merged:
    /* entries taken from v stay owned by v; only the new attributions go */
    for (size_t k = 0; k < m; k++)
        if (merged[k].kind == V_FILE && merged[k].file >= L->files &&
            merged[k].file < L->files + L->n_files)
            free(merged[k].pkg_layer);
out:
    free(merged);
    free(add);
    free(wh);
    free(opq);
    return rc;
}

/* Adds the packages of view entry `e` that `lf` keeps to inv, each with the
 * file's path (a tar path is bytes: U+FFFD for what is not UTF-8, flagging
 * the package) and the layer that brought it. Returns 0 or RS_ERR_INTERNAL. */
static int add_file_pkgs(rs_inventory *inv, const ventry *e, char *const *layer_digests,
                         const rs_langfilter *lf)
{
    const rs_layer_file *f = e->file;
    int replaced = 0, rc = 0;
    char *path = rs_utf8_dup(e->path, strlen(e->path), &replaced);
    if (!path)
        return RS_ERR_INTERNAL;
    for (size_t k = 0; !rc && k < f->n_pkgs; k++) {
        if (rs_langfilter_drops(lf, f, &f->pkgs[k]))
            continue;
        rs_pkg p = f->pkgs[k];
        /* a package read inside an archive keeps its "!/" part */
        p.path = rs_analysis_pkg_path(p.path, e->alias ? f->path : path, path);
        p.layer = layer_digests ? layer_digests[e->pkg_layer[k]] : NULL;
        p.text_replaced |= replaced;
        rc = p.path ? rs_inventory_add(inv, &p) : RS_ERR_INTERNAL;
        free(p.path);
    }
    free(path);
    return rc;
}

/* The secrets of the files still in the view, and the configuration checks
 * of the file system (checks.h) on their facts and the packages. */
static int add_findings(const struct retire *rx, const ventry *v, size_t nv)
{
    rs_checks_fs fs = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < nv; i++) {
        if (v[i].kind != V_FILE)
            continue;
        for (size_t k = 0; !rc && k < v[i].file->secrets.n; k++)
            rc = add_secret(rx, &v[i], k, -1);
        if (!rc && v[i].file->facts)
            rc = rs_checks_fs_add(&fs, v[i].path, v[i].file->facts, v[i].file->mode);
    }
    if (!rc)
        rc = rs_checks_fs_finish(&fs, rx->inv);
    rs_checks_fs_clear(&fs);
    return rc;
}

/* View entries by the file they show, a file's own path before its hard
 * links, then in view order. */
static int cmp_by_file(const void *a, const void *b, void *view)
{
    const ventry *v = view;
    const ventry *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
    if (x->file != y->file)
        return (uintptr_t)x->file < (uintptr_t)y->file ? -1 : 1;
    if (x->alias != y->alias)
        return x->alias - y->alias;
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

/* Adds the packages of every file of the view, less the language packages
 * the owned-files and lock-file rules drop (langfilter.h). A file several
 * hard links show is reported once: at its own path, or at its first link
 * in path order when its own path is gone. Returns 0 or RS_ERR_INTERNAL. */
static int add_view_pkgs(rs_inventory *inv, const ventry *v, size_t nv,
                         char *const *layer_digests)
{
    const rs_layer_file **files = malloc((nv ? nv : 1) * sizeof *files);
    size_t *idx = malloc((nv ? nv : 1) * sizeof *idx);
    size_t nf = 0;
    rs_langfilter *lf = NULL;
    int rc = RS_ERR_INTERNAL;
    if (!files || !idx)
        goto out;
    for (size_t i = 0; i < nv; i++)
        if (v[i].kind == V_FILE) {
            idx[nf] = i;
            files[nf++] = v[i].file;
        }
    if (!(lf = rs_langfilter_new(files, nf)))
        goto out;
    qsort_r(idx, nf, sizeof *idx, cmp_by_file, (void *)v);
    rc = 0;
    for (size_t i = 0; i < nf && !rc; i++)
        if (i == 0 || v[idx[i]].file != v[idx[i - 1]].file)
            rc = add_file_pkgs(inv, &v[idx[i]], layer_digests, lf);
out:
    rs_langfilter_free(lf);
    free(files);
    free(idx);
    return rc;
}

/* What layer L could not read becomes the image's errors, whatever upper
 * layers did to the path: the bytes were in the image, unread. */
static int add_layer_errors(rs_inventory *inv, const rs_layer_result *L, const char *digest)
{
    for (size_t i = 0; i < L->n_skipped; i++) {
        const rs_layer_skipped *s = &L->skipped[i];
        rs_inv_error e = {.layer = (char *)digest, .path = s->path, .code = s->reason,
                          .limit = s->limit, .analyzer = s->analyzer, .detail = s->detail};
        if (rs_inventory_add_error(inv, &e))
            return -1;
    }
    return 0;
}

int rs_merge_layers(rs_layer_result *const *layers, char *const *layer_digests, size_t n,
                    rs_inventory **out, char *errstr, size_t errsz)
{
    ventry *v = NULL;
    size_t nv = 0;
    rs_inventory *inv = NULL;
    *out = NULL;

    if (!(inv = rs_inventory_new()))
        goto oom;
    struct retire rx = {inv, layer_digests};
    for (size_t li = 0; li < n; li++) {
        if (layer_digests && rs_inventory_add_layer(inv, layer_digests[li]))
            goto oom;
        if (layers[li] && (apply_layer(&v, &nv, layers[li], li, &rx) ||
                           add_layer_errors(inv, layers[li],
                                            layer_digests ? layer_digests[li] : NULL)))
            goto oom;
    }
    static const char *const os_paths[] = {"/etc/os-release", "/usr/lib/os-release"};
    for (size_t k = 0; k < 2; k++) {
        const rs_layer_file *f = follow(v, nv, os_paths[k], "os-release");
        if (f && f->os.found) {
            inv->os = f->os;
            break;
        }
    }
    if (add_view_pkgs(inv, v, nv, layer_digests) || add_findings(&rx, v, nv))
        goto oom;
    rs_inventory_finish(inv);
    view_free(v, nv);
    *out = inv;
    return 0;
oom:
    view_free(v, nv);
    rs_inventory_free(inv);
    return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory merging layers");
}
