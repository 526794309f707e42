/* vercmp_semver.c - SemVer 2.0 precedence as the npm `semver` package (v7)
 * computes it with strict parsing: `semver.valid(v)` and `semver.compare(a, b)`.
 *
 * Accepted exactly as node-semver's non-loose FULL pattern after
 * String.prototype.trim(): an optional single "v", MAJOR.MINOR.PATCH without
 * leading zeros, an optional "-" prerelease (identifiers [0-9A-Za-z-]+,
 * numeric ones without leading zeros), an optional "+" build (identifiers
 * [0-9A-Za-z-]+, leading zeros allowed). "=1.2.3", "1.2" and "01.2.3" are
 * rejected; " v1.2.3 " is accepted. A string longer than 256 UTF-16 units, or
 * a component above 2^53-1, is invalid (node-semver's MAX_LENGTH and
 * MAX_SAFE_INTEGER); so is anything longer than 1024 bytes. Build metadata is
 * ignored in precedence.
 *
 * Prerelease identifiers follow node-semver's compareIdentifiers to the
 * letter, including its use of JavaScript numbers: a numeric identifier is
 * compared by its IEEE double value, so two identifiers of 2^53 and more that
 * round to the same double compare equal, and the comparison of the two
 * versions stops there (comparePre returns that 0). This module does not
 * implement ranges. */
#include "charclass_int.h"
#include "match.h"
#include "base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SV_MAX_BYTES 1024
#define SV_MAX_UNITS 256                       /* node-semver MAX_LENGTH */
#define SV_MAX_SAFE UINT64_C(9007199254740991) /* Number.MAX_SAFE_INTEGER */

typedef struct sv {
    uint64_t major, minor, patch;
    const char *pre; /* prerelease identifiers without the '-', or NULL */
    size_t pre_len;
} sv;

/* Byte length of the ECMAScript whitespace or line terminator (what trim()
 * removes) starting at p, or 0. */
static size_t js_ws_at(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);
    if (n >= 1 && (p[0] == ' ' || (p[0] >= 0x09 && p[0] <= 0x0d)))
        return 1;
    if (n >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
        return 2;
    if (n < 3)
        return 0;
    if (rs_vc_unicode_space3(p))
        return 3;
    if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf) /* U+FEFF */
        return 3;
    return 0;
}

