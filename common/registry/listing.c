/* listing.c - the guard of a paged registry listing (catalog, tags/list): a page cap,
 * a Link that returns to a page already fetched, a page that repeats the previous one.
 * Page URLs are kept as 64-bit FNV-1a hashes in an open-addressing set: O(1) per page,
 * 16 bytes per page at most. A hash collision can only end a listing early, with an error
 * that says so; it never lets a loop through. */
#include "registry_int.h"
#include "base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        h ^= c[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t rs_listing_hash_name(uint64_t h, const char *name)
{
    /* the NUL separates names: ["ab","c"] and ["a","bc"] differ */
    return fnv(h, name, strlen(name) + 1);
}

void rs_listing_guard_init(rs_listing_guard *g, size_t max_pages)
{
    memset(g, 0, sizeof *g);
    g->max_pages = max_pages;
}

void rs_listing_guard_free(rs_listing_guard *g)
{
    free(g->slots);
    g->slots = NULL;
    g->n_slots = g->n_used = 0;
}

/* Inserts h (non-zero); 1 when it was there already. */
static int set_insert(uint64_t *slots, size_t n_slots, uint64_t h)
{
    size_t i = (size_t)(h & (n_slots - 1));
    while (slots[i]) {
        if (slots[i] == h)
            return 1;
        i = (i + 1) & (n_slots - 1);
    }
    slots[i] = h;
    return 0;
}

/* Keeps the set at most half full. */
static int set_grow(rs_listing_guard *g)
{
    if (g->n_slots && (g->n_used + 1) * 2 <= g->n_slots)
        return 0;
    size_t n = g->n_slots ? g->n_slots * 2 : 64;
    uint64_t *s = calloc(n, sizeof *s);
    if (!s)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < g->n_slots; i++)
        if (g->slots[i])
            set_insert(s, n, g->slots[i]);
    free(g->slots);
    g->slots = s;
    g->n_slots = n;
    return 0;
}

int rs_listing_guard_page(rs_listing_guard *g, const char *url, char *why, size_t why_size)
{
    if (g->pages >= g->max_pages)
        return rs_errf(why, why_size, RS_ERR_LIMIT_EXCEEDED, "too many pages (limit %zu)",
                       g->max_pages);
    if (set_grow(g))
        return rs_errf(why, why_size, RS_ERR_INTERNAL, "out of memory");
    uint64_t h = fnv(RS_LISTING_HASH_INIT, url, strlen(url));
    if (!h)
        h = 1;
    if (set_insert(g->slots, g->n_slots, h))
        return rs_errf(why, why_size, RS_ERR_INVALID,
                       "Link header returns to an earlier page (after %zu pages)", g->pages);
    g->n_used++;
    g->pages++;
    return 0;
}

int rs_listing_guard_names(rs_listing_guard *g, uint64_t names, size_t count, char *why,
                           size_t why_size)
{
    int repeat = count > 0 && count == g->prev_count && names == g->prev_names;
    g->prev_names = names;
    g->prev_count = count;
    if (repeat)
        return rs_errf(why, why_size, RS_ERR_INVALID,
                       "page %zu repeats the names of the previous page", g->pages);
    return 0;
}
