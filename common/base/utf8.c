/* utf8.c - validation and U+FFFD replacement of untrusted text (see utf8.h).
 *
 * One decoder, seq_len, follows Unicode's table 3-7 of well-formed byte
 * sequences and never reads past n; every other function is built on it. Only
 * the _dup functions allocate. */
#include "base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char replacement[3] = {'\xEF', '\xBF', '\xBD'}; /* U+FFFD */

/* Length of the unit at s (n > 0 bytes left): a whole character (*ok = 1)
 * or the maximal invalid subpart there (*ok = 0), at least 1 byte. */
static size_t seq_len(const unsigned char *s, size_t n, int *ok)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    *ok = 0;
    if (c >= 0x01 && c <= 0x7F) {
        *ok = 1;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3;
    else
        return 1; /* NUL, a continuation byte, C0/C1 (overlong) or F5..FF: never a lead */
    /* the second byte's range excludes overlongs (E0, F0), surrogates (ED)
     * and code points above U+10FFFF (F4) */
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    for (size_t i = 1; i <= need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi)
            return i; /* the lead and the continuation bytes that fitted */
        lo = 0x80;
        hi = 0xBF;
    }
    *ok = 1;
    return need + 1;
}

int rs_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        int ok;
        i += seq_len(p + i, n - i, &ok);
        if (!ok)
            return 0;
    }
    return 1;
}

/* Writes at most cap bytes of sanitised s into dst (counts only when dst is
 * NULL), stopping before the first unit that does not fit. */
static size_t sanitize(char *dst, size_t cap, const char *s, size_t n, int *replaced)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, o = 0;
    while (i < n) {
        int ok;
        size_t len = seq_len(p + i, n - i, &ok);
        size_t out = ok ? len : sizeof replacement;
        if (out > cap - o)
            break;
        if (dst)
            memcpy(dst + o, ok ? s + i : replacement, out);
        if (!ok && replaced)
            *replaced = 1;
        o += out;
        i += len;
    }
    return o;
}

char *rs_utf8_dup(const char *s, size_t n, int *replaced)
{
    if (n > (SIZE_MAX - 1) / sizeof replacement)
        return NULL; /* cannot be allocated anyway */
    size_t len = sanitize(NULL, SIZE_MAX, s, n, NULL);
    char *d = malloc(len + 1);
    if (!d)
        return NULL;
    sanitize(d, len, s, n, replaced);
    d[len] = '\0';
    return d;
}

size_t rs_utf8_copy(char *dst, size_t dst_size, const char *s, size_t n, int *replaced)
{
    if (!dst_size)
        return 0;
    size_t len = sanitize(dst, dst_size - 1, s, n, replaced);
    dst[len] = '\0';
    return len;
}

json_t *rs_utf8_json_string(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    if (rs_utf8_valid(s, n))
        return json_stringn(s, n);
    char *d = rs_utf8_dup(s, n, NULL);
    json_t *j = d ? json_stringn(d, strlen(d)) : NULL;
    free(d);
    return j;
}

char *rs_utf8_dup_printable(const char *s)
{
    char *d = rs_utf8_dup(s ? s : "", s ? strlen(s) : 0, NULL);
    if (!d)
        return NULL;
    /* C0 controls and DEL are single bytes; C1 controls are exactly the
     * characters encoded C2 80..C2 9F (C2 is never a continuation byte) */
    size_t w = 0;
    for (size_t r = 0; d[r]; r++) {
        unsigned char c = (unsigned char)d[r], next = (unsigned char)d[r + 1];
        if (c < 0x20 || c == 0x7F) {
            c = '?';
        } else if (c == 0xC2 && next >= 0x80 && next <= 0x9F) {
            c = '?';
            r++;
        }
        d[w++] = (char)c;
    }
    d[w] = '\0';
    return d;
}
