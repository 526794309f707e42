/* test_gunzip.c - gzip through ISA-L (common/index/gunzip.c): members one
 * after the other, any input chunking, and the broken streams a hostile
 * layer holds (a bad CRC, a cut stream, bytes after the end, not gzip). */
#include "base.h"
#include "gunzip_int.h"
#include "rs_test.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* gzip of s (one member), malloc'd into *out. */
static size_t gz(const char *s, unsigned char **out)
{
    z_stream z = {0};
    size_t cap = strlen(s) + 128;
    *out = malloc(cap);
    RS_REQUIRE(*out && deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (unsigned char *)s;
    z.avail_in = (unsigned)strlen(s);
    z.next_out = *out;
    z.avail_out = (unsigned)cap;
    RS_REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    deflateEnd(&z);
    return cap - z.avail_out;
}

/* Inflates data fed `chunk` bytes at a time into out; returns the length,
 * or a negative rs_err (errstr set); *finished as rs_gunzip_finished says. */
static ssize_t inflate_all(const unsigned char *data, size_t len, size_t chunk, char *out,
                           size_t out_size, int *finished, char *err, size_t errsz)
{
    rs_gunzip *z = rs_gunzip_new();
    RS_REQUIRE(z);
    size_t off = 0, o = 0;
    ssize_t rc = 0;
    for (;;) {
        const void *got;
        ssize_t made = rs_gunzip_output(z, &got, err, errsz);
        if (made < 0) {
            rc = made;
            break;
        }
        RS_REQUIRE(o + (size_t)made <= out_size);
        memcpy(out + o, got, (size_t)made);
        o += (size_t)made;
        if (made || rs_gunzip_pending(z))
            continue;
        if (off == len)
            break;
        size_t n = len - off < chunk ? len - off : chunk;
        rs_gunzip_input(z, data + off, n);
        off += n;
    }
    *finished = rs_gunzip_finished(z);
    rs_gunzip_free(z);
    return rc < 0 ? rc : (ssize_t)o;
}

int main(void)
{
    rs_gunzip *probe = rs_gunzip_new();
    if (!probe)
        RS_SKIP("built without ISA-L");
    rs_gunzip_free(probe);
    unsigned char *a, *b;
    size_t na = gz("hello, ", &a), nb = gz("world\n", &b);
    unsigned char *two = malloc(na + nb + 8);
    RS_REQUIRE(two);
    memcpy(two, a, na);
    memcpy(two + na, b, nb);
    char out[64], err[256];
    int fin;
    static const size_t chunks[] = {1, 2, 3, 7, 64, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        memset(out, 0, sizeof out);
        ssize_t n = inflate_all(two, na + nb, chunks[i], out, sizeof out, &fin, err, sizeof err);
        RS_CHECK_INT(n, 13);
        RS_CHECK_STR(out, "hello, world\n");
        RS_CHECK_INT(fin, 1);
    }
    /* cut short: no error from the inflater, but not finished */
    RS_CHECK_INT(inflate_all(two, na - 3, 4096, out, sizeof out, &fin, err, sizeof err) >= 0, 1);
    RS_CHECK_INT(fin, 0);
    /* a flipped CRC byte */
    two[na - 6] ^= 0xff;
    RS_CHECK_INT(inflate_all(two, na, 4096, out, sizeof out, &fin, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK_STR(err, "gzip: the CRC does not match the data");
    {
        /* once broken, the stream stays broken: igzip's state is never used again */
        rs_gunzip *z = rs_gunzip_new();
        const void *o;
        RS_REQUIRE(z);
        rs_gunzip_input(z, two, na);
        ssize_t r1;
        while ((r1 = rs_gunzip_output(z, &o, err, sizeof err)) > 0)
            ;
        RS_CHECK_INT(r1, RS_ERR_INVALID);
        RS_CHECK_INT(rs_gunzip_output(z, &o, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK_STR(err, "gzip: the stream is broken");
        RS_CHECK_INT(rs_gunzip_finished(z), 0);
        rs_gunzip_free(z);
    }
    two[na - 6] ^= 0xff;
    /* bytes after the end that are no second member: an error once a header's worth is
     * there, else a stream that does not finish (the walker says it ends early) */
    unsigned char *more = malloc(na + 32);
    RS_REQUIRE(more);
    memcpy(more, two, na);
    memcpy(more + na, "garbage, and then some", 22);
    RS_CHECK_INT(inflate_all(more, na + 22, 4096, out, sizeof out, &fin, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK_STR(err, "gzip: data after the end of the compressed stream is not gzip");
    RS_CHECK_INT(inflate_all(more, na + 4, 4096, out, sizeof out, &fin, err, sizeof err), 7);
    RS_CHECK_INT(fin, 0);
    free(more);
    /* cut inside the second member: not finished */
    memcpy(two + na, b, nb);
    RS_CHECK_INT(inflate_all(two, na + nb - 4, 1, out, sizeof out, &fin, err, sizeof err) >= 0, 1);
    RS_CHECK_INT(fin, 0);
    /* not gzip at all */
    RS_CHECK_INT(inflate_all((const unsigned char *)"\x1f\x8bxxxxxxxxxxxxxxxxxx", 20, 4096, out,
                             sizeof out, &fin, err, sizeof err),
                 RS_ERR_INVALID);
    /* 3 MiB whose back-references reach across every call: the inflater must keep
     * its history (a copy from before its window once read freed memory) */
    size_t big = 3u << 20;
    char *text = malloc(big + 1), *back = malloc(big + 64);
    RS_REQUIRE(text && back);
    unsigned x = 12345;
    for (size_t i = 0; i < big; i++) {
        x = x * 1103515245u + 12345u;
        text[i] = "etaoin shrdlu\n"[(x >> 16) % 14];
        if (i >= 40000 && (x >> 8) % 3 == 0) /* repeat a stretch from up to 32 KiB back */
            text[i] = text[i - 1000 - (x >> 20) % 31000];
    }
    text[big] = '\0';
    unsigned char *zbig;
    size_t nz = gz(text, &zbig);
    static const size_t big_chunks[] = {1000, 65536};
    for (size_t i = 0; i < 2; i++) {
        ssize_t n = inflate_all(zbig, nz, big_chunks[i], back, big + 64, &fin, err, sizeof err);
        RS_CHECK_INT(n, (ssize_t)big);
        RS_CHECK(n == (ssize_t)big && memcmp(back, text, big) == 0);
        RS_CHECK_INT(fin, 1);
    }
    free(zbig);
    free(text);
    free(back);
    free(a);
    free(b);
    free(two);
    return RS_TEST_RESULT();
}
