/* analyzers/dpkgfiles.c - the files dpkg installed, per package:
 * /var/lib/dpkg/info/<package>.list (one absolute path per line, directories
 * included) and, on distroless images that have no .list files,
 * /var/lib/dpkg/status.d/<package>.md5sums ("<md5>  <relative path>").
 *
 * Yields no package, only owned paths (rs_analysis.owned): a language
 * package read from a file dpkg installed is the distribution's, reported as
 * the dpkg package (rs_langfilter). A path that cannot be normalised (a ".."
 * component, too long) is a malformed record. Which package owns a path is
 * not kept: nothing needs it. */
#include "analyzers/dpkgfiles_int.h"
#include "analyzers/lines_int.h"
#include "base.h"

#include <string.h>

#define DPKG_INFO "/var/lib/dpkg/info/"
#define DPKG_STATUS_D "/var/lib/dpkg/status.d/"
#define OWNED_PATH_MAX 4096

static int has(const char *path, const char *dir, const char *suffix)
{
    size_t dn = strlen(dir), sn = strlen(suffix), n = strlen(path);
    if (n <= dn + sn || strncmp(path, dir, dn) != 0 || strcmp(path + n - sn, suffix) != 0)
        return 0;
    /* a file of that directory itself, not of a sub-directory, not hidden */
    return path[dn] != '.' && !memchr(path + dn, '/', n - dn);
}

static int dpkgfiles_wants(const char *path)
{
    return has(path, DPKG_INFO, ".list") || has(path, DPKG_STATUS_D, ".md5sums");
}

/* Adds line[0..n) (absolute, or relative to the root) as an owned path. */
static int own(const char *line, size_t n, rs_analysis *out)
{
    char raw[OWNED_PATH_MAX + 1], norm[OWNED_PATH_MAX + 2];
    if (n == 0)
        return 0;
    if (n > OWNED_PATH_MAX || memchr(line, '\0', n)) {
        out->n_malformed++;
        return 0;
    }
    memcpy(raw, line, n);
    raw[n] = '\0';
    if (rs_analyzer_path_normalize(raw, norm, sizeof norm) != 0) {
        out->n_malformed++;
        return 0;
    }
    if (norm[1] == '\0')
        return 0; /* "/.": the root, every .list starts with it */
    return rs_analysis_add_owned(out, norm, strlen(norm));
}

static int dpkgfiles_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                           char *errstr, size_t errsz)
{
    int md5 = strncmp(path, DPKG_STATUS_D, strlen(DPKG_STATUS_D)) == 0;
    size_t off = 0, n;
    const char *line;
    while (rs_lines_next(data, len, &off, &line, &n)) {
        if (md5) {
            /* "<32 hex>  <path>": the path after the two spaces */
            const char *sp = memchr(line, ' ', n);
            if (!sp || (size_t)(sp - line) + 2 > n || sp[1] != ' ') {
                out->n_malformed += n != 0;
                continue;
            }
            n -= (size_t)(sp + 2 - line);
            line = sp + 2;
        }
        if (own(line, n, out))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'", path);
    }
    return 0;
}

const rs_analyzer rs_analyzer_dpkgfiles = {
    RS_ANALYZER_ID("dpkg-files", 1),
    .wants = dpkgfiles_wants,
    .max_file_size = 32u * 1024 * 1024,
    .parse = dpkgfiles_parse,
};
