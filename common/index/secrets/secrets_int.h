/* secrets/secrets_int.h - what the rule matchers (rules.c), the engine
 * (scan.c) and the two prefilters (prefilter.c, prefilter_hs.c) share. */
#ifndef RS_SECRETS_INT_H
#define RS_SECRETS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "scanner_int.h"

/* A keyword or literal prefix that may start a match of rule `rule`. */
typedef struct sec_literal {
    const char *text; /* lowercase when nocase */
    size_t len;
    int nocase;
    int rule;
} sec_literal;

/* The line a literal was found on: bytes [start, end) of `buf`, whose length
 * is `len` (bytes after end belong to the next lines, when complete). */
typedef struct sec_line {
    const char *buf;
    size_t len, start, end;
} sec_line;

#define SEC_REDACTED_MAX 96

/* A verified match: value bytes [vstart, vend) of the buffer, never copied
 * out; `redacted` is what a report may show. pending: a private-key header
 * whose key material starts on the next line, which lies beyond the buffer. */
typedef struct sec_hit {
    int rule;
    size_t vstart, vend;
    size_t line; /* absolute 1-based line, set by the engine */
    int pending;
    char redacted[SEC_REDACTED_MAX];
} sec_hit;

/* Bytes a matcher may read past its literal's start: the stream keeps at
 * least this much of an unfinished line, so a match never straddles a cut. */
#define SEC_MAX_REACH 900
/* Bytes a matcher may read before its literal's start. */
#define SEC_MAX_BEHIND 64

const sec_literal *sec_literals(size_t *n);
/* Verifies rule `lit->rule` at offset `at` of line `ln`: 1 with *h filled, or 0. */
int sec_match(const sec_literal *lit, const sec_line *ln, size_t at, sec_hit *h);
/* Verifies the line following a pending private-key header: 1 when it holds key material. */
int sec_key_material(const char *line, size_t n);

/* A candidate: literal `lit` at offset `pos`. */
typedef struct sec_cand {
    size_t pos;
    uint32_t lit;
} sec_cand;

/* Finds every occurrence of every literal starting in [from, to) of
 * buf[0..len) and appends it to *c (grown with RS_GROW; *n, *cap). Returns
 * 0 or RS_ERR_INTERNAL. The portable one always works. */
int sec_prefilter_portable(const char *buf, size_t len, size_t from, size_t to, sec_cand **c,
                           size_t *n, size_t *cap);
/* Hyperscan's: scratch is the caller's (sec_hs_scratch_new); returns
 * RS_ERR_UNSUPPORTED when the build has no Hyperscan. */
int sec_prefilter_hs(void *scratch, const char *buf, size_t len, size_t from, size_t to,
                     sec_cand **c, size_t *n, size_t *cap);
int sec_hs_available(void);
void *sec_hs_scratch_new(void);
void sec_hs_scratch_free(void *scratch);

#endif
