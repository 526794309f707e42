/* analyzers/npmlock.c - npm packages an application's lock file names:
 * package-lock.json (lockfileVersion 1: the nested "dependencies"; 2 and 3:
 * "packages" keyed by install path) and yarn.lock (v1 classic and berry),
 * outside node_modules. A secondary source: the packages are reported with
 * type "npm" and path = the lock file.
 *
 * Duplicates: a lock file lists what `npm install` puts into the
 * node_modules beside it, so where that tree was read the lock adds nothing.
 * The rule (rs_langfilter, applied after the merge): packages of a lock file
 * in directory D are dropped when any npm package was read from a
 * package.json under D/node_modules/. Within one lock file each name@version
 * is reported once. Entries that are no registry package (links, workspaces,
 * file:, git and URL versions, aliases) are skipped, not counted. */
#include "analyzers/npmlock_int.h"
#include "analyzers/langpkg_int.h"
#include "analyzers/lines_int.h"
#include "analyzers/npm_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

#define LOCK_MAX_DEPTH 64 /* lockfileVersion 1 nests a dependency per level */
#define LOCK_NAME_MAX 214

/* name@version pairs collected from one lock file, then sorted and made unique. */
typedef struct {
    char **v; /* "name\0version" */
    size_t n, cap;
} pairs;

static int pairs_add(pairs *p, const char *name, size_t nn, const char *ver, size_t vn)
{
    if (RS_GROW(p->v, p->n + 1, p->cap))
        return RS_ERR_INTERNAL;
    char *s = malloc(nn + vn + 2);
    if (!s)
        return RS_ERR_INTERNAL;
    memcpy(s, name, nn);
    s[nn] = '\0';
    memcpy(s + nn + 1, ver, vn);
    s[nn + 1 + vn] = '\0';
    p->v[p->n++] = s;
    return 0;
}

static int pair_cmp(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int c = strcmp(x, y);
    return c ? c : strcmp(x + strlen(x) + 1, y + strlen(y) + 1);
}

/* Checks and adds one candidate; a malformed one is counted. */
static int candidate(pairs *p, const char *name, size_t nn, const char *ver, size_t vn,
                     rs_analysis *out)
{
    char nb[LOCK_NAME_MAX + 1], vb[RS_LANGPKG_VERSION_MAX + 1];
    if (!nn || nn > LOCK_NAME_MAX || !vn || vn > RS_LANGPKG_VERSION_MAX) {
        out->n_malformed++;
        return 0;
    }
    memcpy(nb, name, nn);
    nb[nn] = '\0';
    memcpy(vb, ver, vn);
    vb[vn] = '\0';
    if (!(vb[0] >= '0' && vb[0] <= '9'))
        return 0; /* no registry version: a link, a tarball, a git commit */
    if (strlen(nb) != nn || strlen(vb) != vn || !rs_npm_valid_name(nb) ||
        !rs_npm_valid_version(vb)) {
        out->n_malformed++;
        return 0;
    }
    return pairs_add(p, name, nn, ver, vn);
}

/* Sorts the pairs, adds each distinct one (none when out is NULL), frees them. */
static int pairs_flush(pairs *p, const char *path, rs_analysis *out)
{
    int rc = 0;
    if (p->n > 1)
        qsort(p->v, p->n, sizeof *p->v, pair_cmp);
    for (size_t i = 0; i < p->n; i++) {
        if (!rc && out && (i == 0 || pair_cmp(&p->v[i - 1], &p->v[i]) != 0))
            rc = rs_npm_add(out, path, p->v[i], p->v[i] + strlen(p->v[i]) + 1);
    }
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    memset(p, 0, sizeof *p);
    return rc;
}

/* lockfileVersion 1: {"dependencies": {name: {"version", "dependencies"}}} */
static int lock_v1(const json_t *deps, int depth, pairs *p, rs_analysis *out)
{
    if (!json_is_object(deps))
        return 0;
    if (depth > LOCK_MAX_DEPTH) {
        out->n_malformed++;
        return 0;
    }
    const char *name;
    json_t *e;
    json_object_foreach((json_t *)deps, name, e)
    {
        json_t *v = json_object_get(e, "version");
        if (!json_is_object(e) || !json_is_string(v)) {
            out->n_malformed++;
            continue;
        }
        int rc = candidate(p, name, strlen(name), json_string_value(v), json_string_length(v), out);
        if (rc)
            return rc;
        rc = lock_v1(json_object_get(e, "dependencies"), depth + 1, p, out);
        if (rc)
            return rc;
    }
    return 0;
}

/* lockfileVersion 2 and 3: {"packages": {"node_modules/a/node_modules/b": {...}}} */
static int lock_v2(const json_t *pkgs, pairs *p, rs_analysis *out)
{
    const char *key;
    json_t *e;
    json_object_foreach((json_t *)pkgs, key, e)
    {
        const char *at = NULL;
        for (const char *q = key; (q = strstr(q, "node_modules/")); q++)
            at = q + strlen("node_modules/");
        if (!at)
            continue; /* the root project ("") or a workspace */
        if (!json_is_object(e)) {
            out->n_malformed++;
            continue;
        }
        if (json_is_true(json_object_get(e, "link")))
            continue; /* a symlink to a workspace: no package of its own here */
        json_t *v = json_object_get(e, "version"), *n = json_object_get(e, "name");
        if (!json_is_string(v)) {
            out->n_malformed++;
            continue;
        }
        /* "name" is written when it differs from the folder (an alias) */
        const char *name = json_is_string(n) ? json_string_value(n) : at;
        int rc = candidate(p, name, strlen(name), json_string_value(v), json_string_length(v), out);
        if (rc)
            return rc;
    }
    return 0;
}

