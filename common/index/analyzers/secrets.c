/* analyzers/secrets.c - secrets in regular text files, streamed through the
 * secret scanner (secrets/secrets.h): one multi-pattern pass per file.
 *
 * What is not scanned, and why:
 *  - binaries: a NUL byte in the first 8 KiB, or more than 30% of those bytes
 *    in invalid UTF-8 sequences (Latin-1 text passes), are skipped silently;
 *  - text files over 10 MiB: skipped with a recorded skip (LIMIT_EXCEEDED),
 *    so the report says what was not read; a binary over that size is not
 *    a skip;
 *  - path classes that hold no credentials but much text or many files:
 *    /proc, /sys, /dev (not files of an image), /usr/share/{doc,man,info,
 *    locale,i18n,zoneinfo,common-licenses} (documentation, translations,
 *    time zones, licence texts), /etc/ssl/certs and /usr/share/ca-certificates
 *    (public certificates), and file names of compressed or binary formats
 *    (.gz .xz .bz2 .zst .zip .jar .war .whl .deb .rpm .png .jpg .gif .ico
 *    .woff .woff2 .ttf .pyc .mo .so .a .o .class).
 * Every other regular file gets a result, empty or not: a later layer's
 * version of a path then replaces an earlier one's in the merge, which is
 * how a secret replaced by an upper layer is told from one still there. */
#include "analyzers/secrets_int.h"
#include "base.h"
#include "secrets/scanner_int.h"

#include <stdlib.h>
#include <string.h>

#define SECRETS_MAX_TEXT ((uint64_t)10 << 20)
#define SECRETS_SNIFF 8192

static const char *const skip_dirs[] = {
    "/proc/",           "/sys/",
    "/dev/",            "/usr/share/doc/",
    "/usr/share/man/",  "/usr/share/info/",
    "/usr/share/locale/", "/usr/share/i18n/",
    "/usr/share/zoneinfo/", "/usr/share/common-licenses/",
    "/etc/ssl/certs/",  "/usr/share/ca-certificates/",
};

static const char *const skip_ext[] = {
    ".gz",  ".xz",  ".bz2", ".zst",   ".zip", ".jar", ".war", ".whl", ".deb", ".rpm", ".png",
    ".jpg", ".gif", ".ico", ".woff",  ".woff2", ".ttf", ".pyc", ".mo", ".so", ".a", ".o",
    ".class",
};

static int wants(const char *path)
{
    for (size_t i = 0; i < sizeof skip_dirs / sizeof skip_dirs[0]; i++)
        if (strncmp(path, skip_dirs[i], strlen(skip_dirs[i])) == 0)
            return 0;
    const char *base = strrchr(path, '/');
    const char *dot = strrchr(base ? base : path, '.');
    for (size_t i = 0; dot && i < sizeof skip_ext / sizeof skip_ext[0]; i++)
        if (strcmp(dot, skip_ext[i]) == 0)
            return 0;
    return 1;
}

struct state {
    rs_secrets_stream *s;
    uint64_t size;
    int decided; /* the first bytes were looked at */
    int skip;    /* binary, or text over the limit: nothing more is scanned */
    int over;    /* text over the limit */
};

static int begin(const char *path, uint64_t size, void **state, char *errstr, size_t errsz)
{
    (void)path;
    struct state *st = calloc(1, sizeof *st);
    if (!st)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    st->size = size;
    *state = st;
    return 0;
}

/* 1 when the first bytes look binary: a NUL, or many invalid UTF-8 bytes. */
static int binary(const unsigned char *p, size_t n)
{
    if (memchr(p, 0, n))
        return 1;
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = n - i < 4 ? n - i : 4;
        size_t ok = 0;
        for (size_t len = 2; len <= k && !ok; len++)
            if (rs_utf8_valid((const char *)p + i, len))
                ok = len;
        if (!ok) {
            bad++;
            i++;
        } else {
            i += ok;
        }
    }
    return bad * 10 > n * 3;
}

static int feed(void *state, const void *data, size_t len)
{
    struct state *st = state;
    if (!st->decided) {
        st->decided = 1;
        size_t n = len < SECRETS_SNIFF ? len : SECRETS_SNIFF;
        int bin = binary(data, n);
        st->over = !bin && st->size > SECRETS_MAX_TEXT;
        st->skip = bin || st->over;
        /* the scanner's window and scratch only for text that is read */
        if (!st->skip && !(st->s = rs_secrets_stream_new(RS_SECRETS_AUTO)))
            return RS_ERR_INTERNAL;
    }
    if (st->skip)
        return 0;
    return rs_secrets_stream_feed(st->s, data, len);
}

static int end(void *state, rs_analysis *out, char *errstr, size_t errsz)
{
    struct state *st = state;
    int rc = 0;
    if (out && st->over)
        rc = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED, "text file over %llu bytes",
                     (unsigned long long)SECRETS_MAX_TEXT);
    else if (out && st->s && rs_secrets_stream_end(st->s, &out->secrets))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rs_secrets_stream_free(st->s);
    free(st);
    return rc;
}

const rs_analyzer rs_analyzer_secrets = {
    RS_ANALYZER_ID("secrets", 1),
    .wants = wants,
    .max_file_size = 0, /* streamed; the 10 MiB bound is for text, decided in feed */
    .begin = begin,
    .feed = feed,
    .end = end,
    .skip_hard_links = 1,
};
