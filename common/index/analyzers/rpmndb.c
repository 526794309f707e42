/* analyzers/rpmndb.c - the ndb Packages.db format of rpm's
 * lib/backend/ndb/rpmpkg.c, read from memory. All integers little-endian.
 *
 *  - a 32-byte header: magic "RpmP", version 0, generation, the number of
 *    4096-byte slot pages, the next package index;
 *  - the slot pages, from offset 0 (the header takes the first two slots):
 *    16-byte slots {magic "Slot", package index, block offset, block count},
 *    a slot with block offset 0 being free;
 *  - blobs at block offset * 16: a 16-byte head {magic "BlbS", package index,
 *    generation, blob length}, the header blob, zero padding and a 12-byte
 *    tail {Adler-32 of head, blob and padding, blob length, magic "BlbE"},
 *    the whole being exactly `block count` blocks of 16 bytes.
 * rpm checks all of this when it reads a blob (rpmpkgReadBlob); so does this
 * reader, slot by slot: a bad blob is skipped, the rest still read. */
#include "analyzers/rpmndb_int.h"
#include "base.h"

#include <string.h>

#define NDB_MAGIC 0x506d7052u      /* 'R' 'p' 'm' 'P' */
#define NDB_SLOT_MAGIC 0x746f6c53u /* 'S' 'l' 'o' 't' */
#define NDB_BLOB_HEAD 0x53626c42u  /* 'B' 'l' 'b' 'S' */
#define NDB_BLOB_TAIL 0x45626c42u  /* 'B' 'l' 'b' 'E' */
#define NDB_PAGE 4096u
#define NDB_SLOT 16u
#define NDB_BLK 16u
#define NDB_HEAD 16u
#define NDB_TAIL 12u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* RFC 1950's Adler-32, as rpmpkg.c computes it. */
static uint32_t adler32(uint32_t adler, const uint8_t *p, size_t n)
{
    uint32_t s1 = adler & 0xffff, s2 = adler >> 16;
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) {
            s1 += *p++;
            s2 += s1;
        }
        s1 %= 65521;
        s2 %= 65521;
    }
    return s2 << 16 | s1;
}

/* The blob of slot {pkgidx, blkoff, blkcnt} when it checks out, else NULL. */
static const uint8_t *ndb_blob(const uint8_t *data, size_t len, uint32_t pkgidx, uint32_t blkoff,
                               uint32_t blkcnt, uint32_t *bloblen)
{
    uint64_t off = (uint64_t)blkoff * NDB_BLK, size = (uint64_t)blkcnt * NDB_BLK;
    if (size < NDB_HEAD + NDB_TAIL || off > len || size > len - off)
        return NULL;
    const uint8_t *h = data + off;
    uint32_t n = le32(h + 12);
    if (le32(h) != NDB_BLOB_HEAD || le32(h + 4) != pkgidx ||
        (uint64_t)blkcnt != ((uint64_t)NDB_HEAD + n + NDB_TAIL + NDB_BLK - 1) / NDB_BLK)
        return NULL;
    const uint8_t *t = h + size - NDB_TAIL;
    if (le32(t + 4) != n || le32(t + 8) != NDB_BLOB_TAIL ||
        le32(t) != adler32(1, h, (size_t)size - NDB_TAIL))
        return NULL;
    *bloblen = n;
    return h + NDB_HEAD;
}

int rs_rpmndb_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                   size_t *n_malformed, char *errstr, size_t errsz)
{
    if (len < 32 || le32(data) != NDB_MAGIC || le32(data + 4) != 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid ndb file: bad magic or version");
    uint32_t npages = le32(data + 12);
    if (npages > RS_RPMNDB_MAX_SLOT_PAGES)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "ndb file announces %u slot pages (at most %u)", (unsigned)npages,
                       RS_RPMNDB_MAX_SLOT_PAGES);
    if (npages == 0 || (uint64_t)npages * NDB_PAGE > len)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid ndb file: %u slot pages announced",
                       (unsigned)npages);
    size_t end = (size_t)npages * NDB_PAGE;
    /* blobs live after the slot pages */
    uint32_t minblk = npages * (NDB_PAGE / NDB_BLK);
    for (size_t o = 2 * NDB_SLOT; o < end; o += NDB_SLOT) {
        const uint8_t *s = data + o;
        if (le32(s) != NDB_SLOT_MAGIC)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid ndb file: bad slot at %zu", o);
        uint32_t pkgidx = le32(s + 4), blkoff = le32(s + 8), blkcnt = le32(s + 12), n = 0;
        if (blkoff == 0)
            continue; /* a free slot */
        const uint8_t *blob = NULL;
        if (pkgidx && blkoff >= minblk)
            blob = ndb_blob(data, len, pkgidx, blkoff, blkcnt, &n);
        if (!blob) {
            (*n_malformed)++;
            continue;
        }
        int rc = fn(ctx, blob, n);
        if (rc)
            return rs_errf(errstr, errsz, rc, "out of memory reading an ndb file");
    }
    return 0;
}
