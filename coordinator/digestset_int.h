/* digestset.h - a set of digest strings ("sha256:<hex>", at most
 * RS_DIGEST_LEN bytes) with constant-time membership: open addressing with
 * linear probing over inline slots, grown to keep the load under one half.
 *
 * Not thread-safe; no removal (a pass only adds, then clears). */
#ifndef RS_DIGESTSET_H
#define RS_DIGESTSET_H

#include <stddef.h>

#include "base.h"

typedef struct rs_digestset rs_digestset;

/* An empty set, NULL when out of memory. Free with rs_digestset_destroy. */
rs_digestset *rs_digestset_new(void);
void rs_digestset_destroy(rs_digestset *s);

/* Adds `digest`; *added (may be NULL) = 1 when it was not there. Returns 0,
 * RS_ERR_INVALID for NULL, "" or a string longer than RS_DIGEST_LEN, or
 * RS_ERR_INTERNAL when out of memory (the set is unchanged then). */
int rs_digestset_add(rs_digestset *s, const char *digest, int *added);

/* 1 when `digest` is in the set, else 0 (also for NULL and invalid strings). */
int rs_digestset_has(const rs_digestset *s, const char *digest);

/* How many digests the set holds. */
size_t rs_digestset_count(const rs_digestset *s);

/* Empties the set, keeping its memory for reuse. */
void rs_digestset_clear(rs_digestset *s);

#endif
