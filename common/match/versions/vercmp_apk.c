/* vercmp_apk.c - the Alpine version order, after apk-tools' src/version.c
 * (the token scheme of apk-tools 3: token_first/token_next/token_cmp).
 *
 * digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}, suffixes
 * _alpha _beta _pre _rc (before the plain version) and _cvs _svn _git _hg _p
 * (after it). A number field after a dot with a leading zero compares as a
 * string (Gentoo's rule); numbers are apk's uint64_t, wrapping as apk's do.
 * A string apk_version_validate() rejects is invalid here (apk itself would
 * still order it, by the partial tokens). No allocation, no recursion. */
#include "match.h"
#include "base.h"

#include <stdint.h>
#include <string.h>

#define APK_VERSION_MAX 1024

/* The order of the tokens is the grammar: token_next() only allows a token
 * that does not come before the current one, and the end of compare() ranks
 * the longer version by the token it stopped at. */
enum apk_token {
    T_INITIAL_DIGIT,
    T_DIGIT,
    T_LETTER,
    T_SUFFIX,
    T_SUFFIX_NO,
    T_COMMIT_HASH,
    T_REVISION_NO,
    T_END,
    T_INVALID,
};

/* Suffix values: below S_NONE sorts before the plain version. */
enum apk_suffix {
    S_INVALID,
    S_ALPHA,
    S_BETA,
    S_PRE,
    S_RC,
    S_NONE,
    S_CVS,
    S_SVN,
    S_GIT,
    S_HG,
    S_P,
};

typedef struct tok {
    int token;
    int suffix;
    uint64_t number;
    const char *vp; /* the token's text */
    size_t vn;
} tok;

typedef struct cursor {
    const char *p;
    size_t n;
} cursor;

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_lower(int c)
{
    return c >= 'a' && c <= 'z';
}

static int is_hex(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

static int suffix_value(const char *p, size_t n)
{
    static const struct {
        const char *name;
        int value;
    } suffixes[] = {
        {"alpha", S_ALPHA}, {"beta", S_BETA}, {"pre", S_PRE}, {"rc", S_RC}, {"cvs", S_CVS},
        {"svn", S_SVN},     {"git", S_GIT},   {"hg", S_HG},   {"p", S_P},
    };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++)
        if (strlen(suffixes[i].name) == n && !memcmp(suffixes[i].name, p, n))
            return suffixes[i].value;
    return S_INVALID;
}

/* A run of digits as apk_blob_pull_uint() reads it (uint64_t, wrapping). */
static void parse_digits(tok *t, cursor *c)
{
    t->vp = c->p;
    t->number = 0;
    while (c->n && is_digit((unsigned char)*c->p)) {
        t->number = t->number * 10 + (uint64_t)(*c->p - '0');
        c->p++;
        c->n--;
    }
    t->vn = (size_t)(c->p - t->vp);
    if (t->vn == 0)
        t->token = T_INVALID;
}

static void token_first(tok *t, cursor *c)
{
    t->token = T_INITIAL_DIGIT;
    t->suffix = S_NONE;
    parse_digits(t, c);
}

