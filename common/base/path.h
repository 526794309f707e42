/* path.h - the one walker over the components of a '/'-separated path.
 *
 * Used wherever a path from an image is taken apart: normalising tar paths
 * (analyzers/analyzer.c) and resolving symlink targets (merge.c). It only
 * splits; what "." and ".." mean is the caller's business. */
#ifndef RS_PATH_H
#define RS_PATH_H

#include <stddef.h>

/* Returns 1 with *comp and *n set to the next component of the NUL-terminated
 * path at *p (any run of '/' skipped; "." and ".." returned as they are) and
 * *p moved past it; 0 when only slashes, or nothing, remain. */
int rs_path_next(const char **p, const char **comp, size_t *n);

#endif
