/* lang_check.h - checking the packages of a language analyzer in the unit
 * tests (test_npm.c, test_python.c, test_gem.c, test_dotnet.c,
 * test_composer.c): every field of each package, exactly. */
#ifndef LANG_CHECK_H
#define LANG_CHECK_H

#include "index.h"
#include "rs_test.h"
#include "rs_testfile.h"

#include <stdlib.h>

/* One expected package: name, version, purl (type, ecosystem and path are
 * the analyzer's, checked by check_pkgs). */
typedef struct {
    const char *name, *version, *purl;
} lang_want;

/* Checks that a holds exactly the n packages of want, in order, each with
 * type, ecosystem and path. */
static inline void check_pkgs(const rs_analysis *a, const char *type, const char *eco,
                              const char *path, const lang_want *want, size_t n)
{
    RS_CHECK_INT(a->n_pkgs, n);
    for (size_t i = 0; i < n && i < a->n_pkgs; i++) {
        const rs_pkg *p = &a->pkgs[i];
        RS_CHECK_STR(p->name, want[i].name);
        RS_CHECK_STR(p->version, want[i].version);
        RS_CHECK_STR(p->purl, want[i].purl);
        RS_CHECK_STR(p->type, type);
        RS_CHECK_STR(p->ecosystem, eco);
        RS_CHECK_STR(p->path, path);
        RS_CHECK(p->layer == NULL);
    }
}

/* Parses tests/data/<rel> as the file `path` with the whole-file analyzer an. */
static inline void parse_data(const rs_analyzer *an, const char *rel, const char *path,
                              rs_analysis *a)
{
    size_t len;
    char err[256];
    char *data = rs_test_load(rel, 1 << 20, &len);
    RS_CHECK_INT(an->parse(path, data, len, a, err, sizeof err), 0);
    free(data);
}

/* Parses a C string as the file `path`; returns the number of packages and
 * sets *malformed. */
static inline size_t parse_text(const rs_analyzer *an, const char *path, const char *text,
                                size_t *malformed)
{
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(an->parse(path, text, strlen(text), &a, err, sizeof err), 0);
    size_t n = a.n_pkgs;
    *malformed = a.n_malformed;
    rs_analysis_clear(&a);
    return n;
}

#endif