static void token_next(tok *t, cursor *c)
{
    int ch;

    if (c->n == 0) {
        t->token = T_END;
        return;
    }
    ch = (unsigned char)*c->p;
    if (is_lower(ch)) {
        if (t->token > T_DIGIT)
            goto invalid;
        t->vp = c->p;
        t->vn = 1;
        t->token = T_LETTER;
        c->p++;
        c->n--;
    } else if (ch == '.' || is_digit(ch)) {
        if (ch == '.') {
            if (t->token > T_DIGIT)
                goto invalid;
            c->p++;
            c->n--;
        }
        if (t->token == T_INITIAL_DIGIT || t->token == T_DIGIT)
            t->token = T_DIGIT;
        else if (t->token == T_SUFFIX)
            t->token = T_SUFFIX_NO;
        else
            goto invalid;
        parse_digits(t, c);
    } else if (ch == '_') {
        if (t->token > T_SUFFIX_NO)
            goto invalid;
        c->p++;
        c->n--;
        t->vp = c->p;
        while (c->n && is_lower((unsigned char)*c->p)) {
            c->p++;
            c->n--;
        }
        t->vn = (size_t)(c->p - t->vp);
        t->suffix = suffix_value(t->vp, t->vn);
        if (t->suffix == S_INVALID)
            goto invalid;
        t->token = T_SUFFIX;
    } else if (ch == '~') {
        if (t->token >= T_COMMIT_HASH)
            goto invalid;
        c->p++;
        c->n--;
        t->vp = c->p;
        while (c->n && is_hex((unsigned char)*c->p)) {
            c->p++;
            c->n--;
        }
        t->vn = (size_t)(c->p - t->vp);
        if (t->vn == 0)
            goto invalid;
        t->token = T_COMMIT_HASH;
    } else if (ch == '-') {
        if (t->token >= T_REVISION_NO)
            goto invalid;
        if (c->n < 2 || c->p[1] != 'r')
            goto invalid;
        c->p += 2;
        c->n -= 2;
        t->token = T_REVISION_NO;
        parse_digits(t, c);
    } else {
        goto invalid;
    }
    return;
invalid:
    t->token = T_INVALID;
}

/* apk_blob_sort(): bytewise, a prefix first. */
static int blob_sort(const tok *a, const tok *b)
{
    size_t n = a->vn < b->vn ? a->vn : b->vn;
    int r = memcmp(a->vp, b->vp, n);
    if (r)
        return r < 0 ? -1 : 1;
    return a->vn < b->vn ? -1 : a->vn > b->vn ? 1 : 0;
}

/* Two tokens of the same type. */
static int token_cmp(const tok *a, const tok *b)
{
    uint64_t x, y;

    switch (a->token) {
    case T_DIGIT:
        if (a->vp[0] == '0' || b->vp[0] == '0')
            return blob_sort(a, b);
        x = a->number;
        y = b->number;
        break;
    case T_INITIAL_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO:
        x = a->number;
        y = b->number;
        break;
    case T_LETTER:
        x = (unsigned char)a->vp[0];
        y = (unsigned char)b->vp[0];
        break;
    case T_SUFFIX:
        x = (uint64_t)a->suffix;
        y = (uint64_t)b->suffix;
        break;
    default:
        return blob_sort(a, b);
    }
    return x < y ? -1 : x > y ? 1 : 0;
}

static int bounded(const char *v)
{
    return v && strnlen(v, APK_VERSION_MAX + 1) <= APK_VERSION_MAX;
}

static int apk_valid(const char *v)
{
    tok t;
    cursor c;

    if (!bounded(v))
        return 0;
    c = (cursor){v, strlen(v)};
    for (token_first(&t, &c); t.token < T_END; token_next(&t, &c))
        ;
    return t.token == T_END;
}

static int apk_compare(const char *a, const char *b, int *cmp)
{
    tok ta, tb;
    cursor ca, cb;

    if (!apk_valid(a) || !apk_valid(b))
        return RS_ERR_INVALID;
    ca = (cursor){a, strlen(a)};
    cb = (cursor){b, strlen(b)};
    for (token_first(&ta, &ca), token_first(&tb, &cb); ta.token == tb.token && ta.token < T_END;
         token_next(&ta, &ca), token_next(&tb, &cb)) {
        int r = token_cmp(&ta, &tb);
        if (r) {
            *cmp = r;
            return 0;
        }
    }
    /* Equal so far: the one that goes on is greater, unless what follows is a
     * pre-release suffix, or a token that ranks before the other's. */
    if (ta.token == tb.token)
        *cmp = 0;
    else if (ta.token == T_SUFFIX && ta.suffix < S_NONE)
        *cmp = -1;
    else if (tb.token == T_SUFFIX && tb.suffix < S_NONE)
        *cmp = 1;
    else if (ta.token > tb.token)
        *cmp = -1;
    else if (tb.token > ta.token)
        *cmp = 1;
    else
        *cmp = 0;
    return 0;
}

const rs_version_scheme rs_version_apk = {"apk", apk_compare, apk_valid};
