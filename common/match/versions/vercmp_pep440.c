/* vercmp_pep440.c - the PyPI version order (PEP 440), after pypa/packaging's
 * version.py (packaging 23: VERSION_PATTERN and _cmpkey).
 *
 * [v][N!]N(.N)*[{a|b|c|rc|alpha|beta|pre|preview}[N]][-N | post N | rev N | r N][dev N][+local],
 * case-insensitive, '-' '_' '.' as optional separators, surrounded by optional
 * whitespace. Sort key: epoch, release without trailing zeros, pre (a < b < rc;
 * a dev-only release sorts before every pre-release), post, dev, local
 * (numeric segments above alphanumeric ones, which compare lowercased).
 * Everything else is invalid, including LegacyVersion strings that packaging
 * 22+ rejects too. Letters are ASCII only: packaging's IGNORECASE regex also
 * lets a few non-ASCII letters (U+212A, U+017F, U+0130, U+0131) stand for
 * ASCII ones; those strings are invalid here. No allocation. */
#include "match.h"
#include "base.h"

#include <string.h>

#define PEP440_MAX_LEN 1024

enum { PRE_NEG = -1, PRE_A = 0, PRE_B = 1, PRE_RC = 2, PRE_INF = 3 };

typedef struct span {
    const char *p;
    size_t n;
} span;

typedef struct pep440 {
    span epoch;   /* digits, empty = 0 */
    span release; /* "N(.N)*" */
    int pre;      /* PRE_* */
    span pre_n;   /* digits, empty = 0 */
    int has_post;
    span post_n;
    int has_dev;
    span dev_n;
    span local; /* after '+', empty = none */
} pep440;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_alnum(char c)
{
    char l = lower(c);
    return is_digit(c) || (l >= 'a' && l <= 'z');
}

static int is_sep(char c)
{
    return c == '-' || c == '_' || c == '.';
}

/* Length of the whitespace character at p (Python's str.isspace(), UTF-8), or 0. */
static size_t space_len(const unsigned char *p, const unsigned char *end)
{
    size_t left = (size_t)(end - p);
    if (left == 0)
        return 0;
    if ((p[0] >= 0x09 && p[0] <= 0x0d) || (p[0] >= 0x1c && p[0] <= 0x20))
        return 1;
    if (left >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (left < 3)
        return 0;
    unsigned cp = ((unsigned)(p[0] & 0x0f) << 12) | ((unsigned)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
    if ((p[0] & 0xf0) != 0xe0 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
        return 0;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202f || cp == 0x205f || cp == 0x3000)
        return 3;
    return 0;
}

/* Same as space_len for the character that ends at `end`. */
static size_t space_len_back(const unsigned char *start, const unsigned char *end)
{
    for (size_t k = 1; k <= 3 && k <= (size_t)(end - start); k++)
        if (space_len(end - k, end) == k)
            return k;
    return 0;
}

/* Matches the case-insensitive word w at *p; advances on success. */
static int word(const char **p, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - *p) < n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((*p)[i]) != w[i])
            return 0;
    *p += n;
    return 1;
}

static span digits(const char **p, const char *end)
{
    span d = {*p, 0};
    while (*p < end && is_digit(**p))
        (*p)++, d.n++;
    return d;
}

static void opt_sep(const char **p, const char *end)
{
    if (*p < end && is_sep(**p))
        (*p)++;
}

/* Parses `s` into v; 0 or RS_ERR_INVALID. */
static int parse(const char *s, pep440 *v)
{
    memset(v, 0, sizeof *v);
    v->pre = PRE_INF;
    if (!s)
        return RS_ERR_INVALID;
    size_t len = strnlen(s, PEP440_MAX_LEN + 1);
    if (len > PEP440_MAX_LEN)
        return RS_ERR_INVALID;
    const unsigned char *us = (const unsigned char *)s, *ue = us + len;
    size_t k;
    while ((k = space_len(us, ue)) > 0)
        us += k;
    while (ue > us && (k = space_len_back(us, ue)) > 0)
        ue -= k;
    const char *p = (const char *)us, *end = (const char *)ue;

    if (p < end && lower(*p) == 'v')
        p++;
    span d = digits(&p, end);
    if (d.n == 0)
        return RS_ERR_INVALID;
    if (p < end && *p == '!') {
        v->epoch = d;
        p++;
        d = digits(&p, end);
        if (d.n == 0)
            return RS_ERR_INVALID;
    }
    v->release.p = d.p;
    while (p + 1 < end && *p == '.' && is_digit(p[1])) {
        p++;
        digits(&p, end);
    }
    v->release.n = (size_t)(p - v->release.p);

    /* pre-release; the words that start alike are told apart by what follows
     * (the regex's backtracking picks the one that lets the whole string match) */
    const char *q = p;
    opt_sep(&q, end);
    int pre = -1;
    if (word(&q, end, "preview") || word(&q, end, "pre") || word(&q, end, "rc") ||
        word(&q, end, "c"))
        pre = PRE_RC;
    else if (word(&q, end, "alpha") || word(&q, end, "a"))
        pre = PRE_A;
    else if (word(&q, end, "beta") || word(&q, end, "b"))
        pre = PRE_B;
    if (pre >= 0) {
        v->pre = pre;
        opt_sep(&q, end);
        v->pre_n = digits(&q, end);
        p = q;
    }

    /* post-release: "-N" or [sep](post|rev|r)[sep][N] */
    if (p + 1 < end && *p == '-' && is_digit(p[1])) {
        p++;
        v->has_post = 1;
        v->post_n = digits(&p, end);
    } else {
        q = p;
        opt_sep(&q, end);
        if (word(&q, end, "post") || word(&q, end, "rev") || word(&q, end, "r")) {
            v->has_post = 1;
            opt_sep(&q, end);
            v->post_n = digits(&q, end);
            p = q;
        }
    }

    /* dev release */
    q = p;
    opt_sep(&q, end);
    if (word(&q, end, "dev")) {
        v->has_dev = 1;
        opt_sep(&q, end);
        v->dev_n = digits(&q, end);
        p = q;
    }
    if (v->pre == PRE_INF && !v->has_post && v->has_dev)
        v->pre = PRE_NEG;

    /* local version: segments of [a-z0-9]+ joined by single separators */
    if (p < end && *p == '+') {
        p++;
        v->local.p = p;
        for (;;) {
            const char *seg = p;
            while (p < end && is_alnum(*p))
                p++;
            if (p == seg)
                return RS_ERR_INVALID;
            if (p < end && is_sep(*p) && p + 1 < end && is_alnum(p[1]))
                p++;
            else
                break;
        }
        v->local.n = (size_t)(p - v->local.p);
    }
    return p == end ? 0 : RS_ERR_INVALID;
}

