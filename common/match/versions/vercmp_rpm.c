/* vercmp_rpm.c - the RPM version order: rpmvercmp() of rpmio/rpmvercmp.c on
 * each part, and the EVR rules of rpm 4.18's rpmverParse()/rpmverCmp()
 * (lib/rpmver.c) for full "[epoch:]version[-release]" strings as OSV writes
 * them for Red Hat, Rocky Linux, AlmaLinux, SUSE and openSUSE.
 *
 * Segments are runs of ASCII digits or letters; anything else separates;
 * '~' sorts before everything, even the end; '^' sorts after the end but
 * before anything else. An epoch is the leading digits before a ':' (a
 * missing one counts as "0"); the release is what follows the last '-' (even
 * when empty), and a version without one sorts before the same version with
 * one, as in rpm 4.18's rpm.ver and labelCompare. Like rpm, every non-empty
 * string is a version; the empty string and strings over 1024 bytes are
 * invalid. No copy, no allocation, no recursion. */
#include "match.h"
#include "base.h"

#include <string.h>

#define RPM_VERSION_MAX 1024

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct evr {
    span e, v, r;
    int has_r;
} evr;

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(int c)
{
    return is_digit(c) || is_alpha(c);
}

/* The character at i, or 0 past the end. */
static int at(span s, size_t i)
{
    return i < s.n ? (unsigned char)s.p[i] : 0;
}

/* rpmvercmp() on spans: -1, 0 or 1. */
static int rpmvercmp(span a, span b)
{
    size_t i = 0, j = 0;

    if (a.n == b.n && !memcmp(a.p, b.p, a.n))
        return 0;
    while (i < a.n || j < b.n) {
        while (i < a.n && !is_alnum(at(a, i)) && at(a, i) != '~' && at(a, i) != '^')
            i++;
        while (j < b.n && !is_alnum(at(b, j)) && at(b, j) != '~' && at(b, j) != '^')
            j++;

        /* '~' sorts before everything else, the end included. */
        if (at(a, i) == '~' || at(b, j) == '~') {
            if (at(a, i) != '~')
                return 1;
            if (at(b, j) != '~')
                return -1;
            i++;
            j++;
            continue;
        }
        /* '^' sorts after the end, before everything else. */
        if (at(a, i) == '^' || at(b, j) == '^') {
            if (i >= a.n)
                return -1;
            if (j >= b.n)
                return 1;
            if (at(a, i) != '^')
                return 1;
            if (at(b, j) != '^')
                return -1;
            i++;
            j++;
            continue;
        }
        if (i >= a.n || j >= b.n)
            break;

        size_t si = i, sj = j;
        int isnum = is_digit(at(a, i));
        if (isnum) {
            while (is_digit(at(a, i)))
                i++;
            while (is_digit(at(b, j)))
                j++;
        } else {
            while (is_alpha(at(a, i)))
                i++;
            while (is_alpha(at(b, j)))
                j++;
        }
        /* A numeric segment is newer than an alphabetic one. */
        if (sj == j)
            return isnum ? 1 : -1;
        if (isnum) {
            while (si < i && a.p[si] == '0')
                si++;
            while (sj < j && b.p[sj] == '0')
                sj++;
            if (i - si != j - sj)
                return i - si > j - sj ? 1 : -1;
        }
        size_t la = i - si, lb = j - sj;
        int rc = memcmp(a.p + si, b.p + sj, la < lb ? la : lb);
        if (rc)
            return rc < 0 ? -1 : 1;
        if (la != lb)
            return la < lb ? -1 : 1;
    }
    if (i >= a.n && j >= b.n)
        return 0;
    return i >= a.n ? -1 : 1;
}

/* rpmverParse(): leading digits then ':' make the epoch; the last '-' after
 * them starts the release. 0, or -1 for an empty or oversized string. */
static int parse(const char *s, evr *out)
{
    size_t n, d = 0;
    const char *hyphen = NULL;

    if (!s || !*s)
        return -1;
    n = strnlen(s, RPM_VERSION_MAX + 1);
    if (n > RPM_VERSION_MAX)
        return -1;
    while (d < n && is_digit((unsigned char)s[d]))
        d++;
    for (size_t k = d; k < n; k++)
        if (s[k] == '-')
            hyphen = s + k;
    size_t vstart = 0;
    if (d < n && s[d] == ':') {
        out->e = d ? (span){s, d} : (span){"0", 1};
        vstart = d + 1;
    } else {
        out->e = (span){"0", 1};
    }
    if (hyphen) {
        out->v = (span){s + vstart, (size_t)(hyphen - (s + vstart))};
        out->r = (span){hyphen + 1, (size_t)(s + n - hyphen - 1)};
        out->has_r = 1;
    } else {
        out->v = (span){s + vstart, n - vstart};
        out->r = (span){"", 0};
        out->has_r = 0;
    }
    return 0;
}

static int rpm_compare(const char *a, const char *b, int *cmp)
{
    evr x, y;
    int rc;

    if (parse(a, &x) < 0 || parse(b, &y) < 0)
        return RS_ERR_INVALID;
    rc = rpmvercmp(x.e, y.e);
    if (rc == 0)
        rc = rpmvercmp(x.v, y.v);
    /* rpm 4.18 (rpmverCmp, and labelCompare() of its Python binding): a
     * missing release sorts before any release, even an empty one. */
    if (rc == 0 && x.has_r != y.has_r)
        rc = x.has_r ? 1 : -1;
    if (rc == 0 && x.has_r)
        rc = rpmvercmp(x.r, y.r);
    *cmp = rc;
    return 0;
}

static int rpm_valid(const char *v)
{
    evr x;
    return parse(v, &x) == 0;
}

const rs_version_scheme rs_version_rpm = {"rpm", rpm_compare, rpm_valid};
