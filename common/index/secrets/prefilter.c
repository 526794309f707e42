/* secrets/prefilter.c - the portable literal finder: every occurrence of
 * every literal (case-folded where the literal says so), found with a bitmap
 * of the literals' first two bytes (folded to lowercase), then a
 * comparison with the few literals of that pair. Most positions of real text
 * cost one table look-up. Built once, read-only afterwards. */
#include "base.h"
#include "secrets_int.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#define PAIR_MAX_LITS 8

static unsigned char fold[256];
static uint64_t pair_bits[65536 / 64];
/* per folded pair: the literals that start with it */
static struct {
    uint8_t n;
    uint8_t lit[PAIR_MAX_LITS];
} *buckets_ptr, buckets_store[65536];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    for (int c = 0; c < 256; c++)
        fold[c] = (unsigned char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    size_t n;
    const sec_literal *lits = sec_literals(&n);
    for (size_t i = 0; i < n; i++) {
        unsigned pair = (unsigned)fold[(unsigned char)lits[i].text[0]] << 8 |
                        fold[(unsigned char)lits[i].text[1]];
        pair_bits[pair >> 6] |= (uint64_t)1 << (pair & 63);
        /* a full bucket is a build error the unit test catches (all literals found) */
        if (buckets_store[pair].n < PAIR_MAX_LITS)
            buckets_store[pair].lit[buckets_store[pair].n++] = (uint8_t)i;
    }
    buckets_ptr = buckets_store;
}

static int lit_at(const sec_literal *l, const char *p, size_t room)
{
    if (l->len > room)
        return 0;
    return l->nocase ? strncasecmp(p, l->text, l->len) == 0 : memcmp(p, l->text, l->len) == 0;
}

int sec_prefilter_portable(const char *buf, size_t len, size_t from, size_t to, sec_cand **c,
                           size_t *n, size_t *cap)
{
    pthread_once(&once, build);
    size_t nl;
    const sec_literal *lits = sec_literals(&nl);
    const unsigned char *b = (const unsigned char *)buf;
    if (to > len)
        to = len;
    for (size_t i = from; i + 1 < to + 1 && i + 1 < len; i++) {
        unsigned pair = (unsigned)fold[b[i]] << 8 | fold[b[i + 1]];
        if (!(pair_bits[pair >> 6] >> (pair & 63) & 1))
            continue;
        for (unsigned k = 0; k < buckets_ptr[pair].n; k++) {
            const sec_literal *l = &lits[buckets_ptr[pair].lit[k]];
            if (!lit_at(l, buf + i, len - i))
                continue;
            if (RS_GROW(*c, *n + 1, *cap))
                return RS_ERR_INTERNAL;
            (*c)[(*n)++] = (sec_cand){i, buckets_ptr[pair].lit[k]};
        }
    }
    return 0;
}
