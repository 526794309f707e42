/* analyzers/dpkg.c - Debian/Ubuntu package database: /var/lib/dpkg/status and
 * the distroless one-file-per-package /var/lib/dpkg/status.d/<name>.
 *
 * Parses deb822 stanzas as dpkg writes them: field names case-insensitive,
 * continuation lines (leading space or tab), blank lines between stanzas.
 * Only installed packages count, as dpkg-query sees them: the status word of
 * Status is installed (or triggers-pending/-awaited), whatever the selection;
 * status.d files carry no Status field and are installed by being there.
 * A malformed stanza is skipped and counted, never fatal. Bytes that are not
 * UTF-8 become U+FFFD and flag the package (text_replaced). */
#include "analyzers/dpkg_int.h"
#include "analyzers/lines_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DPKG_STATUS "/var/lib/dpkg/status"
#define DPKG_STATUS_D "/var/lib/dpkg/status.d/"
#define DPKG_MAX_FIELD 4096 /* the fields we keep are short; longer is malformed */

static int dpkg_wants(const char *path)
{
    if (strcmp(path, DPKG_STATUS) == 0)
        return 1;
    size_t pl = strlen(DPKG_STATUS_D);
    if (strncmp(path, DPKG_STATUS_D, pl) != 0)
        return 0;
    const char *name = path + pl;
    size_t n = strlen(name);
    if (n == 0 || strchr(name, '/') || name[0] == '.')
        return 0;
    if (n >= 8 && strcmp(name + n - 8, ".md5sums") == 0)
        return 0;
    return 1;
}

/* One stanza's fields of interest, as slices of the input (trimmed). */
typedef struct {
    const char *v[5];
    size_t n[5];
    int bad;
} stanza;

enum { F_PACKAGE, F_STATUS, F_VERSION, F_ARCH, F_SOURCE, F__COUNT };
static const char *const field_names[F__COUNT] = {"Package", "Status", "Version", "Architecture",
                                                  "Source"};

/* Bytes >= 0x80 where dpkg itself keeps them: in Source (a free-form field
 * for dpkg) and in Version (dpkg's status parser is lax: "invalid character
 * in version number" is a warning there, the package stays installed). They
 * are sanitised when copied, so the package is reported, flagged. */
static int high(char c)
{
    return (unsigned char)c >= 0x80;
}

static int valid_name(const char *s, size_t n, int allow_high)
{
    /* Debian policy 5.6.1: lowercase letters, digits, + - . ; at least two chars
     * in policy, but old databases have single-letter names: allow one. dpkg
     * refuses a Package name outside these (a parse error), so does this. */
    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
              c == '.' || (c >= 'A' && c <= 'Z') || c == '_' || (allow_high && high(c))))
            return 0;
    }
    return 1;
}

static int valid_version(const char *s, size_t n)
{
    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '+' || c == '-' || c == '~' || c == ':' || high(c)))
            return 0;
    }
    /* an epoch is digits before the first colon */
    const char *colon = memchr(s, ':', n);
    if (colon) {
        if (colon == s)
            return 0;
        for (const char *q = s; q < colon; q++)
            if (*q < '0' || *q > '9')
                return 0;
    }
    return 1;
}

/* Index of the word s[0..n) in `words`, or -1. */
static int word_in(const char *s, size_t n, const char *const *words, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (n == strlen(words[i]) && strncmp(s, words[i], n) == 0)
            return (int)i;
    return -1;
}

static int is_installed(const char *s, size_t n)
{
    /* "want eflag status", three words separated by single spaces (dpkg(1)).
     * What is on disk is the third word: a package selected for removal
     * ("deinstall ok installed") is still installed until dpkg removes it, as
     * dpkg-query reports it; packages whose triggers are pending or awaited
     * are configured (they satisfy dependencies). config-files, unpacked,
     * half-installed and half-configured packages do not count. */
    static const char *const want[] = {"unknown", "install", "hold", "deinstall", "purge"};
    static const char *const eflag[] = {"ok", "reinstreq"};
    static const char *const status[] = {"installed", "triggers-pending", "triggers-awaited"};
    const char *w[3];
    size_t wn[3], k = 0, i = 0;
    while (k < 3 && i < n) {
        w[k] = s + i;
        while (i < n && s[i] != ' ')
            i++;
        wn[k] = (size_t)(s + i - w[k]);
        k++;
        if (i < n)
            i++; /* the single space */
    }
    if (k != 3 || i != n || (n && s[n - 1] == ' '))
        return 0;
    return word_in(w[0], wn[0], want, 5) >= 0 && word_in(w[1], wn[1], eflag, 2) >= 0 &&
           word_in(w[2], wn[2], status, 3) >= 0;
}

/* Splits Source, "name" or "name (version)", into slices; the version slice
 * is empty when absent. Returns 0, or -1 when malformed. */
