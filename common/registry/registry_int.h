/* registry_int.h - what registry.c lends the other files of common/registry
 * that speak to the same registry (acrtags.c): one authenticated request,
 * status errors worded as registry.c words them, and Link resolution.
 * Not a public header. */
#ifndef RS_REGISTRY_INT_H
#define RS_REGISTRY_INT_H

#include "registry.h"

#include <stdint.h>

/* One authenticated request (a 401 answered once); 0 with resp filled (any
 * status), or an error worded "cannot <action> '<subject>' from '<host>'". */
int rs_registry_int_call(rs_registry *r, const char *url, const char *scope,
                         const char *const *hdrs, size_t max_body, rs_http_response *resp,
                         const char *action, const char *subject, char *errstr, size_t errsz);
/* "cannot <action> '<subject>' from '<host>': <why>" with code rc. */
int rs_registry_int_fail(rs_registry *r, int rc, const char *action, const char *subject,
                         const char *why, char *errstr, size_t errsz);
/* "cannot <action> '<subject>' from '<host>': <status> <text>", the code
 * mapped from the status as for listings. */
int rs_registry_int_status(rs_registry *r, long status, const char *action, const char *subject,
                           char *errstr, size_t errsz);
/* The registry's base URL ("https://host[:port]"). */
const char *rs_registry_int_base(const rs_registry *r);
/* Resolves a Link target against the registry into out; RS_ERR_INVALID when
 * it leaves the registry's origin. */
int rs_registry_int_next(rs_registry *r, const char *next, rs_buf *out);

/* A paged listing's guard (listing.c): at most `max_pages` pages, no page URL twice, no
 * page whose names repeat the previous page's. Linear time, O(pages) memory (one 64-bit
 * hash per page URL). Zero-initialise, then rs_listing_guard_init. */
typedef struct rs_listing_guard {
    uint64_t *slots; /* open addressing; 0 marks a free slot */
    size_t n_slots, n_used, pages, max_pages;
    uint64_t prev_names; /* hash of the previous page's names */
    size_t prev_count;
} rs_listing_guard;

void rs_listing_guard_init(rs_listing_guard *g, size_t max_pages);
void rs_listing_guard_free(rs_listing_guard *g);
/* Before fetching `url`: 0, RS_ERR_LIMIT_EXCEEDED (why = "too many pages (limit N)"),
 * RS_ERR_INVALID ("Link header returns to an earlier page") or RS_ERR_INTERNAL. `why`
 * gets the reason. */
int rs_listing_guard_page(rs_listing_guard *g, const char *url, char *why, size_t why_size);
/* Adds one name to a page's running hash (start from RS_LISTING_HASH_INIT). */
#define RS_LISTING_HASH_INIT 0xcbf29ce484222325ULL
uint64_t rs_listing_hash_name(uint64_t h, const char *name);
/* After a page of `count` names hashing to `names`: 0, or RS_ERR_INVALID when a non-empty
 * page has exactly the names of the page before it ("page repeats the previous page"). */
int rs_listing_guard_names(rs_listing_guard *g, uint64_t names, size_t count, char *why,
                           size_t why_size);

#endif
