/* vercmp_rubygems.c - the RubyGems version order, after rubygems'
 * lib/rubygems/version.rb (Gem::Version: ANCHORED_VERSION_PATTERN, _segments,
 * canonical_segments, <=>; rubygems 3.3 as Ruby 3.1 ships it).
 *
 * Valid: optional ASCII whitespace around N(.X)*[-Y(.Y)*] (N digits, X
 * alphanumeric, Y alphanumeric or '-'); an empty or blank string is version 0.
 * Each '-' reads as ".pre."; the segments are the runs of digits (numbers of
 * any size) and of letters (case-sensitive strings). Trailing zeros of the
 * numeric prefix and of the whole are dropped, then segments compare pairwise,
 * missing ones as 0, a string below any number ("1.0.a" < "1.0" == "1").
 * No allocation. */
#include "charclass_int.h"
#include "match.h"
#include "base.h"

#include <stdint.h>
#include <string.h>

#define GEM_MAX_LEN 1024
#define GEM_PRE UINT16_MAX /* offset of the "pre" a '-' stands for */

typedef struct seg {
    uint16_t off; /* into the version string, or GEM_PRE */
    uint16_t len;
    uint8_t is_str;
} seg;

typedef struct gem {
    const char *s;
    size_t nseg;
    size_t first_str; /* index of the first string segment, or nseg */
    size_t num_end;   /* end of the numeric prefix without its trailing zeros */
    seg segs[GEM_MAX_LEN + 1];
} gem;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alnum(char c)
{
    return is_digit(c) || is_alpha(c);
}

/* Ruby's /\s/: space, \t, \n, \v, \f, \r. */
static int is_space(char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Matches [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)? on the whole of p..end. */
static int pattern_ok(const char *p, const char *end)
{
    if (p == end || !is_digit(*p))
        return 0;
    while (p < end && is_digit(*p))
        p++;
    while (p + 1 < end && *p == '.' && is_alnum(p[1])) {
        p++;
        while (p < end && is_alnum(*p))
            p++;
    }
    if (p < end && *p == '-') {
        p++;
        for (;;) {
            const char *st = p;
            while (p < end && (is_alnum(*p) || *p == '-'))
                p++;
            if (p == st)
                return 0;
            if (p < end && *p == '.')
                p++;
            else
                break;
        }
    }
    return p == end;
}

static int seg_is_zero(const gem *g, const seg *s)
{
    if (s->is_str)
        return 0;
    for (size_t i = 0; i < s->len; i++)
        if (g->s[s->off + i] != '0')
            return 0;
    return 1;
}

/* Parses `v` into g; 0 or RS_ERR_INVALID. */
static int parse(const char *v, gem *g)
{
    static const char zero[] = "0";
    g->nseg = 0;
    if (!v)
        return RS_ERR_INVALID;
    size_t len = strnlen(v, GEM_MAX_LEN + 1);
    if (len > GEM_MAX_LEN)
        return RS_ERR_INVALID;
    const char *p = v, *end = v + len;
    while (p < end && is_space(*p))
        p++;
    while (end > p && is_space(end[-1]))
        end--;
    if (p == end) {
        p = zero;
        end = zero + 1;
    } else if (!pattern_ok(p, end)) {
        return RS_ERR_INVALID;
    }
    g->s = p;
    while (p < end) {
        seg *s = &g->segs[g->nseg];
        if (*p == '-') {
            s->off = GEM_PRE;
            s->len = 3;
            s->is_str = 1;
            p++;
        } else if (is_alnum(*p)) {
            const char *st = p;
            int d = is_digit(*p);
            while (p < end && (d ? is_digit(*p) : is_alpha(*p)))
                p++;
            s->off = (uint16_t)(st - g->s);
            s->len = (uint16_t)(p - st);
            s->is_str = (uint8_t)!d;
        } else {
            p++;
            continue;
        }
        g->nseg++;
    }
    g->first_str = g->nseg;
    for (size_t i = 0; i < g->nseg; i++)
        if (g->segs[i].is_str) {
            g->first_str = i;
            break;
        }
    g->num_end = g->first_str;
    while (g->num_end > 0 && seg_is_zero(g, &g->segs[g->num_end - 1]))
        g->num_end--;
    return 0;
}

/* The i-th canonical segment as (text, length, is_str); "0" past the end. */
static void canon(const gem *g, size_t i, const char **t, size_t *n, int *is_str)
{
    size_t k = i < g->num_end ? i : g->first_str + (i - g->num_end);
    if (k >= g->nseg) {
        *t = "0", *n = 1, *is_str = 0;
        return;
    }
    const seg *s = &g->segs[k];
    *t = s->off == GEM_PRE ? "pre" : g->s + s->off;
    *n = s->len;
    *is_str = s->is_str;
}

static int gem_cmp(const gem *a, const gem *b)
{
    size_t na = a->num_end + (a->nseg - a->first_str);
    size_t nb = b->num_end + (b->nseg - b->first_str);
    size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        const char *ta, *tb;
        size_t la, lb;
        int sa, sb, c;
        canon(a, i, &ta, &la, &sa);
        canon(b, i, &tb, &lb, &sb);
        if (sa != sb)
            return sa ? -1 : 1;
        if (sa) {
            c = memcmp(ta, tb, la < lb ? la : lb);
            c = c ? c : (la > lb) - (la < lb);
        } else {
            c = rs_vc_numcmp(ta, la, tb, lb);
        }
        if (c)
            return c > 0 ? 1 : -1;
    }
    return 0;
}

RS_VERSION_SCHEME_DEFINE(rubygems, "rubygems", gem, parse, gem_cmp);