static int split_source(const char *s, size_t n, const char **name, size_t *name_n,
                        const char **ver, size_t *ver_n)
{
    size_t i = 0;
    while (i < n && s[i] != ' ' && s[i] != '(')
        i++;
    if (!valid_name(s, i, 1))
        return -1;
    *name = s;
    *name_n = i;
    *ver = NULL;
    *ver_n = 0;
    while (i < n && s[i] == ' ')
        i++;
    if (i == n)
        return 0;
    const char *close = memchr(s + i, ')', n - i);
    if (s[i] != '(' || !close || close != s + n - 1)
        return -1;
    const char *v = s + i + 1;
    size_t vn = (size_t)(close - v);
    while (vn && *v == ' ')
        v++, vn--;
    while (vn && v[vn - 1] == ' ')
        vn--;
    if (!valid_version(v, vn))
        return -1;
    *ver = v;
    *ver_n = vn;
    return 0;
}

static int emit(const char *path, const stanza *st, int status_d, rs_analysis *out)
{
    const char *sn = st->v[F_PACKAGE], *sv = NULL;
    size_t snn = st->n[F_PACKAGE], svn = 0;
    if (st->bad || !st->v[F_PACKAGE] || !st->v[F_VERSION] ||
        !valid_name(st->v[F_PACKAGE], st->n[F_PACKAGE], 0) ||
        !valid_version(st->v[F_VERSION], st->n[F_VERSION])) {
        out->n_malformed++;
        return 0;
    }
    if (st->v[F_STATUS]) {
        if (!is_installed(st->v[F_STATUS], st->n[F_STATUS]))
            return 0;
    } else if (!status_d) {
        return 0; /* the main database always records a Status */
    }
    if (st->v[F_SOURCE] &&
        split_source(st->v[F_SOURCE], st->n[F_SOURCE], &sn, &snn, &sv, &svn) != 0) {
        out->n_malformed++;
        return 0;
    }
    /* dpkg's Source defaults to the binary package itself (deb-control(5));
     * a source version equal to the binary's is not repeated */
    if (sv && svn == st->n[F_VERSION] && memcmp(sv, st->v[F_VERSION], svn) == 0)
        sv = NULL;
    rs_pkg p = {0};
    p.type = (char *)"dpkg";
    p.path = (char *)path;
    p.name = rs_utf8_dup(st->v[F_PACKAGE], st->n[F_PACKAGE], &p.text_replaced);
    p.version = rs_utf8_dup(st->v[F_VERSION], st->n[F_VERSION], &p.text_replaced);
    if (st->v[F_ARCH])
        p.arch = rs_utf8_dup(st->v[F_ARCH], st->n[F_ARCH], &p.text_replaced);
    p.source_name = rs_utf8_dup(sn, snn, &p.text_replaced);
    if (sv)
        p.source_version = rs_utf8_dup(sv, svn, &p.text_replaced);
    int rc = RS_ERR_INTERNAL;
    if (p.name && p.version && (p.arch || !st->v[F_ARCH]) && p.source_name &&
        (p.source_version || !sv))
        rc = rs_analysis_add_pkg(out, &p);
    rs_pkg_clear_read(&p);
    return rc;
}

static int dpkg_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                      char *errstr, size_t errsz)
{
    int status_d = strncmp(path, DPKG_STATUS_D, strlen(DPKG_STATUS_D)) == 0;
    stanza st = {0};
    int in_stanza = 0, last_field = -2; /* -2: no field yet, -1: another field */
    size_t off = 0, n;
    const char *line;
    for (;;) {
        int more = rs_lines_next(data, len, &off, &line, &n);
        size_t k = 0;
        while (more && k < n && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (!more || k == n) {
            /* blank line or end of input closes a stanza */
            if (in_stanza) {
                int rc = emit(path, &st, status_d, out);
                if (rc)
                    return rs_errf(errstr, errsz, rc, "out of memory parsing '%s'", path);
            }
            memset(&st, 0, sizeof st);
            in_stanza = 0;
            last_field = -2;
            if (!more)
                break;
            continue;
        }
        in_stanza = 1;
        if (k > 0) {
            /* a continuation: fine for Description or Conffiles, malformed
             * before any field or after one of ours (all single-line) */
            if (last_field != -1)
                st.bad = 1;
            continue;
        }
        if (line[0] == '#')
            continue; /* deb822 comment, never written by dpkg but allowed */
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line) {
            st.bad = 1;
            last_field = -1;
            continue;
        }
        size_t fn = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = n - fn - 1;
        while (vn && (*v == ' ' || *v == '\t'))
            v++, vn--;
        while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
            vn--;
        last_field = -1;
        for (int f = 0; f < F__COUNT; f++) {
            if (strlen(field_names[f]) == fn && strncasecmp(line, field_names[f], fn) == 0) {
                if (st.v[f] || vn > DPKG_MAX_FIELD)
                    st.bad = 1; /* duplicate or absurd field */
                st.v[f] = v;
                st.n[f] = vn;
                last_field = f;
                break;
            }
        }
    }
    return 0;
}

const rs_analyzer rs_analyzer_dpkg = {
    /* 2: bytes that are not UTF-8 become U+FFFD and flag text_replaced */
    RS_ANALYZER_ID("dpkg", 2),
    .wants = dpkg_wants,
    .max_file_size = 64u * 1024 * 1024,
    .parse = dpkg_parse,
};
