/* langfilter.h - which language packages the merged image reports.
 *
 * Two rules, applied to the files left after the merge (whiteouts and
 * replacements applied, so an owned list that a later layer removed or
 * replaced no longer counts):
 *  - owned: a package whose type has no OS ecosystem backend (npm, python,
 *    gem, dotnet, composer, and any other language type) read from a file an
 *    OS package owns, or from a *.dist-info / *.egg-info directory one owns,
 *    is the distribution's: it is already reported as the OS package and is
 *    dropped. Owned paths come from any analyzer (dpkg-files, apk, rpm); the
 *    filter does not care which.
 *  - lock files: the packages of an npm lock file in directory D are dropped
 *    when any npm package was read from a package.json under D/node_modules/
 *    (the installed tree wins: it is what runs). */
#ifndef RS_LANGFILTER_H
#define RS_LANGFILTER_H

#include <stddef.h>

#include "model.h"
#include "index.h"

typedef struct rs_langfilter rs_langfilter;

/* Builds the filter from the n files of the merged view (borrowed: they must
 * outlive the filter). O(P log P) for P owned paths. NULL when out of memory. */
rs_langfilter *rs_langfilter_new(const rs_layer_file *const *files, size_t n);
/* 1 when package `p` read from file `f` is to be dropped, else 0. */
int rs_langfilter_drops(const rs_langfilter *lf, const rs_layer_file *f, const rs_pkg *p);
void rs_langfilter_free(rs_langfilter *lf);

#endif
