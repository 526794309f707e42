/* vercmp_nuget.c - NuGet package versions as NuGet.Client's NuGetVersion.TryParse
 * reads them and VersionComparer.Default orders them.
 *
 * A version is 1 to 4 dot-separated numbers (each 0..2147483647, leading zeros
 * allowed, whitespace allowed around each number), then an optional "-"
 * followed by dot-separated release labels ([0-9A-Za-z-]+, numeric labels
 * without leading zeros) and an optional "+" metadata ([0-9A-Za-z-]+ parts);
 * leading and trailing whitespace (.NET's char.IsWhiteSpace) is trimmed.
 * Missing numbers are 0, so 1.0 == 1.0.0 == 1.0.0.0; the 4th number
 * (revision) counts. A version with labels sorts below the same one without;
 * labels compare one by one, a label that int.TryParse accepts (optionally
 * "-", digits, in Int32 range) numerically and below any other, the others
 * ordinally ignoring ASCII case, and a longer list of equal labels is greater.
 * Metadata is ignored. Strings over 1024 bytes are invalid. This module does
 * not implement version ranges or floating versions. */
#include "charclass_int.h"
#include "match.h"
#include "base.h"

#include <stdint.h>
#include <string.h>

#define NG_MAX_BYTES 1024

typedef struct ngv {
    int32_t num[4];     /* major, minor, patch, revision */
    const char *labels; /* release labels without the '-', or NULL */
    size_t labels_len;
} ngv;

/* Byte length of a character that .NET's char.IsWhiteSpace accepts starting
 * at p, or 0. */
static size_t net_ws_at(const unsigned char *p, const unsigned char *end)
{
    size_t n = (size_t)(end - p);
    if (n >= 1 && (p[0] == ' ' || (p[0] >= 0x09 && p[0] <= 0x0d)))
        return 1;
    if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
        return 2;
    if (n < 3)
        return 0;
    if (rs_vc_unicode_space3(p))
        return 3;
    return 0;
}

/* One section of TryGetNormalizedVersion: whitespace, digits, whitespace and
 * a '.' that must not end the string; an empty section only at the very end. */
static int parse_section(const unsigned char **pp, const unsigned char *end, int32_t *out)
{
    const unsigned char *p = *pp;
    size_t k;
    *out = 0;
    if (p == end)
        return 1;
    while (p < end && (k = net_ws_at(p, end)) > 0)
        p += k;
    int64_t v = 0;
    int digits = 0;
    while (p < end && rs_vc_digit(*p)) {
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            return 0;
        digits = 1;
        p++;
    }
    if (!digits)
        return 0;
    while (p < end && (k = net_ws_at(p, end)) > 0)
        p += k;
    if (p < end) {
        if (*p != '.')
            return 0;
        p++;
        if (p == end)
            return 0; /* the string ended with '.' */
    }
    *out = (int32_t)v;
    *pp = p;
    return 1;
}

/* Dot-separated parts, each non-empty and of [0-9A-Za-z-]; with
 * `no_leading_zeros`, a part of two or more digits must not start with '0'. */
static int valid_parts(const char *s, size_t len, int no_leading_zeros)
{
    size_t i = 0;
    for (;;) {
        size_t start = i;
        int all_digits = 1;
        while (i < len && s[i] != '.') {
            if (!rs_vc_ident((unsigned char)s[i]))
                return 0;
            if (!rs_vc_digit(s[i]))
                all_digits = 0;
            i++;
        }
        if (i == start)
            return 0;
        if (no_leading_zeros && all_digits && i - start > 1 && s[start] == '0')
            return 0;
        if (i == len)
            return 1;
        i++; /* '.' */
    }
}

