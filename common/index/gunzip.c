/* gunzip.c - gzip layers inflated with ISA-L's igzip (Debian's libisal), the
 * decompression floor the index stage is measured against (docs/performance.md):
 * igzip inflates 2-3x faster than zlib, which libarchive would use.
 *
 * The layer walker hands this module the layer's bytes as they arrive and
 * gives libarchive what comes out, a plain tar. Concatenated gzip members (a
 * valid gzip file) are inflated one after the other. Input is untrusted:
 * a broken stream, a bad CRC or a truncated member is an error naming it,
 * and nothing here allocates per byte (one fixed state per layer). Without
 * ISA-L at build time rs_gunzip_new returns NULL and libarchive inflates. */
#include "gunzip_int.h"

#include <stdlib.h>
#include <string.h>

#ifdef RS_HAVE_ISAL
#include <isa-l/igzip_lib.h>

/* igzip copies back-references from the bytes before next_out: the last
 * 32 KiB of output stay in front of where the next output goes. */
#define GZ_HIST (32u * 1024)
#define GZ_OUT (256u * 1024)

struct rs_gunzip {
    struct inflate_state st;
    int member_done; /* the current member ended: what follows must be another */
    int members;     /* members started after the first */
    size_t end;      /* bytes of win holding output (the history, then the newest) */
    int failed;      /* an error was returned: igzip's state is not to be used again */
    uint8_t win[GZ_HIST + GZ_OUT];
};

rs_gunzip *rs_gunzip_new(void)
{
    rs_gunzip *z = malloc(sizeof *z);
    if (!z)
        return NULL;
    isal_inflate_init(&z->st);
    z->st.crc_flag = ISAL_GZIP;
    z->member_done = 0;
    z->members = 0;
    z->end = 0;
    z->failed = 0;
    return z;
}

void rs_gunzip_free(rs_gunzip *z)
{
    free(z);
}

void rs_gunzip_input(rs_gunzip *z, const void *data, size_t len)
{
    z->st.next_in = (uint8_t *)data;
    z->st.avail_in = (uint32_t)len;
}

size_t rs_gunzip_pending(const rs_gunzip *z)
{
    return z->st.avail_in;
}

/* Starts the next member when the current one ended and input follows
 * (its header may arrive a byte at a time: igzip parses it as it comes). */
static void next_member(rs_gunzip *z)
{
    uint8_t *in = z->st.next_in;
    uint32_t n = z->st.avail_in;
    isal_inflate_init(&z->st);
    z->st.crc_flag = ISAL_GZIP;
    z->st.next_in = in;
    z->st.avail_in = n;
    z->member_done = 0;
    z->members++;
}

/* Records that the stream is broken: every later call fails the same way. */
static ssize_t fail(rs_gunzip *z, char *errstr, size_t errsz, const char *why)
{
    z->failed = 1;
    return rs_errf(errstr, errsz, RS_ERR_INVALID, "gzip: %s", why);
}

ssize_t rs_gunzip_output(rs_gunzip *z, const void **out, char *errstr, size_t errsz)
{
    if (z->failed)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "gzip: the stream is broken");
    for (;;) {
        if (z->member_done) {
            if (!z->st.avail_in)
                return 0; /* needs input, or this was the end */
            next_member(z);
        }
        if (z->end > GZ_HIST) {
            memmove(z->win, z->win + z->end - GZ_HIST, GZ_HIST);
            z->end = GZ_HIST;
        }
        z->st.next_out = z->win + z->end;
        z->st.avail_out = (uint32_t)(sizeof z->win - z->end);
        int rc = isal_inflate(&z->st);
        size_t made = sizeof z->win - z->end - z->st.avail_out;
        *out = z->win + z->end;
        z->end += made;
        if (rc < 0 && rc == ISAL_INVALID_WRAPPER && z->members && !z->st.total_out)
            return fail(z, errstr, errsz,
                        "data after the end of the compressed stream is not gzip");
        if (rc < 0)
            return fail(z, errstr, errsz,
                        rc == ISAL_INCORRECT_CHECKSUM ? "the CRC does not match the data"
                        : rc == ISAL_INVALID_WRAPPER  ? "not a gzip header"
                                                      : "invalid deflate data");
        if (z->st.block_state == ISAL_BLOCK_FINISH)
            z->member_done = 1;
        if (made || !z->st.avail_in || !z->member_done)
            return (ssize_t)made;
    }
}

int rs_gunzip_finished(const rs_gunzip *z)
{
    return z->member_done && !z->st.avail_in;
}

#else /* no ISA-L: libarchive inflates with zlib */

rs_gunzip *rs_gunzip_new(void)
{
    return NULL;
}

void rs_gunzip_free(rs_gunzip *z)
{
    (void)z;
}

void rs_gunzip_input(rs_gunzip *z, const void *data, size_t len)
{
    (void)z, (void)data, (void)len;
}

size_t rs_gunzip_pending(const rs_gunzip *z)
{
    (void)z;
    return 0;
}

ssize_t rs_gunzip_output(rs_gunzip *z, const void **out, char *errstr, size_t errsz)
{
    (void)z, (void)out;
    return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "built without ISA-L");
}

int rs_gunzip_finished(const rs_gunzip *z)
{
    (void)z;
    return 1;
}
#endif
