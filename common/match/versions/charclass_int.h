/* versions/charclass.h - the character classes that several version orders
 * share (SemVer's and NuGet's identifiers, whitespace trimming), so each
 * order keeps only what is its own. Header-only, no state. */
#ifndef RS_VERSIONS_CHARCLASS_H
#define RS_VERSIONS_CHARCLASS_H

#include <stddef.h>
#include <string.h>

static inline int rs_vc_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* [0-9A-Za-z-]: an identifier character of SemVer and NuGet labels. */
static inline int rs_vc_ident(int c)
{
    return rs_vc_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Compares two runs of decimal digits of any length as numbers (leading
 * zeros ignored): -1, 0 or 1. */
static inline int rs_vc_numcmp(const char *a, size_t an, const char *b, size_t bn)
{
    while (an > 0 && *a == '0')
        a++, an--;
    while (bn > 0 && *b == '0')
        b++, bn--;
    if (an != bn)
        return an < bn ? -1 : 1;
    int c = an ? memcmp(a, b, an) : 0;
    return (c > 0) - (c < 0);
}

/* 1 when the 3 bytes at p encode a space separator or a line or paragraph
 * separator of Unicode outside Latin-1 (U+1680, U+2000..U+200A, U+2028,
 * U+2029, U+202F, U+205F, U+3000): whitespace to JavaScript and .NET alike. */
static inline int rs_vc_unicode_space3(const unsigned char *p)
{
    if (p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80)
        return 1;
    if (p[0] == 0xe2 && p[1] == 0x80 &&
        ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 || p[2] == 0xa9 || p[2] == 0xaf))
        return 1;
    return (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0x9f) ||
           (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80);
}

/* Byte length of a whitespace character, as `ws_at` defines it (the length of
 * the one starting at p, or 0), that ends at `end`, or 0. Lead bytes never
 * occur as continuation bytes, so a match is a whole character. */
static inline size_t rs_vc_ws_before(const unsigned char *start, const unsigned char *end,
                                     size_t (*ws_at)(const unsigned char *, const unsigned char *))
{
    for (size_t k = 1; k <= 3; k++)
        if ((size_t)(end - start) >= k && ws_at(end - k, end) == k)
            return k;
    return 0;
}

#endif