/* Compares two decimal numbers given as digit strings (empty = 0). */
static int num_cmp(span a, span b)
{
    while (a.n > 0 && *a.p == '0')
        a.p++, a.n--;
    while (b.n > 0 && *b.p == '0')
        b.p++, b.n--;
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    int c = a.n ? memcmp(a.p, b.p, a.n) : 0;
    return (c > 0) - (c < 0);
}

/* Next segment of `all` from *pos, split at '.' (dots_only) or at any of '-' '_'
 * '.'; returns 0 when none is left. */
static int next_seg(span all, size_t *pos, span *seg, int dots_only)
{
    if (*pos >= all.n)
        return 0;
    size_t st = *pos;
    while (*pos < all.n && !(dots_only ? all.p[*pos] == '.' : is_sep(all.p[*pos])))
        (*pos)++;
    seg->p = all.p + st;
    seg->n = *pos - st;
    if (*pos < all.n)
        (*pos)++;
    return 1;
}

/* Release tuples with trailing zeros removed compare like tuples padded with zeros. */
static int release_cmp(span a, span b)
{
    size_t pa = 0, pb = 0;
    for (;;) {
        span sa = {"", 0}, sb = {"", 0};
        int ha = next_seg(a, &pa, &sa, 1), hb = next_seg(b, &pb, &sb, 1);
        if (!ha && !hb)
            return 0;
        int c = num_cmp(sa, sb);
        if (c)
            return c;
    }
}

static int all_digits(span s)
{
    for (size_t i = 0; i < s.n; i++)
        if (!is_digit(s.p[i]))
            return 0;
    return 1;
}

/* Local segments: numbers above strings; strings compare lowercased; a shorter
 * tuple that is a prefix of the other sorts first. */
static int local_cmp(span a, span b)
{
    size_t pa = 0, pb = 0;
    for (;;) {
        span sa, sb;
        int ha = next_seg(a, &pa, &sa, 0), hb = next_seg(b, &pb, &sb, 0);
        if (!ha || !hb)
            return ha - hb;
        int na = all_digits(sa), nb = all_digits(sb);
        if (na != nb)
            return na ? 1 : -1;
        int c = 0;
        if (na) {
            c = num_cmp(sa, sb);
        } else {
            for (size_t i = 0; i < sa.n && i < sb.n && !c; i++)
                c = (unsigned char)lower(sa.p[i]) - (unsigned char)lower(sb.p[i]);
            if (!c)
                c = (sa.n > sb.n) - (sa.n < sb.n);
        }
        if (c)
            return c > 0 ? 1 : -1;
    }
}

static int key_cmp(const pep440 *a, const pep440 *b)
{
    int c = num_cmp(a->epoch, b->epoch);
    if (!c)
        c = release_cmp(a->release, b->release);
    if (!c)
        c = (a->pre > b->pre) - (a->pre < b->pre);
    if (!c && a->pre >= PRE_A && a->pre <= PRE_RC)
        c = num_cmp(a->pre_n, b->pre_n);
    if (!c)
        c = a->has_post - b->has_post;
    if (!c && a->has_post)
        c = num_cmp(a->post_n, b->post_n);
    if (!c)
        c = b->has_dev - a->has_dev; /* no dev sorts after any dev */
    if (!c && a->has_dev)
        c = num_cmp(a->dev_n, b->dev_n);
    if (!c)
        c = (a->local.n > 0) - (b->local.n > 0);
    if (!c && a->local.n)
        c = local_cmp(a->local, b->local);
    return c;
}

RS_VERSION_SCHEME_DEFINE(pep440, "pep440", pep440, parse, key_cmp);
