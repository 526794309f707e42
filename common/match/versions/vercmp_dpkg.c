/* vercmp_dpkg.c - the Debian version order, as dpkg defines it: parsing after
 * parseversion() in lib/dpkg/parsehelp.c and ordering after verrevcmp() and
 * dpkg_version_compare() in lib/dpkg/version.c (dpkg 1.21).
 *
 * "[epoch:]upstream[-revision]". Every string dpkg answers with "has bad
 * syntax" (an error or a warning) is invalid here. One deliberate difference:
 * `dpkg --compare-versions` takes the empty string as the blank version, this
 * module calls it invalid. Works on spans of the input: no copy, no
 * allocation, no recursion. */
#include "match.h"
#include "base.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#define DPKG_VERSION_MAX 1024

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct dpkg_version {
    long epoch;
    span upstream;
    span revision;
} dpkg_version;

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* isspace() of the C locale: what strtol() skips before the epoch. */
static int is_space(int c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The epoch as strtol() reads [p, colon) and dpkg checks it: optional white
 * space and sign, at least one digit, then exactly the colon; 0..INT_MAX. */
static int parse_epoch(const char *p, const char *colon, long *epoch)
{
    int negative = 0;
    uint64_t v = 0;
    const char *digits;

    while (p < colon && is_space((unsigned char)*p))
        p++;
    if (p < colon && (*p == '+' || *p == '-'))
        negative = *p++ == '-';
    digits = p;
    while (p < colon && is_digit(*p)) {
        if (v <= (uint64_t)INT_MAX)
            v = v * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p == digits || p != colon)
        return -1; /* "epoch in version is empty" / "... is not number" */
    if (negative && v != 0)
        return -1; /* "epoch in version is negative" */
    if (v > (uint64_t)INT_MAX)
        return -1; /* "epoch in version is too big" */
    *epoch = (long)v;
    return 0;
}

/* Splits and checks `s` as parseversion() does; 0 or -1. */
static int parse(const char *s, dpkg_version *v)
{
    size_t len;
    const char *end, *p, *hyphen = NULL;

    if (!s)
        return -1;
    len = strnlen(s, DPKG_VERSION_MAX + 1);
    if (len > DPKG_VERSION_MAX)
        return -1;
    while (is_blank((unsigned char)*s))
        s++;
    if (*s == '\0')
        return -1; /* "version string is empty" */
    end = s;
    while (*end && !is_blank((unsigned char)*end))
        end++;
    for (p = end; *p; p++)
        if (!is_blank((unsigned char)*p))
            return -1; /* "version string has embedded spaces" */

    v->epoch = 0;
    const char *colon = memchr(s, ':', (size_t)(end - s));
    if (colon) {
        if (parse_epoch(s, colon, &v->epoch) < 0)
            return -1;
        if (colon + 1 == end)
            return -1; /* "nothing after colon in version number" */
        s = colon + 1;
    }
    for (p = s; p < end; p++)
        if (*p == '-')
            hyphen = p;
    if (hyphen) {
        if (hyphen + 1 == end)
            return -1; /* "revision number is empty" */
        v->upstream = (span){s, (size_t)(hyphen - s)};
        v->revision = (span){hyphen + 1, (size_t)(end - hyphen - 1)};
    } else {
        v->upstream = (span){s, (size_t)(end - s)};
        v->revision = (span){"", 0};
    }
    if (v->upstream.n == 0)
        return -1; /* "version number is empty" */
    if (!is_digit(v->upstream.p[0]))
        return -1; /* warning: "version number does not start with digit" */
    for (size_t i = 1; i < v->upstream.n; i++) {
        int c = (unsigned char)v->upstream.p[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".-+~:", c))
            return -1; /* warning: "invalid character in version number" */
    }
    for (size_t i = 0; i < v->revision.n; i++) {
        int c = (unsigned char)v->revision.p[i];
        if (!is_digit(c) && !is_alpha(c) && !strchr(".+~", c))
            return -1; /* warning: "invalid character in revision number" */
    }
    return 0;
}

/* The character at i, or 0 past the end (the C string's terminator in dpkg). */
static int at(span s, size_t i)
{
    return i < s.n ? (unsigned char)s.p[i] : 0;
}

/* dpkg's weight of a non-digit: '~' before the end, letters before the rest. */
static int order(int c)
{
    if (is_digit(c))
        return 0;
    if (is_alpha(c))
        return c;
    if (c == '~')
        return -1;
    if (c)
        return c + 256;
    return 0;
}

/* verrevcmp(): alternating non-digit and digit runs. */
static int verrevcmp(span a, span b)
{
    size_t i = 0, j = 0;

    while (i < a.n || j < b.n) {
        int first_diff = 0;

        while ((at(a, i) && !is_digit(at(a, i))) || (at(b, j) && !is_digit(at(b, j)))) {
            int ac = order(at(a, i));
            int bc = order(at(b, j));
            if (ac != bc)
                return ac - bc;
            i++;
            j++;
        }
        while (at(a, i) == '0')
            i++;
        while (at(b, j) == '0')
            j++;
        while (is_digit(at(a, i)) && is_digit(at(b, j))) {
            if (!first_diff)
                first_diff = at(a, i) - at(b, j);
            i++;
            j++;
        }
        if (is_digit(at(a, i)))
            return 1;
        if (is_digit(at(b, j)))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

static int dpkg_compare(const char *a, const char *b, int *cmp)
{
    dpkg_version va, vb;
    int rc;

    if (parse(a, &va) < 0 || parse(b, &vb) < 0)
        return RS_ERR_INVALID;
    if (va.epoch != vb.epoch) {
        *cmp = va.epoch < vb.epoch ? -1 : 1;
        return 0;
    }
    rc = verrevcmp(va.upstream, vb.upstream);
    if (rc == 0)
        rc = verrevcmp(va.revision, vb.revision);
    *cmp = rc < 0 ? -1 : rc > 0 ? 1 : 0;
    return 0;
}

static int dpkg_valid(const char *v)
{
    dpkg_version dv;
    return parse(v, &dv) == 0;
}

const rs_version_scheme rs_version_dpkg = {"dpkg", dpkg_compare, dpkg_valid};
