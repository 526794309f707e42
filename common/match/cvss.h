/* cvss.h - CVSS vectors: parse, validate and compute base scores.
 *
 * v3.0 and v3.1 ("CVSS:3.x/...") get the base score of the FIRST v3.1
 * specification (§7.1 formulas, Appendix A Roundup); v2 vectors (no prefix,
 * "AV:N/AC:L/Au:N/C:P/I:P/A:P") get the v2 base score and the NVD v2 severity;
 * v4 vectors ("CVSS:4.0/...") are checked for prefix and shape and kept as
 * they are, without a score. Temporal and environmental metrics are validated
 * but do not enter the score. Nothing else is computed here. */
#ifndef RS_CVSS_H
#define RS_CVSS_H

#include <stddef.h>

/* The longest vector accepted, in bytes (without the terminator). */
#define RS_CVSS_VECTOR_MAX 255

typedef struct rs_cvss {
    int major, minor;  /* 2.0, 3.0, 3.1 or 4.0, from the vector itself */
    double base_score; /* 0.0 .. 10.0, one decimal; 0 when has_score is 0 */
    char severity[16]; /* "none", "low", "medium", "high", "critical"; "" for v4 */
    char vector[256];  /* the vector as given */
    int has_score;     /* 1 for v2 and v3.x, 0 for v4 */
} rs_cvss;

/* Parses `vector` (untrusted; at most RS_CVSS_VECTOR_MAX bytes) into `out`.
 * Returns 0, or RS_ERR_INVALID with a message naming the bad metric; `out` is
 * zeroed first and complete only on success. */
int rs_cvss_parse(const char *vector, rs_cvss *out, char *errstr, size_t errstr_size);

/* The v3.1 Roundup of Appendix A: the smallest one-decimal number >= x after
 * rounding x to 5 decimals (so 4.000000000000001 gives 4.0, 4.02 gives 4.1).
 * x must be in [0, 1000]. */
double rs_cvss_roundup(double x);

#endif
