/* analyzers/jarmeta.c - Maven identities from pom.properties, MANIFEST.MF and
 * file names.
 *
 * pom.properties is read as Maven writes it: "key=value" lines (also
 * "key: value"), "#" and "!" comments, surrounding blanks trimmed; escapes
 * and continuation lines are not interpreted (Maven writes neither for these
 * three keys), so a value holding one is refused as malformed. MANIFEST.MF is
 * read per the jar specification: "Name: value" headers, names compared
 * without case, a line starting with one space continues the previous one
 * (lines are wrapped at 72 bytes), the main section ends at the first blank
 * line. A kept value is 1..RS_JARMETA_FIELD_MAX bytes with no control
 * character, space, "/" or backslash; the caller checks UTF-8. */
#include "analyzers/jarmeta_int.h"
#include "analyzers/lines_int.h"

#include <string.h>
#include <strings.h>

static int valid_value(const char *s, size_t n)
{
    if (n == 0 || n > RS_JARMETA_FIELD_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '/' || c == '\\')
            return 0;
    }
    return 1;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t' || **s == '\f')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\f'))
        (*n)--;
}

/* Copies a valid value into dst (RS_JARMETA_FIELD_MAX + 1 bytes); 0 if invalid. */
static int set(char *dst, const char *s, size_t n)
{
    if (!valid_value(s, n))
        return 0;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 1;
}

int rs_jarmeta_pom_properties(const char *data, size_t len, rs_jarmeta *out)
{
    static const char *const keys[] = {"groupId", "artifactId", "version"};
    char *dst[] = {out->group, out->artifact, out->version};
    int seen[3] = {0, 0, 0}, bad = 0;
    memset(out, 0, sizeof *out);
    size_t off = 0, n;
    const char *line;
    while (rs_lines_next(data, len, &off, &line, &n)) {
        trim(&line, &n);
        if (!n || line[0] == '#' || line[0] == '!')
            continue;
        size_t k = 0;
        while (k < n && line[k] != '=' && line[k] != ':')
            k++;
        const char *key = line, *val = line + (k < n ? k + 1 : n);
        size_t kn = k, vn = k < n ? n - k - 1 : 0;
        trim(&key, &kn);
        trim(&val, &vn);
        for (size_t i = 0; i < 3; i++)
            if (kn == strlen(keys[i]) && !memcmp(key, keys[i], kn)) {
                bad |= seen[i] || !set(dst[i], val, vn);
                seen[i] = 1;
            }
    }
    return !bad && seen[0] && seen[1] && seen[2];
}

enum { M_TITLE, M_VERSION, M_SYMBOLIC, M_BUNDLE_VERSION, M_VENDOR_ID, M_N };

/* Stores header `name` (nn bytes) with value v (vn bytes) when it is one we keep. */
static void manifest_header(const char *name, size_t nn, const char *v, size_t vn,
                            char vals[M_N][RS_JARMETA_FIELD_MAX + 1])
{
    static const char *const names[M_N] = {"Implementation-Title", "Implementation-Version",
                                           "Bundle-SymbolicName", "Bundle-Version",
                                           "Implementation-Vendor-Id"};
    for (size_t i = 0; i < M_N; i++)
        if (nn == strlen(names[i]) && !strncasecmp(name, names[i], nn)) {
            if (i == M_SYMBOLIC) {
                const char *semi = memchr(v, ';', vn);
                if (semi)
                    vn = (size_t)(semi - v);
                trim(&v, &vn);
            }
            if (!set(vals[i], v, vn))
                vals[i][0] = '\0';
        }
}

/* Ends the header gathered in hdr (hn bytes, continuations joined). */
static void manifest_flush(const char *hdr, size_t hn, char vals[M_N][RS_JARMETA_FIELD_MAX + 1])
{
    const char *colon = memchr(hdr, ':', hn);
    if (!colon)
        return;
    const char *v = colon + 1;
    size_t vn = hn - (size_t)(v - hdr);
    trim(&v, &vn);
    manifest_header(hdr, (size_t)(colon - hdr), v, vn, vals);
}

int rs_jarmeta_manifest(const char *data, size_t len, rs_jarmeta *out)
{
    char vals[M_N][RS_JARMETA_FIELD_MAX + 1];
    /* one header with its continuations; a longer one is not one we keep */
    char hdr[2 * RS_JARMETA_FIELD_MAX];
    size_t hn = 0, off = 0, n;
    int over = 0;
    const char *line;
    memset(vals, 0, sizeof vals);
    memset(out, 0, sizeof *out);
    while (rs_lines_next(data, len, &off, &line, &n)) {
        if (n && line[0] == ' ') {
            over |= hn + n - 1 > sizeof hdr;
            if (!over) {
                memcpy(hdr + hn, line + 1, n - 1);
                hn += n - 1;
            }
            continue;
        }
        if (hn && !over)
            manifest_flush(hdr, hn, vals);
        hn = 0;
        over = 0;
        if (!n)
            break; /* the end of the main section */
        over = n > sizeof hdr;
        if (!over) {
            memcpy(hdr, line, n);
            hn = n;
        }
    }
    if (hn && !over)
        manifest_flush(hdr, hn, vals);
    const char *a = vals[M_TITLE][0] ? vals[M_TITLE] : vals[M_SYMBOLIC];
    const char *v = vals[M_VERSION][0] ? vals[M_VERSION] : vals[M_BUNDLE_VERSION];
    if (!a[0] || !v[0])
        return 0;
    memcpy(out->artifact, a, strlen(a) + 1);
    memcpy(out->version, v, strlen(v) + 1);
    memcpy(out->group, vals[M_VENDOR_ID], strlen(vals[M_VENDOR_ID]) + 1);
    return 1;
}

int rs_jarmeta_file_name(const char *name, rs_jarmeta *out)
{
    memset(out, 0, sizeof *out);
    const char *dot = strrchr(name, '.');
    size_t n = dot ? (size_t)(dot - name) : strlen(name);
    for (size_t i = 1; i + 1 < n; i++)
        if (name[i] == '-' && name[i + 1] >= '0' && name[i + 1] <= '9')
            return set(out->artifact, name, i) && set(out->version, name + i + 1, n - i - 1);
    return 0;
}