static int parse_package_lock(const char *data, size_t len, pairs *p, rs_analysis *out)
{
    json_t *j = rs_langpkg_json_load(data, len);
    if (!json_is_object(j)) {
        out->n_malformed++;
        json_decref(j);
        return 0;
    }
    json_t *pkgs = json_object_get(j, "packages"), *ver = json_object_get(j, "lockfileVersion");
    int rc;
    if (json_is_object(pkgs) && !(json_is_integer(ver) && json_integer_value(ver) == 1))
        rc = lock_v2(pkgs, p, out);
    else
        rc = lock_v1(json_object_get(j, "dependencies"), 0, p, out);
    json_decref(j);
    return rc;
}

/* The name of a yarn.lock entry from its header line (without the final
 * ':'): the first of its specs, "name@range" or "name@npm:range", quotes
 * removed. Returns 0 with the name slice set, or -1 when the entry is no
 * registry package (workspace, link, portal, file) or no package at all
 * (berry's __metadata). */
static int yarn_header(const char *s, size_t n, const char **name, size_t *nn)
{
    const char *comma = memchr(s, ',', n);
    size_t k = comma ? (size_t)(comma - s) : n;
    while (k && (s[k - 1] == ' ' || s[k - 1] == '"'))
        k--;
    while (k && (*s == '"' || *s == ' '))
        s++, k--;
    /* the '@' that ends the name: a scope's own '@' is the first byte */
    const char *at = k > 1 ? memchr(s + 1, '@', k - 1) : NULL;
    if (!at)
        return -1;
    const char *range = at + 1;
    size_t rn = (size_t)(s + k - range);
    static const char *const local[] = {"workspace:", "link:", "portal:", "file:"};
    for (size_t i = 0; i < sizeof local / sizeof *local; i++)
        if (rn >= strlen(local[i]) && memcmp(range, local[i], strlen(local[i])) == 0)
            return -1;
    *name = s;
    *nn = (size_t)(at - s);
    return 0;
}

/* The version of a line "  version "1.2.3"" (v1) or "  version: 1.2.3"
 * (berry); 0 with the slice set, -1 for any other line. */
static int yarn_version(const char *s, size_t n, const char **v, size_t *vn)
{
    static const char key[] = "  version";
    size_t k = sizeof key - 1;
    if (n <= k || memcmp(s, key, k) != 0 || (s[k] != ' ' && s[k] != ':'))
        return -1;
    s += k, n -= k;
    while (n && (*s == ':' || *s == ' ' || *s == '"'))
        s++, n--;
    while (n && (s[n - 1] == '"' || s[n - 1] == ' '))
        n--;
    *v = s;
    *vn = n;
    return 0;
}

static int parse_yarn_lock(const char *data, size_t len, pairs *p, rs_analysis *out)
{
    size_t off = 0, n, nn = 0, vn = 0;
    const char *line, *name = NULL, *ver = NULL;
    int more;
    do {
        more = rs_lines_next(data, len, &off, &line, &n);
        int header = more && n && line[0] != ' ' && line[0] != '#';
        if (!more || header) {
            /* the previous entry ends */
            int rc = name && ver ? candidate(p, name, nn, ver, vn, out) : 0;
            if (name && !ver)
                out->n_malformed++;
            if (rc)
                return rc;
            name = ver = NULL;
        }
        if (header) {
            if (line[n - 1] != ':' || yarn_header(line, n - 1, &name, &nn) != 0)
                name = NULL;
        } else if (more && name && !ver) {
            yarn_version(line, n, &ver, &vn);
        }
    } while (more);
    return 0;
}

int rs_npmlock_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (strcmp(base, "package-lock.json") != 0 && strcmp(base, "yarn.lock") != 0)
        return 0;
    /* node_modules/.package-lock.json is hidden; a lock inside node_modules
     * is a dependency's own, describing nothing installed */
    return strstr(path, "/node_modules/") == NULL;
}

static int npmlock_wants(const char *path)
{
    return rs_npmlock_path(path);
}

static int npmlock_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                         char *errstr, size_t errsz)
{
    pairs p = {0};
    const char *base = strrchr(path, '/');
    int yarn = base && strcmp(base + 1, "yarn.lock") == 0;
    int rc = yarn ? parse_yarn_lock(data, len, &p, out) : parse_package_lock(data, len, &p, out);
    if (!rc)
        rc = pairs_flush(&p, path, out);
    else
        pairs_flush(&p, path, NULL);
    return rc ? rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'", path) : 0;
}

const rs_analyzer rs_analyzer_npmlock = {
    RS_ANALYZER_ID("npm-lock", 1),
    .wants = npmlock_wants,
    /* large monorepos have lock files of tens of MB */
    .max_file_size = 64u * 1024 * 1024,
    .parse = npmlock_parse,
};
