/* analyzer_check.h - parsing a text with one analyzer, for the unit tests of
 * the package database analyzers (test_apk.c, test_dpkg.c). */
#ifndef ANALYZER_CHECK_H
#define ANALYZER_CHECK_H

#include "index.h"
#include "rs_test.h"

/* Parses text as the file at path with analyzer an, checking that the parse
 * succeeds (one check); returns the number of packages and sets *malformed to
 * the number of malformed records. */
static inline size_t count_pkgs(const rs_analyzer *an, const char *path, const char *text,
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
