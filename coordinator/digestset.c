/* digestset.c - open addressing over inline RS_DIGEST_SIZE slots (see
 * digestset.h). A slot whose first byte is NUL is empty; the capacity is a
 * power of two and at least twice the count, so a probe always ends. */
#include "digestset_int.h"
#include "base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 256

struct rs_digestset {
    char (*slot)[RS_DIGEST_SIZE];
    size_t cap; /* power of two */
    size_t n;
};

/* FNV-1a over the string: digests are hex, but callers may pass any text. */
static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* The slot holding `d`, or the empty slot where it would go. */
static size_t probe(char (*slot)[RS_DIGEST_SIZE], size_t cap, const char *d, size_t len)
{
    size_t i = (size_t)hash(d, len) & (cap - 1);
    while (slot[i][0] && strcmp(slot[i], d) != 0)
        i = (i + 1) & (cap - 1);
    return i;
}

static int valid(const char *d, size_t *len)
{
    if (!d || !*d)
        return 0;
    *len = strnlen(d, RS_DIGEST_SIZE);
    return *len <= RS_DIGEST_LEN;
}

static int grow(rs_digestset *s)
{
    size_t cap = s->cap * 2;
    char(*slot)[RS_DIGEST_SIZE] = calloc(cap, sizeof *slot);
    if (!slot)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i][0]) {
            size_t len = strlen(s->slot[i]);
            memcpy(slot[probe(slot, cap, s->slot[i], len)], s->slot[i], len + 1);
        }
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    return 0;
}

rs_digestset *rs_digestset_new(void)
{
    rs_digestset *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = INITIAL_SLOTS;
    s->slot = calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        free(s);
        return NULL;
    }
    return s;
}

void rs_digestset_destroy(rs_digestset *s)
{
    if (!s)
        return;
    free(s->slot);
    free(s);
}

int rs_digestset_add(rs_digestset *s, const char *digest, int *added)
{
    size_t len;
    if (added)
        *added = 0;
    if (!valid(digest, &len))
        return RS_ERR_INVALID;
    size_t i = probe(s->slot, s->cap, digest, len);
    if (s->slot[i][0])
        return 0;
    if ((s->n + 1) * 2 > s->cap) {
        if (grow(s))
            return RS_ERR_INTERNAL;
        i = probe(s->slot, s->cap, digest, len);
    }
    memcpy(s->slot[i], digest, len + 1);
    s->n++;
    if (added)
        *added = 1;
    return 0;
}

int rs_digestset_has(const rs_digestset *s, const char *digest)
{
    size_t len;
    if (!valid(digest, &len))
        return 0;
    return s->slot[probe(s->slot, s->cap, digest, len)][0] != '\0';
}

size_t rs_digestset_count(const rs_digestset *s)
{
    return s->n;
}

void rs_digestset_clear(rs_digestset *s)
{
    memset(s->slot, 0, s->cap * sizeof *s->slot);
    s->n = 0;
}
