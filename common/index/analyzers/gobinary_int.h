/* analyzers/gobinary.h - the Go binary analyzer (see gobinary.c). */
#ifndef RS_ANALYZER_GOBINARY_H
#define RS_ANALYZER_GOBINARY_H

#include "index.h"

extern const rs_analyzer rs_analyzer_gobinary;

/* The OSV form of a Go toolchain version ("go1.21.3" -> "v1.21.3", "go1.21" ->
 * "v1.21.0", "go1.21rc2" -> "v1.21.0-rc.2"; what follows a space, such as
 * " X:boringcrypto", is dropped) written into out. Returns 0, or
 * RS_ERR_INVALID for anything else ("devel ...": no release to match). */
int rs_gobinary_stdlib_version(const char *vers, size_t n, char *out, size_t out_size);

#endif
