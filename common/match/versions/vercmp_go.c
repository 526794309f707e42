/* vercmp_go.c - Go module versions as golang.org/x/mod/semver orders them
 * (semver.IsValid and semver.Compare).
 *
 * A Go version starts with "v": vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]],
 * numbers without leading zeros and of any length; the shorthands "v1" and
 * "v1.2" mean v1.0.0 and v1.2.0 and take neither prerelease nor build. Build
 * metadata ("+incompatible" included) is ignored in precedence, and
 * pseudo-versions (v0.0.0-20191109021931-daa7c04131f5) are ordinary
 * prereleases. Unlike x/mod/semver, which sorts invalid versions below valid
 * ones, an invalid version makes the comparison fail (RS_ERR_INVALID), and so
 * does a string longer than 1024 bytes. This module does not check module
 * paths or major-version suffixes. */
#include "match.h"
#include "base.h"

#include <string.h>

#define GO_MAX_BYTES 1024

typedef struct span {
    const char *s;
    size_t len;
} span;

typedef struct gov {
    span major, minor, patch; /* empty span = the shorthand's implicit "0" */
    span pre;                 /* with its leading '-', empty when absent */
} gov;

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_ident_char(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* [0-9]+ without a leading zero; advances *p. */
static int parse_int(const char **p, const char *end, span *out)
{
    const char *s = *p, *q = s;
    if (q >= end || !is_digit(*q))
        return 0;
    while (q < end && is_digit(*q))
        q++;
    if (*s == '0' && q - s != 1)
        return 0;
    out->s = s;
    out->len = (size_t)(q - s);
    *p = q;
    return 1;
}

static int is_bad_num(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(s[i]))
            return 0;
    return len > 1 && s[0] == '0';
}

/* "-" or "+" followed by dot-separated non-empty identifiers; a prerelease
 * stops at '+', a build at the end. */
static int parse_idents(const char **p, const char *end, int prerelease)
{
    const char *s = *p, *i = s + 1, *start = i;
    while (i < end && !(prerelease && *i == '+')) {
        if (!is_ident_char((unsigned char)*i) && *i != '.')
            return 0;
        if (*i == '.') {
            if (start == i || (prerelease && is_bad_num(start, (size_t)(i - start))))
                return 0;
            start = i + 1;
        }
        i++;
    }
    if (start == i || (prerelease && is_bad_num(start, (size_t)(i - start))))
        return 0;
    *p = i;
    return 1;
}

static int go_parse(const char *v, gov *out)
{
    if (!v)
        return 0;
    size_t n = strnlen(v, GO_MAX_BYTES + 1);
    if (n > GO_MAX_BYTES || n == 0 || v[0] != 'v')
        return 0;
    const char *p = v + 1, *end = v + n;
    memset(out, 0, sizeof *out);
    if (!parse_int(&p, end, &out->major))
        return 0;
    if (p == end)
        return 1;
    if (*p++ != '.' || !parse_int(&p, end, &out->minor))
        return 0;
    if (p == end)
        return 1;
    if (*p++ != '.' || !parse_int(&p, end, &out->patch))
        return 0;
    if (p < end && *p == '-') {
        const char *start = p;
        if (!parse_idents(&p, end, 1))
            return 0;
        out->pre.s = start;
        out->pre.len = (size_t)(p - start);
    }
    if (p < end && *p == '+') {
        if (!parse_idents(&p, end, 0))
            return 0;
    }
    return p == end;
}

static int span_eq(span a, span b)
{
    return a.len == b.len && (a.len == 0 || !memcmp(a.s, b.s, a.len));
}

/* Byte-wise string order, as Go's `<` on strings. */
static int span_cmp(span a, span b)
{
    size_t m = a.len < b.len ? a.len : b.len;
    int c = m ? memcmp(a.s, b.s, m) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a.len < b.len ? -1 : a.len > b.len;
}

/* compareInt: numbers without leading zeros compare by length, then bytes;
 * the shorthand's missing component is "0". */
static int cmp_int(span x, span y)
{
    static const char zero[] = "0";
    if (x.len == 0)
        x = (span){zero, 1};
    if (y.len == 0)
        y = (span){zero, 1};
    if (x.len != y.len)
        return x.len < y.len ? -1 : 1;
    return span_cmp(x, y);
}

static int is_num(span d)
{
    for (size_t i = 0; i < d.len; i++)
        if (!is_digit(d.s[i]))
            return 0;
    return 1;
}

/* Next identifier after the leading '-' or '.' of *x; shrinks *x. */
static span next_ident(span *x)
{
    span d = {x->s + 1, 0};
    while (d.len < x->len - 1 && d.s[d.len] != '.')
        d.len++;
    x->s += 1 + d.len;
    x->len -= 1 + d.len;
    return d;
}

static int cmp_prerelease(span x, span y)
{
    if (span_eq(x, y))
        return 0;
    if (x.len == 0)
        return 1;
    if (y.len == 0)
        return -1;
    while (x.len && y.len) {
        span dx = next_ident(&x), dy = next_ident(&y);
        if (span_eq(dx, dy))
            continue;
        int ix = is_num(dx), iy = is_num(dy);
        if (ix != iy)
            return ix ? -1 : 1;
        if (ix && dx.len != dy.len)
            return dx.len < dy.len ? -1 : 1;
        return span_cmp(dx, dy);
    }
    return x.len == 0 ? -1 : 1;
}

static int go_compare(const char *a, const char *b, int *cmp)
{
    gov x, y;
    if (!go_parse(a, &x) || !go_parse(b, &y))
        return RS_ERR_INVALID;
    int c = cmp_int(x.major, y.major);
    if (!c)
        c = cmp_int(x.minor, y.minor);
    if (!c)
        c = cmp_int(x.patch, y.patch);
    if (!c)
        c = cmp_prerelease(x.pre, y.pre);
    *cmp = c;
    return 0;
}

static int go_valid(const char *v)
{
    gov x;
    return go_parse(v, &x);
}

const rs_version_scheme rs_version_go = {"go", go_compare, go_valid};
