/* vercmp_maven.c - the Maven version order, after maven-artifact's
 * ComparableVersion (3.9.x: parseVersion, ListItem.normalize and the
 * compareTo of IntItem, LongItem, BigIntegerItem, StringItem and ListItem).
 *
 * Every non-empty string of at most 1024 bytes is a version, as in Maven. The
 * string (lowercased) splits at '.', at '-' (which opens a sub-list) and at
 * every digit/letter transition (which opens a sub-list too). Numbers compare
 * by kind first (up to 9 digits, up to 18, more: Maven's int, long and
 * BigInteger items) then by value; qualifiers rank alpha < beta < milestone <
 * rc = cr < snapshot < "" = ga = final = release < sp < other strings
 * (lexically); a, b, m directly followed by a digit are alpha, beta,
 * milestone. Trailing null items (0, "", empty lists) are dropped.
 *
 * A sub-list is always the last item of its parent, so a parsed version is a
 * chain of lists held in two flat arrays and compared without recursion.
 * Letters are ASCII: other bytes are kept as they are (Java would lowercase
 * non-ASCII capitals and read non-ASCII decimal digits as digits). */
#include "charclass_int.h"
#include "match.h"
#include "base.h"

#include <stdint.h>
#include <string.h>

#define MVN_MAX_LEN 1024

enum { K_INT = 0, K_LONG = 1, K_BIG = 2, K_STR = 3 };
enum { Q_RELEASE = 5, Q_OTHER = 7 }; /* index in QUALIFIERS; 7 = lexical */

typedef struct item {
    uint16_t off; /* number: digits; other qualifier: its text */
    uint16_t len;
    uint8_t kind;
    uint8_t qual; /* K_STR: 0..6 known, Q_OTHER */
} item;

typedef struct list {
    uint16_t first; /* index of its first item */
    uint16_t count; /* atomic items */
} list;

typedef struct mvn {
    const char *s;
    size_t nlists; /* the chain: list k+1 is the last item of list k */
    item items[MVN_MAX_LEN + 1];
    list lists[2 * MVN_MAX_LEN + 2];
} mvn;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) equal the lowercase word w, ignoring ASCII case? */
static int word_is(const char *s, size_t n, const char *w)
{
    if (strlen(w) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != w[i])
            return 0;
    return 1;
}

static int is_zero(const char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] != '0')
            return 0;
    return 1;
}

static void add_item(mvn *v, item it)
{
    list *l = &v->lists[v->nlists - 1];
    v->items[l->first + l->count] = it;
    l->count++;
}

static void new_list(mvn *v)
{
    const list *cur = &v->lists[v->nlists - 1];
    v->lists[v->nlists].first = (uint16_t)(cur->first + cur->count);
    v->lists[v->nlists].count = 0;
    v->nlists++;
}

static item num_item(const mvn *v, size_t st, size_t end)
{
    item it = {(uint16_t)st, (uint16_t)(end - st), K_INT, 0};
    size_t n = end - st;
    /* stripLeadingZeroes keeps an all-zero string whole: its length picks the kind */
    if (!is_zero(v->s + st, n))
        while (n > 0 && v->s[end - n] == '0')
            n--;
    it.kind = n <= 9 ? K_INT : n <= 18 ? K_LONG : K_BIG;
    return it;
}

static item str_item(const mvn *v, size_t st, size_t end, int followed_by_digit)
{
    static const char *const known[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
    item it = {(uint16_t)st, (uint16_t)(end - st), K_STR, Q_OTHER};
    const char *t = v->s + st;
    size_t n = end - st;
    if (followed_by_digit && n == 1) {
        char c = lower(t[0]);
        if (c == 'a')
            t = "alpha", n = 5;
        else if (c == 'b')
            t = "beta", n = 4;
        else if (c == 'm')
            t = "milestone", n = 9;
    }
    if (word_is(t, n, "ga") || word_is(t, n, "final") || word_is(t, n, "release"))
        t = "", n = 0;
    else if (word_is(t, n, "cr"))
        t = "rc", n = 2;
    for (uint8_t q = 0; q < 7; q++)
        if (word_is(t, n, known[q]))
            it.qual = q;
    return it;
}

static item parse_item(const mvn *v, int is_num, size_t st, size_t end)
{
    return is_num ? num_item(v, st, end) : str_item(v, st, end, 0);
}

static int item_is_null(const mvn *v, const item *it)
{
    if (it->kind == K_STR)
        return it->qual == Q_RELEASE;
    return is_zero(v->s + it->off, it->len);
}

/* Parses and normalises `s`; 0 or RS_ERR_INVALID (NULL, empty or too long). */
static int parse(const char *s, mvn *v)
{
    static const item zero = {0, 0, K_INT, 0};
    if (!s || !*s)
        return RS_ERR_INVALID;
    size_t len = strnlen(s, MVN_MAX_LEN + 1);
    if (len > MVN_MAX_LEN)
        return RS_ERR_INVALID;
    v->s = s;
    v->nlists = 1;
    v->lists[0].first = 0;
    v->lists[0].count = 0;
    int is_num = 0;
    size_t st = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.' || c == '-') {
            add_item(v, i == st ? zero : parse_item(v, is_num, st, i));
            st = i + 1;
            if (c == '-')
                new_list(v);
        } else if (is_digit(c)) {
            if (!is_num && i > st) {
                if (v->lists[v->nlists - 1].count > 0)
                    new_list(v);
                add_item(v, str_item(v, st, i, 1));
                st = i;
                new_list(v);
            }
            is_num = 1;
        } else {
            if (is_num && i > st) {
                add_item(v, parse_item(v, 1, st, i));
                st = i;
                new_list(v);
            }
            is_num = 0;
        }
    }
    if (len > st) {
        if (!is_num && v->lists[v->nlists - 1].count > 0)
            new_list(v);
        add_item(v, parse_item(v, is_num, st, len));
    }

    /* normalise deepest first: drop trailing null items, then empty lists */
    size_t keep = v->nlists;
    for (size_t k = v->nlists; k-- > 0;) {
        list *l = &v->lists[k];
        while (l->count > 0 && item_is_null(v, &v->items[l->first + l->count - 1]))
            l->count--;
        if (l->count == 0 && keep == k + 1 && k > 0)
            keep = k;
    }
    v->nlists = keep;
    return 0;
}

