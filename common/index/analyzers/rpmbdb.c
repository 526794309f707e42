/* analyzers/rpmbdb.c - BerkeleyDB hash database pages, read from memory.
 *
 * The layout is BerkeleyDB's (dbinc/db_page.h), as rpm's read-only backend
 * (lib/backend/bdb_ro) and go-rpmdb read it: page 0 is the hash metadata page
 * (magic 0x061561 at byte 12, in the byte order of the machine that wrote
 * it: both orders are read; version at 16, page size at 20, encryption at 24,
 * page type 8 at 25, last page number at 32). Every other page starts with a
 * 26-byte header: its number at 8, next page at 16, item count at 20, the
 * high free offset at 22 (on an overflow page: the bytes it holds), type at
 * 25. Hash pages (types 2 and 13) hold key/value item pairs at the offsets
 * listed after the header, an item being a type byte and either its data
 * (H_KEYDATA, 1) or an overflow reference (H_OFFPAGE, 3: page number at 4,
 * total length at 8) to a chain of overflow pages (type 7). Pages are walked
 * in file order, as go-rpmdb does, not bucket by bucket: every hash page is
 * visited once. Overflow chains are followed with a visit stamp per page, so
 * a cycle is found at its first repeated page. */
#include "analyzers/rpmbdb_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

#define BDB_HASH_MAGIC 0x061561u
#define BDB_HDR 26
enum { P_HASH_UNSORTED = 2, P_OVERFLOW = 7, P_HASHMETA = 8, P_HASH = 13 };
enum { H_KEYDATA = 1, H_OFFPAGE = 3 };

struct bdb {
    const uint8_t *data;
    size_t len;
    int be; /* written big-endian */
    uint32_t pagesize, npages;
    uint32_t *stamp; /* per page: the chain that visited it last */
    uint32_t chain;
    rs_rpmhdr_blob_fn fn;
    void *ctx;
    size_t *n_malformed;
};

static uint32_t rd32(const struct bdb *b, const uint8_t *p)
{
    if (b->be)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint16_t rd16(const struct bdb *b, const uint8_t *p)
{
    return b->be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static const uint8_t *page(const struct bdb *b, uint32_t n)
{
    return b->data + (size_t)n * b->pagesize;
}

/* Reads the metadata page. Returns 0 or an rs_err. */
static int bdb_meta(struct bdb *b, char *errstr, size_t errsz)
{
    if (b->len < 512)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid berkeleydb file: too short");
    const uint8_t *m = b->data;
    b->be = 0;
    if (rd32(b, m + 12) != BDB_HASH_MAGIC) {
        b->be = 1;
        if (rd32(b, m + 12) != BDB_HASH_MAGIC)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid berkeleydb file: not a hash database");
    }
    uint32_t version = rd32(b, m + 16), ps = rd32(b, m + 20), last = rd32(b, m + 32);
    if (version < 8 || version > 10 || m[24] != 0 || m[25] != P_HASHMETA)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid berkeleydb file: hash version %u, encryption %u, type %u",
                       (unsigned)version, m[24], m[25]);
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid berkeleydb file: page size %u",
                       (unsigned)ps);
    if (last >= RS_RPMBDB_MAX_PAGES)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "berkeleydb file exceeds %u pages", RS_RPMBDB_MAX_PAGES);
    if ((uint64_t)(last + 1) * ps > b->len)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid berkeleydb file: truncated (%u pages of %u bytes announced)",
                       (unsigned)last + 1, (unsigned)ps);
    b->pagesize = ps;
    b->npages = last + 1;
    return 0;
}

/* Copies the overflow chain of `tlen` bytes from page `pg` into out.
 * Returns 0, or -1 when the chain is broken, too short or a cycle. */
