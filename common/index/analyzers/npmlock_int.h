/* analyzers/npmlock.h - the npm lock-file analyzer (see npmlock.c). */
#ifndef RS_ANALYZER_NPMLOCK_H
#define RS_ANALYZER_NPMLOCK_H

#include "index.h"

extern const rs_analyzer rs_analyzer_npmlock;

/* 1 when `path` (normalised) is a lock file this analyzer reads: an
 * application's package-lock.json or yarn.lock, outside any node_modules. */
int rs_npmlock_path(const char *path);

#endif