/* 0|[1-9][0-9]* with a value of at most 2^53-1; advances *p. */
static int parse_num(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || !rs_vc_digit(*s))
        return 0;
    if (*s == '0') {
        *out = 0;
        *p = s + 1;
        return 1;
    }
    while (s < end && rs_vc_digit(*s)) {
        if (v > (SV_MAX_SAFE - (uint64_t)(*s - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
    }
    *out = v;
    *p = s;
    return 1;
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-] up to `stop` (or end);
 * with `strict_num`, an all-digit identifier must not have a leading zero.
 * Advances *p to the first byte that is not part of them. */
static int parse_idents(const char **p, const char *end, char stop, int strict_num)
{
    const char *s = *p;
    for (;;) {
        const char *id = s;
        int all_digits = 1;
        while (s < end && rs_vc_ident((unsigned char)*s)) {
            if (!rs_vc_digit(*s))
                all_digits = 0;
            s++;
        }
        if (s == id)
            return 0;
        if (strict_num && all_digits && s - id > 1 && *id == '0')
            return 0;
        if (s < end && *s == '.') {
            s++;
            continue;
        }
        if (s < end && *s != stop)
            return 0;
        *p = s;
        return 1;
    }
}

static int sv_parse(const char *v, sv *out)
{
    if (!v)
        return 0;
    size_t n = strnlen(v, SV_MAX_BYTES + 1);
    if (n > SV_MAX_BYTES)
        return 0;
    const unsigned char *b = (const unsigned char *)v, *e = b + n;
    size_t units = 0, k;
    while (b < e && (k = js_ws_at(b, e)) > 0) {
        b += k;
        units++;
    }
    while (e > b && (k = rs_vc_ws_before(b, e, js_ws_at)) > 0) {
        e -= k;
        units++;
    }
    units += (size_t)(e - b); /* the rest must be ASCII to be valid */
    if (units > SV_MAX_UNITS)
        return 0;

    const char *p = (const char *)b, *end = (const char *)e;
    if (p < end && *p == 'v')
        p++;
    if (!parse_num(&p, end, &out->major) || p >= end || *p++ != '.' ||
        !parse_num(&p, end, &out->minor) || p >= end || *p++ != '.' ||
        !parse_num(&p, end, &out->patch))
        return 0;
    out->pre = NULL;
    out->pre_len = 0;
    if (p < end && *p == '-') {
        const char *start = ++p;
        if (!parse_idents(&p, end, '+', 1))
            return 0;
        out->pre = start;
        out->pre_len = (size_t)(p - start);
    }
    if (p < end && *p == '+') {
        p++;
        if (!parse_idents(&p, end, '\0', 0) || p != end)
            return 0;
    }
    return p == end;
}

/* One prerelease identifier as node-semver holds it: a JavaScript number when
 * it is all digits and below MAX_SAFE_INTEGER, else a string. */
typedef struct ident {
    const char *s;
    size_t len;
    int numeric; /* /^[0-9]+$/ */
    int is_number;
    double value; /* +s, when numeric */
} ident;

static void ident_make(ident *id, const char *s, size_t len)
{
    char buf[SV_MAX_UNITS + 1];
    id->s = s;
    id->len = len;
    id->numeric = 1;
    for (size_t i = 0; i < len; i++)
        if (!rs_vc_digit(s[i]))
            id->numeric = 0;
    id->is_number = 0;
    id->value = 0;
    if (id->numeric && len < sizeof buf) {
        memcpy(buf, s, len);
        buf[len] = '\0';
        /* strtod rounds to nearest like ECMAScript's Number(string). */
        id->value = strtod(buf, NULL);
        id->is_number = id->value < (double)SV_MAX_SAFE;
    }
}

static int ident_identical(const ident *a, const ident *b)
{
    if (a->is_number != b->is_number)
        return 0;
    if (a->is_number)
        return a->value == b->value;
    return a->len == b->len && !memcmp(a->s, b->s, a->len);
}

/* node-semver's compareIdentifiers(a, b). */
static int ident_compare(const ident *a, const ident *b)
{
    if (a->numeric && b->numeric)
        return a->value == b->value ? 0 : a->value < b->value ? -1 : 1;
    if (a->numeric)
        return -1;
    if (b->numeric)
        return 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, m);
    if (c == 0 && a->len == b->len)
        return 0;
    return c < 0 || (c == 0 && a->len < b->len) ? -1 : 1;
}

/* Next identifier of a prerelease [*p, end); returns 0 when none is left. */
static int next_ident(const char **p, const char *end, ident *id)
{
    const char *s = *p;
    if (s >= end)
        return 0;
    const char *dot = memchr(s, '.', (size_t)(end - s));
    const char *stop = dot ? dot : end;
    ident_make(id, s, (size_t)(stop - s));
    *p = dot ? dot + 1 : end;
    return 1;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
    return a < b ? -1 : a > b;
}

static int semver_compare(const char *a, const char *b, int *cmp)
{
    sv x, y;
    if (!sv_parse(a, &x) || !sv_parse(b, &y))
        return RS_ERR_INVALID;
    int c = cmp_u64(x.major, y.major);
    if (!c)
        c = cmp_u64(x.minor, y.minor);
    if (!c)
        c = cmp_u64(x.patch, y.patch);
    if (c) {
        *cmp = c;
        return 0;
    }
    if (x.pre && !y.pre) {
        *cmp = -1;
        return 0;
    }
    if (!x.pre && y.pre) {
        *cmp = 1;
        return 0;
    }
    const char *px = x.pre, *ex = x.pre ? x.pre + x.pre_len : NULL;
    const char *py = y.pre, *ey = y.pre ? y.pre + y.pre_len : NULL;
    *cmp = 0;
    while (px && py) {
        ident ix, iy;
        int hx = next_ident(&px, ex, &ix), hy = next_ident(&py, ey, &iy);
        if (!hx && !hy)
            break;
        if (!hy) {
            *cmp = 1;
            break;
        }
        if (!hx) {
            *cmp = -1;
            break;
        }
        if (ident_identical(&ix, &iy))
            continue;
        /* node-semver returns here even when the identifiers compare equal. */
        *cmp = ident_compare(&ix, &iy);
        break;
    }
    return 0;
}

static int semver_valid(const char *v)
{
    sv x;
    return sv_parse(v, &x);
}

const rs_version_scheme rs_version_semver = {"semver", semver_compare, semver_valid};
