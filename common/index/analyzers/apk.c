/* analyzers/apk.c - Alpine's package database /lib/apk/db/installed.
 *
 * One "X:value" line per field, a blank line between packages. Keeps P (name),
 * V (version), A (arch) and o (origin, the source package Alpine's security
 * data names). A package without P or V is skipped and counted. Bytes that
 * are not UTF-8 become U+FFFD and flag the package (text_replaced).
 * The files of every package (F: a directory, R: a file in it) are kept as
 * owned paths (rs_analysis.owned), so a language package apk installed is
 * reported once, as the apk package. */
#include "analyzers/apk_int.h"
#include "analyzers/lines_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

#define APK_INSTALLED "/lib/apk/db/installed"
#define APK_PATH_MAX 4096

static int apk_wants(const char *path)
{
    return strcmp(path, APK_INSTALLED) == 0;
}

typedef struct {
    const char *v[4];
    size_t n[4];
    int bad;
} record;

enum { K_NAME, K_VERSION, K_ARCH, K_ORIGIN };

static int valid_token(const char *s, size_t n)
{
    if (n == 0 || n > 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '/')
            return 0;
    }
    return 1;
}

/* A kept field, U+FFFD for what is not UTF-8 (flagging p); NULL when absent. */
static char *field(const record *r, int k, rs_pkg *p)
{
    return r->v[k] ? rs_utf8_dup(r->v[k], r->n[k], &p->text_replaced) : NULL;
}

static int emit(const char *path, const record *r, rs_analysis *out)
{
    /* valid_token refuses controls and spaces; bytes >= 0x80 pass and are
     * sanitised below, never refused later by the JSON encoder */
    if (r->bad || !r->v[K_NAME] || !r->v[K_VERSION] || !valid_token(r->v[K_NAME], r->n[K_NAME]) ||
        !valid_token(r->v[K_VERSION], r->n[K_VERSION]) ||
        (r->v[K_ARCH] && !valid_token(r->v[K_ARCH], r->n[K_ARCH])) ||
        (r->v[K_ORIGIN] && !valid_token(r->v[K_ORIGIN], r->n[K_ORIGIN]))) {
        out->n_malformed++;
        return 0;
    }
    rs_pkg p = {0};
    p.type = (char *)"apk";
    p.path = (char *)path;
    p.name = field(r, K_NAME, &p);
    p.version = field(r, K_VERSION, &p);
    p.arch = field(r, K_ARCH, &p);
    p.source_name = field(r, K_ORIGIN, &p);
    int rc = RS_ERR_INTERNAL;
    if (p.name && p.version && (p.arch || !r->v[K_ARCH]) && (p.source_name || !r->v[K_ORIGIN]))
        rc = rs_analysis_add_pkg(out, &p);
    free(p.name);
    free(p.version);
    free(p.arch);
    free(p.source_name);
    return rc;
}

/* The owned path "/<dir>/<file>" of an R: line; a path that cannot be
 * normalised is malformed. Returns 0 or RS_ERR_INTERNAL. */
static int own(const char *dir, size_t dn, const char *file, size_t fn, rs_analysis *out)
{
    char raw[APK_PATH_MAX + 1], norm[APK_PATH_MAX + 3];
    if (dn + fn + 2 > APK_PATH_MAX || memchr(dir, '\0', dn) || memchr(file, '\0', fn) || !fn) {
        out->n_malformed++;
        return 0;
    }
    raw[0] = '/';
    memcpy(raw + 1, dir, dn);
    raw[1 + dn] = '/';
    memcpy(raw + 2 + dn, file, fn);
    raw[2 + dn + fn] = '\0';
    if (rs_analyzer_path_normalize(raw, norm, sizeof norm) != 0) {
        out->n_malformed++;
        return 0;
    }
    return rs_analysis_add_owned(out, norm, strlen(norm));
}

static int apk_parse(const char *path, const char *data, size_t len, rs_analysis *out, char *errstr,
                     size_t errsz)
{
    record r = {0};
    int in_record = 0;
    size_t off = 0, n, dn = 0;
    const char *line, *dir = NULL;
    for (;;) {
        int more = rs_lines_next(data, len, &off, &line, &n);
        if (!more || n == 0) {
            if (in_record) {
                int rc = emit(path, &r, out);
                if (rc)
                    return rs_errf(errstr, errsz, rc, "out of memory parsing '%s'", path);
            }
            memset(&r, 0, sizeof r);
            in_record = 0;
            dir = NULL;
            if (!more)
                break;
            continue;
        }
        in_record = 1;
        if (n < 2 || line[1] != ':') {
            r.bad = 1;
            continue;
        }
        if (line[0] == 'F') {
            dir = line + 2, dn = n - 2;
            continue;
        }
        if (line[0] == 'R') {
            /* an R: before any F: is a file at the root: "/" + file */
            if (own(dir ? dir : "", dir ? dn : 0, line + 2, n - 2, out))
                return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'",
                               path);
            continue;
        }
        int k = -1;
        switch (line[0]) {
        case 'P':
            k = K_NAME;
            break;
        case 'V':
            k = K_VERSION;
            break;
        case 'A':
            k = K_ARCH;
            break;
        case 'o':
            k = K_ORIGIN;
            break;
        default:
            break;
        }
        if (k < 0)
            continue;
        if (r.v[k])
            r.bad = 1;
        r.v[k] = line + 2;
        r.n[k] = n - 2;
    }
    return 0;
}

const rs_analyzer rs_analyzer_apk = {
    /* 2: bytes that are not UTF-8 become U+FFFD and flag text_replaced;
     * 3: owned paths (F: and R: lines) */
    RS_ANALYZER_ID("apk", 3),
    .wants = apk_wants,
    .max_file_size = 64u * 1024 * 1024,
    .parse = apk_parse,
};
