/* analyzers/osrelease.c - /etc/os-release and /usr/lib/os-release.
 *
 * Shell-style KEY=value lines (os-release(5)): single quotes literal, double
 * quotes with \" \\ \$ \` escapes, a backslash outside quotes escapes the next
 * character, '#' starts a comment line. Keeps ID, VERSION_ID,
 * VERSION_CODENAME and PRETTY_NAME: bytes that are not UTF-8 become U+FFFD
 * (the OS is flagged text_replaced) and values too long for rs_os are cut on
 * a character boundary. Which of the two files wins is the merge's business
 * (merge.c: /etc first). */
#include "analyzers/lines_int.h"
#include "analyzers/osrelease_int.h"
#include "base.h"

#include <string.h>

/* The unquoted bytes kept per value. rs_utf8_copy writes at least one byte
 * per byte it reads, so for a field of N bytes it looks at no more than
 * N + 2 bytes (the last character that does not fit): a cut here is never
 * seen, never mistaken for a truncated sequence. */
#define OSR_VALUE_MAX 512
_Static_assert(OSR_VALUE_MAX >= sizeof(((rs_os *)0)->pretty_name) + 3,
               "os-release values are unquoted past what the longest field can hold");

static int osrelease_wants(const char *path)
{
    return strcmp(path, "/etc/os-release") == 0 || strcmp(path, "/usr/lib/os-release") == 0;
}

/* Unquotes a value into out (cut at out_size bytes, NUL bytes kept), its
 * length in *out_len. Returns 0, or -1 for an unterminated quote. */
static int unquote(const char *v, size_t n, char *out, size_t out_size, size_t *out_len)
{
    size_t o = 0;
    char quote = 0;
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (quote == '\'') {
            if (c == '\'') {
                quote = 0;
                continue;
            }
        } else if (quote == '"') {
            if (c == '"') {
                quote = 0;
                continue;
            }
            if (c == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1]))
                c = v[++i];
        } else {
            if (c == '\'' || c == '"') {
                quote = c;
                continue;
            }
            if (c == '\\' && i + 1 < n)
                c = v[++i];
            else if (c == ' ' || c == '\t' || c == '#')
                break; /* unquoted whitespace ends the word; the rest is a comment */
        }
        if (o < out_size)
            out[o++] = c;
    }
    *out_len = o;
    return quote ? -1 : 0;
}

static int osrelease_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                           char *errstr, size_t errsz)
{
    (void)errstr;
    (void)errsz;
    (void)path;
    rs_os os = {0};
    int replaced[4] = {0}; /* per kept key */
    size_t off = 0, n;
    const char *line;
    while (rs_lines_next(data, len, &off, &line, &n)) {
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            n--;
        while (n && (*line == ' ' || *line == '\t'))
            line++, n--;
        if (n == 0 || line[0] == '#')
            continue;
        const char *eq = memchr(line, '=', n);
        if (!eq || eq == line) {
            out->n_malformed++;
            continue;
        }
        size_t kn = (size_t)(eq - line);
        char *dst = NULL;
        size_t dsz = 0;
        int f = -1;
        if (kn == 2 && memcmp(line, "ID", 2) == 0)
            dst = os.id, dsz = sizeof os.id, f = 0;
        else if (kn == 10 && memcmp(line, "VERSION_ID", 10) == 0)
            dst = os.version_id, dsz = sizeof os.version_id, f = 1;
        else if (kn == 16 && memcmp(line, "VERSION_CODENAME", 16) == 0)
            dst = os.version_codename, dsz = sizeof os.version_codename, f = 2;
        else if (kn == 11 && memcmp(line, "PRETTY_NAME", 11) == 0)
            dst = os.pretty_name, dsz = sizeof os.pretty_name, f = 3;
        if (!dst)
            continue;
        /* a key seen twice: the last value wins, and so does its flag */
        char value[OSR_VALUE_MAX];
        size_t vlen;
        replaced[f] = 0;
        if (unquote(eq + 1, n - kn - 1, value, sizeof value, &vlen) != 0) {
            dst[0] = '\0';
            out->n_malformed++;
        } else {
            rs_utf8_copy(dst, dsz, value, vlen, &replaced[f]);
        }
    }
    os.text_replaced = replaced[0] || replaced[1] || replaced[2] || replaced[3];
    os.found = 1;
    out->os = os;
    return 0;
}

const rs_analyzer rs_analyzer_osrelease = {
    /* 2: bytes that are not UTF-8 become U+FFFD and flag text_replaced */
    RS_ANALYZER_ID("os-release", 2),
    .wants = osrelease_wants,
    .max_file_size = 64u * 1024,
    .parse = osrelease_parse,
};
