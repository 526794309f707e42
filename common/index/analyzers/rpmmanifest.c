/* analyzers/rpmmanifest.c - /var/lib/rpmmanifest/container-manifest-2, the
 * package list Azure Linux and CBL-Mariner distroless images carry instead of
 * an rpm database. One package a line, what
 *   rpm -qa --qf '%{NAME}\t%{VERSION}-%{RELEASE}\t%{INSTALLTIME}\t%{BUILDTIME}\t
 *                 %{VENDOR}\t%{EPOCH}\t%{SIZE}\t%{ARCH}\t%{EPOCHNUM}\t%{SOURCERPM}\n'
 * prints (Mariner's toolkit docs; Syft and Trivy read it so): ten
 * tab-separated fields, EPOCH "(none)" when the package has none, SOURCERPM
 * "(none)" for a package without one. Packages are made as from an rpm
 * header (rpmhdr.c), without a file list: the manifest has none. A line that
 * does not have ten fields, or a name or version-release that is empty, is
 * skipped and counted. */
#include "analyzers/rpmmanifest_int.h"
#include "analyzers/lines_int.h"
#include "analyzers/rpmhdr_int.h"
#include "base.h"

#include <string.h>

#define MANIFEST_PATH "/var/lib/rpmmanifest/container-manifest-2"
#define MANIFEST_FIELDS 10
#define MANIFEST_FIELD_MAX 1024

enum { M_NAME = 0, M_VR = 1, M_EPOCH = 5, M_ARCH = 7, M_SOURCERPM = 9 };

static int manifest_wants(const char *path)
{
    return strcmp(path, MANIFEST_PATH) == 0;
}

/* Splits a line into its ten fields; 0, or -1 for another count. */
static int split_fields(const char *line, size_t n, rs_rpmhdr_str f[MANIFEST_FIELDS])
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && line[i] != '\t')
            continue;
        if (k == MANIFEST_FIELDS)
            return -1;
        f[k++] = (rs_rpmhdr_str){line + start, i - start};
        start = i + 1;
    }
    return k == MANIFEST_FIELDS ? 0 : -1;
}

static int is_none(rs_rpmhdr_str s)
{
    return s.n == 6 && memcmp(s.p, "(none)", 6) == 0;
}

/* The epoch field as a number: 0 with *e set, -1 when not digits. */
static int epoch_of(rs_rpmhdr_str s, uint32_t *e)
{
    uint64_t v = 0;
    if (s.n == 0 || s.n > 10)
        return -1;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s.p[i] - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *e = (uint32_t)v;
    return 0;
}

static int manifest_line(const char *path, const char *line, size_t n, rs_analysis *out)
{
    rs_rpmhdr_str f[MANIFEST_FIELDS];
    rs_rpmhdr h;
    memset(&h, 0, sizeof h);
    if (split_fields(line, n, f) || f[M_NAME].n == 0 || f[M_VR].n < 3 ||
        !memchr(f[M_VR].p, '-', f[M_VR].n)) {
        out->n_malformed++;
        return 0;
    }
    for (int i = 0; i < MANIFEST_FIELDS; i++)
        if (f[i].n > MANIFEST_FIELD_MAX || memchr(f[i].p, '\0', f[i].n)) {
            out->n_malformed++;
            return 0;
        }
    if (!is_none(f[M_EPOCH])) {
        if (epoch_of(f[M_EPOCH], &h.epoch)) {
            out->n_malformed++;
            return 0;
        }
        h.has_epoch = 1;
    }
    h.name = f[M_NAME];
    h.version = f[M_VR]; /* version-release already */
    if (!is_none(f[M_ARCH]))
        h.arch = f[M_ARCH];
    if (!is_none(f[M_SOURCERPM]))
        h.sourcerpm = f[M_SOURCERPM];
    return rs_rpmhdr_emit(path, &h, out);
}

static int manifest_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                          char *errstr, size_t errsz)
{
    size_t off = 0, n;
    const char *line;
    while (rs_lines_next(data, len, &off, &line, &n)) {
        if (n == 0)
            continue;
        if (manifest_line(path, line, n, out))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'", path);
    }
    return 0;
}

const rs_analyzer rs_analyzer_rpmmanifest = {
    RS_ANALYZER_ID("rpm-manifest", 1),
    .wants = manifest_wants,
    .max_file_size = 16u * 1024 * 1024,
    .parse = manifest_parse,
};
