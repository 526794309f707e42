/* analyzers/python.c - installed Python distributions: *.dist-info/METADATA
 * (wheels, pip), *.egg-info/PKG-INFO and a PKG-INFO file named *.egg-info
 * (setuptools, distutils, Debian's python3-* packages).
 *
 * Streaming: only the RFC 822 header matters (Name, Version), so the file is
 * read up to its first blank line (or HEADER_MAX bytes) and the rest is let
 * pass unread; nothing of the body is held. Names are reported in PEP 503
 * normal form (lowercase, runs of "-_." as one "-"), as OSV's PyPI records
 * name them. A header without a valid Name or Version is a malformed record. */
#include "analyzers/python_int.h"
#include "analyzers/langpkg_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEADER_MAX (1u << 20) /* Name and Version come first; 1 MB is plenty */
#define LINE_MAX_KEPT 1024    /* longer lines are no Name or Version line */

typedef struct {
    char line[LINE_MAX_KEPT];
    size_t n;     /* bytes of the current line kept */
    int long_ln;  /* the current line outgrew line[] */
    int done;     /* the header ended (blank line) or HEADER_MAX was read */
    size_t seen;  /* header bytes read */
    char *name, *version;
    int replaced; /* version held bytes that were not UTF-8 */
    int bad;      /* a second Name or Version */
    char path[];
} state;

static int ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static int python_wants(const char *path)
{
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/');
    if (ends_with(path, n, ".egg-info"))
        return 1; /* a PKG-INFO written as a file named NAME-VER.egg-info */
    if (!slash || slash == path)
        return 0;
    size_t dir = (size_t)(slash - path);
    if (strcmp(slash, "/METADATA") == 0)
        return ends_with(path, dir, ".dist-info");
    if (strcmp(slash, "/PKG-INFO") == 0)
        return ends_with(path, dir, ".egg-info");
    return 0;
}

int rs_python_normalize(const char *name, size_t n, char *out, size_t out_size)
{
    size_t o = 0;
    if (n == 0 || n > RS_LANGPKG_NAME_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        int sep = c == '-' || c == '_' || c == '.';
        /* PEP 508: letters, digits, "-_."; first and last alphanumeric */
        if (!alnum && !(sep && i > 0 && i + 1 < n))
            return -1;
        if (sep && o && out[o - 1] == '-')
            continue;
        if (o + 2 > out_size)
            return -1;
        out[o++] = sep ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
    return 0;
}

/* One header line: keeps the first Name and Version. */
static void header_line(state *s, const char *l, size_t n)
{
    if (n == 0) {
        s->done = 1;
        return;
    }
    if (l[0] == ' ' || l[0] == '\t')
        return; /* a continuation (Description, License) */
    const char *colon = memchr(l, ':', n);
    if (!colon)
        return;
    size_t kn = (size_t)(colon - l);
    const char *v = colon + 1;
    size_t vn = n - kn - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    char **slot = NULL;
    if (kn == 4 && strncasecmp(l, "Name", 4) == 0)
        slot = &s->name;
    else if (kn == 7 && strncasecmp(l, "Version", 7) == 0)
        slot = &s->version;
    if (!slot)
        return;
    if (*slot) {
        s->bad = 1;
        return;
    }
    if (!rs_langpkg_token(v, vn, RS_LANGPKG_VERSION_MAX)) {
        s->bad = 1;
        return;
    }
    *slot = rs_utf8_dup(v, vn, &s->replaced);
    if (!*slot)
        s->bad = 1; /* out of memory: reported in end() as no name */
}

static int python_begin(const char *path, uint64_t size, void **st, char *errstr, size_t errsz)
{
    (void)size;
    size_t pn = strlen(path);
    state *s = calloc(1, sizeof *s + pn + 1);
    if (!s)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    memcpy(s->path, path, pn + 1);
    *st = s;
    return 0;
}

static int python_feed(void *st, const void *data, size_t len)
{
    state *s = st;
    const char *p = data, *end = p + len;
    while (p < end && !s->done) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (s->n + k > sizeof s->line)
            s->long_ln = 1;
        else
            memcpy(s->line + s->n, p, k), s->n += k;
        s->seen += k + (nl != NULL);
        p += k + (nl != NULL);
        if (!nl)
            break;
        size_t ln = s->n;
        if (ln && s->line[ln - 1] == '\r')
            ln--;
        if (!s->long_ln)
            header_line(s, s->line, ln);
        s->n = 0;
        s->long_ln = 0;
        if (s->seen >= HEADER_MAX)
            s->done = 1;
    }
    return 0;
}

static int python_end(void *st, rs_analysis *out, char *errstr, size_t errsz)
{
    state *s = st;
    int rc = 0;
    if (!out)
        goto free;
    if (!s->done && s->n && !s->long_ln)
        header_line(s, s->line, s->n); /* a last line without a newline */
    char norm[RS_LANGPKG_NAME_MAX + 1];
    if (s->bad || !s->name || !s->version ||
        rs_python_normalize(s->name, strlen(s->name), norm, sizeof norm) != 0) {
        out->n_malformed++;
        goto free;
    }
    rs_langpkg lp = {.type = "python",
                     .ecosystem = "PyPI",
                     .purl_type = "pypi",
                     .purl_name = norm,
                     .purl_lower = 1,
                     .name = norm,
                     .version = s->version,
                     .path = s->path,
                     .text_replaced = s->replaced};
    if (rs_langpkg_add(out, &lp))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'", s->path);
free:
    free(s->name);
    free(s->version);
    free(s);
    return rc;
}

const rs_analyzer rs_analyzer_python = {
    RS_ANALYZER_ID("python", 1),
    .wants = python_wants,
    /* only the header is read, but a METADATA of more than 16 MB is no
     * package's: skipped (LIMIT_EXCEEDED) rather than streamed through */
    .max_file_size = 16u * 1024 * 1024,
    .begin = python_begin,
    .feed = python_feed,
    .end = python_end,
};
