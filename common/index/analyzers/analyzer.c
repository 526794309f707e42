/* analyzers/analyzer.c - the analyzer registry, path normalisation and the
 * growable result list shared by every analyzer. */
#include "index.h"
#include "analyzers/apk_int.h"
#include "analyzers/composer_int.h"
#include "analyzers/dotnet_int.h"
#include "analyzers/dpkg_int.h"
#include "analyzers/dpkgfiles_int.h"
#include "analyzers/files_int.h"
#include "analyzers/gem_int.h"
#include "analyzers/npm_int.h"
#include "analyzers/npmlock_int.h"
#include "analyzers/osrelease_int.h"
#include "analyzers/python_int.h"
#include "analyzers/rpmdb_int.h"
#include "analyzers/rpmmanifest_int.h"
#include "analyzers/gobinary_int.h"
#include "analyzers/jar_int.h"
#include "analyzers/rustaudit_int.h"
#include "analyzers/secrets_int.h"
#include "base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const rs_analyzer *const registry[] = {
    &rs_analyzer_dpkg,
    &rs_analyzer_apk,
    &rs_analyzer_osrelease,
    &rs_analyzer_rpmdb,
    &rs_analyzer_rpmmanifest,
    /* language packages, and the OS files that hide them (i8-lang) */
    &rs_analyzer_dpkgfiles,
    &rs_analyzer_npm,
    &rs_analyzer_npmlock,
    &rs_analyzer_python,
    &rs_analyzer_gem,
    &rs_analyzer_dotnet,
    &rs_analyzer_composer,
    &rs_analyzer_jar,
    &rs_analyzer_gobinary,
    &rs_analyzer_rustaudit,
    &rs_analyzer_secrets,
    &rs_analyzer_files,
    NULL,
};

const rs_analyzer *const *rs_analyzers_all(void)
{
    return registry;
}

/* The index stage's own part of the version: bumped when the layer walker,
 * the merge or the scan changes what an image yields, whatever the analyzers
 * (3: the inventory keeps the manifest's base image annotations). */
#define INDEX_VERSION "regscan-index/3"
#define VERSION_LIST_MAX 1024

static char version_list[VERSION_LIST_MAX];
static char version[sizeof INDEX_VERSION + 16];
static pthread_once_t version_once = PTHREAD_ONCE_INIT;

static void version_init(void)
{
    size_t o = 0;
    for (size_t i = 0; registry[i]; i++) {
        int n = snprintf(version_list + o, sizeof version_list - o, "%s%s", i ? "," : "",
                         registry[i]->version);
        /* a registry whose list does not fit is a build error, caught by test_analyzer */
        if (n < 0 || (size_t)n >= sizeof version_list - o)
            break;
        o += (size_t)n;
    }
    char digest[RS_DIGEST_SIZE];
    rs_sha256_digest(version_list, o, digest);
    /* digest is "sha256:<hex>" */
    snprintf(version, sizeof version, "%s-%.12s", INDEX_VERSION, digest + 7);
}

const char *rs_analyzers_version(void)
{
    pthread_once(&version_once, version_init);
    return version;
}

const char *rs_analyzers_list(void)
{
    pthread_once(&version_once, version_init);
    return version_list;
}

const rs_analyzer *rs_analyzer_find(const char *name)
{
    for (size_t i = 0; registry[i]; i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

int rs_analyzer_path_normalize(const char *in, char *out, size_t out_size)
{
    size_t o = 0;
    const char *p = in;
    if (!out_size)
        return RS_ERR_INVALID;
    const char *c;
    size_t n;
    while (rs_path_next(&p, &c, &n)) {
        if (n == 1 && c[0] == '.')
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.')
            return RS_ERR_INVALID;
        if (o + 1 + n + 1 > out_size)
            return RS_ERR_INVALID;
        out[o++] = '/';
        memcpy(out + o, c, n);
        o += n;
    }
    if (o == 0) {
        /* the root itself ("./" or "/") */
        if (out_size < 2)
            return RS_ERR_INVALID;
        out[o++] = '/';
    }
    out[o] = '\0';
    return 0;
}

int rs_analysis_add_pkg(rs_analysis *a, const rs_pkg *p)
{
    if (a->max_pkgs && a->n_pkgs >= a->max_pkgs) {
        a->over_limit |= 1; /* the walker ends the layer at this file */
        return 0;
    }
    if (RS_GROW(a->pkgs, a->n_pkgs + 1, a->cap_pkgs))
        return RS_ERR_INTERNAL;
    rs_pkg *d = &a->pkgs[a->n_pkgs];
    if (rs_pkg_copy(d, p))
        return RS_ERR_INTERNAL;
    /* the path comes from a tar header: bytes, like the file's content */
    if (d->path && !rs_utf8_valid(d->path, strlen(d->path))) {
        char *clean = rs_utf8_dup(d->path, strlen(d->path), &d->text_replaced);
        if (!clean) {
            rs_pkg_clear(d);
            return RS_ERR_INTERNAL;
        }
        free(d->path);
        d->path = clean;
    }
    a->n_pkgs++;
    return 0;
}

int rs_analysis_add_owned(rs_analysis *a, const char *path, size_t len)
{
    if (a->max_owned && a->n_owned >= a->max_owned) {
        a->over_limit |= 2;
        return 0;
    }
    if (RS_GROW(a->owned, a->n_owned + 1, a->cap_owned))
        return RS_ERR_INTERNAL;
    char *d = malloc(len + 1);
    if (!d)
        return RS_ERR_INTERNAL;
    memcpy(d, path, len);
    d[len] = '\0';
    a->owned[a->n_owned++] = d;
    return 0;
}

int rs_analysis_add_skip(rs_analysis *a, const char *path, int err)
{
    if (RS_GROW(a->skips, a->n_skips + 1, a->cap_skips))
        return RS_ERR_INTERNAL;
    int replaced = 0;
    char *d = rs_utf8_dup(path, strlen(path), &replaced);
    if (!d)
        return RS_ERR_INTERNAL;
    a->skips[a->n_skips].path = d;
    a->skips[a->n_skips].err = err;
    a->n_skips++;
    return 0;
}

char *rs_analysis_pkg_path(const char *pkg_path, const char *from, const char *to)
{
    size_t fl = strlen(from);
    const char *inner = "";
    if (pkg_path && !strncmp(pkg_path, from, fl) && !strncmp(pkg_path + fl, "!/", 2))
        inner = pkg_path + fl;
    size_t tl = strlen(to), il = strlen(inner);
    char *d = malloc(tl + il + 1);
    if (!d)
        return NULL;
    memcpy(d, to, tl);
    memcpy(d + tl, inner, il + 1);
    return d;
}

void rs_analysis_clear(rs_analysis *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n_skips; i++)
        free(a->skips[i].path);
    free(a->skips);
    for (size_t i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    rs_pkgs_free(a->pkgs, a->n_pkgs);
    rs_secrets_clear(&a->secrets);
    memset(a, 0, sizeof *a);
}