static int overflow_read(struct bdb *b, uint32_t pg, uint32_t tlen, uint8_t *out)
{
    uint32_t got = 0;
    b->chain++;
    while (got < tlen) {
        if (pg == 0 || pg >= b->npages || b->stamp[pg] == b->chain)
            return -1; /* out of the file, or visited twice: a cycle */
        b->stamp[pg] = b->chain;
        const uint8_t *p = page(b, pg);
        uint32_t plen = rd16(b, p + 22);
        if (p[25] != P_OVERFLOW || rd32(b, p + 8) != pg || plen == 0 ||
            plen > b->pagesize - BDB_HDR || plen > tlen - got)
            return -1;
        memcpy(out + got, p + BDB_HDR, plen);
        got += plen;
        pg = rd32(b, p + 16);
    }
    return 0;
}

/* Hands the value item at [off, off+n) of page p to fn. Returns 0 or an
 * error of fn / RS_ERR_INTERNAL. */
static int value_item(struct bdb *b, const uint8_t *p, size_t off, size_t n)
{
    if (p[off] == H_KEYDATA)
        return b->fn(b->ctx, p + off + 1, n - 1);
    if (p[off] != H_OFFPAGE || n != 12) {
        (*b->n_malformed)++;
        return 0;
    }
    uint32_t pg = rd32(b, p + off + 4), tlen = rd32(b, p + off + 8);
    if (tlen == 0 || tlen > b->len) {
        (*b->n_malformed)++;
        return 0;
    }
    uint8_t *buf = malloc(tlen);
    if (!buf)
        return RS_ERR_INTERNAL;
    int rc = 0;
    if (overflow_read(b, pg, tlen, buf) == 0)
        rc = b->fn(b->ctx, buf, tlen);
    else
        (*b->n_malformed)++;
    free(buf);
    return rc;
}

/* The key of the pair at [koff, koff+kn): 1 when it is rpm's key 0. */
static int key_is_zero(const struct bdb *b, const uint8_t *p, size_t koff, size_t kn)
{
    return p[koff] == H_KEYDATA && kn == 5 && rd32(b, p + koff + 1) == 0;
}

/* Every pair of hash page `pg`. Returns 0 or an error that ends the walk. */
static int hash_page(struct bdb *b, uint32_t pg)
{
    const uint8_t *p = page(b, pg);
    uint32_t ps = b->pagesize, n = rd16(b, p + 20);
    size_t min = BDB_HDR + (size_t)n * 2;
    if (rd32(b, p + 8) != pg || min > ps || n % 2) {
        (*b->n_malformed)++;
        return 0;
    }
    for (uint32_t i = 0; i + 1 < n; i += 2) {
        size_t koff = rd16(b, p + BDB_HDR + i * 2), voff = rd16(b, p + BDB_HDR + i * 2 + 2);
        /* items are packed from the page's end: a key ends where the
         * previous pair's value starts (or at the page's end) */
        size_t kend = i == 0 ? ps : rd16(b, p + BDB_HDR + i * 2 - 2);
        if (koff < min || voff < min || kend > ps || koff >= kend || voff >= koff) {
            (*b->n_malformed)++;
            continue;
        }
        if (key_is_zero(b, p, koff, kend - koff))
            continue;
        int rc = value_item(b, p, voff, koff - voff);
        if (rc)
            return rc;
    }
    return 0;
}

int rs_rpmbdb_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                   size_t *n_malformed, char *errstr, size_t errsz)
{
    struct bdb b = {.data = data, .len = len, .fn = fn, .ctx = ctx, .n_malformed = n_malformed};
    int rc = bdb_meta(&b, errstr, errsz);
    if (rc)
        return rc;
    if (!(b.stamp = calloc(b.npages, sizeof *b.stamp)))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (uint32_t pg = 1; pg < b.npages && !rc; pg++) {
        uint8_t type = page(&b, pg)[25];
        if (type == P_HASH || type == P_HASH_UNSORTED)
            rc = hash_page(&b, pg);
    }
    free(b.stamp);
    if (rc == RS_ERR_INTERNAL)
        return rs_errf(errstr, errsz, rc, "out of memory reading a berkeleydb file");
    return rc;
}