static int ng_parse(const char *v, ngv *out)
{
    if (!v)
        return 0;
    size_t n = strnlen(v, NG_MAX_BYTES + 1);
    if (n > NG_MAX_BYTES)
        return 0;
    const unsigned char *b = (const unsigned char *)v, *e = b + n;
    size_t k;
    while (b < e && (k = net_ws_at(b, e)) > 0)
        b += k;
    while (e > b && (k = rs_vc_ws_before(b, e, net_ws_at)) > 0)
        e -= k;
    if (b == e)
        return 0;

    /* ParseSections: the version part ends at the first '-' or '+'; a
     * separator that is the last character stays in it (and fails it). */
    const char *s = (const char *)b, *end = (const char *)e;
    size_t len = (size_t)(end - s), sep = 0;
    while (sep < len && s[sep] != '-' && s[sep] != '+')
        sep++;
    const char *labels = NULL, *meta = NULL;
    size_t labels_len = 0, meta_len = 0, ver_len = sep;
    if (sep == len - 1)
        return 0;
    if (sep < len && s[sep] == '+') {
        meta = s + sep + 1;
        meta_len = len - sep - 1;
    } else if (sep < len) {
        size_t plus = sep + 1;
        while (plus < len && s[plus] != '+')
            plus++;
        labels = s + sep + 1;
        if (plus == len || plus == len - 1) {
            labels_len = len - sep - 1; /* a trailing '+' stays in the labels */
        } else {
            labels_len = plus - sep - 1;
            meta = s + plus + 1;
            meta_len = len - plus - 1;
        }
    }
    if (ver_len == 0)
        return 0;

    const unsigned char *p = b, *vend = b + ver_len;
    for (int i = 0; i < 4; i++)
        if (!parse_section(&p, vend, &out->num[i]))
            return 0;
    if (p != vend)
        return 0;
    if (labels && !valid_parts(labels, labels_len, 1))
        return 0;
    if (meta && !valid_parts(meta, meta_len, 0))
        return 0;
    out->labels = labels;
    out->labels_len = labels_len;
    return 1;
}

/* int.TryParse on a label (only [0-9A-Za-z-] reach here): an optional '-'
 * and digits, within Int32. */
static int label_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    if (len && s[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return 0;
    int64_t v = 0;
    for (; i < len; i++) {
        if (!rs_vc_digit(s[i]))
            return 0;
        v = v * 10 + (s[i] - '0');
        if (v > (int64_t)INT32_MAX + 1)
            return 0;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX)
        return 0;
    *out = v;
    return 1;
}

static int ascii_upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

/* CompareRelease of VersionComparer. */
static int cmp_label(const char *a, size_t alen, const char *b, size_t blen)
{
    int64_t na = 0, nb = 0;
    int ia = label_int(a, alen, &na), ib = label_int(b, blen, &nb);
    if (ia && ib)
        return na < nb ? -1 : na > nb;
    if (ia)
        return -1;
    if (ib)
        return 1;
    size_t m = alen < blen ? alen : blen;
    for (size_t i = 0; i < m; i++) {
        int ca = ascii_upper((unsigned char)a[i]), cb = ascii_upper((unsigned char)b[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return alen < blen ? -1 : alen > blen;
}

static size_t label_len(const char *s, const char *end)
{
    const char *dot = memchr(s, '.', (size_t)(end - s));
    return (size_t)((dot ? dot : end) - s);
}

/* CompareReleaseLabels: label by label; a list that runs out first is lower. */
static int cmp_labels(const ngv *x, const ngv *y)
{
    const char *a = x->labels, *ea = a + x->labels_len;
    const char *b = y->labels, *eb = b + y->labels_len;
    for (;;) {
        int ha = a < ea, hb = b < eb;
        if (!ha && !hb)
            return 0;
        if (!ha)
            return -1;
        if (!hb)
            return 1;
        size_t la = label_len(a, ea), lb = label_len(b, eb);
        int c = cmp_label(a, la, b, lb);
        if (c)
            return c;
        a += la + (a + la < ea);
        b += lb + (b + lb < eb);
    }
}

static int nuget_compare(const char *a, const char *b, int *cmp)
{
    ngv x, y;
    if (!ng_parse(a, &x) || !ng_parse(b, &y))
        return RS_ERR_INVALID;
    for (int i = 0; i < 4; i++) {
        if (x.num[i] != y.num[i]) {
            *cmp = x.num[i] < y.num[i] ? -1 : 1;
            return 0;
        }
    }
    if (x.labels && !y.labels)
        *cmp = -1;
    else if (!x.labels && y.labels)
        *cmp = 1;
    else if (!x.labels)
        *cmp = 0;
    else
        *cmp = cmp_labels(&x, &y);
    return 0;
}

static int nuget_valid(const char *v)
{
    ngv x;
    return ng_parse(v, &x);
}

const rs_version_scheme rs_version_nuget = {"nuget", nuget_compare, nuget_valid};