/* An element of list k: atomic item j (< count), the sub-list (j == count), or none. */
typedef struct elem {
    const item *it; /* NULL for a list */
    int present;
} elem;

static elem elem_at(const mvn *v, size_t k, size_t j)
{
    elem e = {NULL, 0};
    const list *l = &v->lists[k];
    if (j < l->count) {
        e.it = &v->items[l->first + j];
        e.present = 1;
    } else if (j == l->count && k + 1 < v->nlists) {
        e.present = 1;
    }
    return e;
}

static int sign(int c)
{
    return (c > 0) - (c < 0);
}

/* An atomic item against a missing one (Item.compareTo(null)). */
static int atom_cmp_null(const mvn *v, const item *it)
{
    if (it->kind != K_STR)
        return is_zero(v->s + it->off, it->len) ? 0 : 1;
    return it->qual == Q_OTHER ? 1 : sign((int)it->qual - Q_RELEASE);
}

/* The list at level k against a missing item: its first non-zero item. */
static int list_cmp_null(const mvn *v, size_t k)
{
    for (; k < v->nlists; k++) {
        const list *l = &v->lists[k];
        for (size_t j = 0; j < l->count; j++) {
            int c = atom_cmp_null(v, &v->items[l->first + j]);
            if (c)
                return c;
        }
    }
    return 0;
}

static int atom_cmp(const mvn *va, const item *a, const mvn *vb, const item *b)
{
    if ((a->kind == K_STR) != (b->kind == K_STR))
        return a->kind == K_STR ? -1 : 1;
    if (a->kind != K_STR) {
        if (a->kind != b->kind)
            return a->kind < b->kind ? -1 : 1;
        return rs_vc_numcmp(va->s + a->off, a->len, vb->s + b->off, b->len);
    }
    if (a->qual != Q_OTHER || b->qual != Q_OTHER)
        return sign((int)a->qual - (int)b->qual);
    const char *ta = va->s + a->off, *tb = vb->s + b->off;
    for (size_t i = 0; i < a->len && i < b->len; i++) {
        int c = (unsigned char)lower(ta[i]) - (unsigned char)lower(tb[i]);
        if (c)
            return sign(c);
    }
    return sign((int)a->len - (int)b->len);
}

static int mvn_cmp(const mvn *a, const mvn *b)
{
    size_t ka = 0, kb = 0;
    for (size_t j = 0;; j++) {
        elem l = elem_at(a, ka, j), r = elem_at(b, kb, j);
        int c;
        if (!l.present && !r.present)
            return 0;
        if (!l.present)
            c = -(r.it ? atom_cmp_null(b, r.it) : list_cmp_null(b, kb + 1));
        else if (!r.present)
            c = l.it ? atom_cmp_null(a, l.it) : list_cmp_null(a, ka + 1);
        else if (l.it && r.it)
            c = atom_cmp(a, l.it, b, r.it);
        else if (l.it) /* number > list > string */
            c = l.it->kind == K_STR ? -1 : 1;
        else if (r.it)
            c = r.it->kind == K_STR ? 1 : -1;
        else {
            /* both sub-lists, each the last item of its list: descend */
            ka++, kb++;
            j = (size_t)-1;
            continue;
        }
        if (c)
            return c;
    }
}

RS_VERSION_SCHEME_DEFINE(maven, "maven", mvn, parse, mvn_cmp);
