/* kafkaprops.c - REGSCAN_KAFKA_PROPERTIES_FILE: extra librdkafka properties
 * read from a file, as a Kubernetes Secret is mounted, so that a password
 * with any of ',', '=' or ';' in it (an Event Hubs connection string) needs
 * no quoting and never sits in the environment. It does not check the keys:
 * librdkafka does that when the configuration is built (common/kafka). */
#include "config_int.h"
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* One line (without its '\n'): trimmed, a comment or empty is skipped, else
 * it must be key=value with a key of no blanks. */
static int add_line(rs_settings *s, const char *path, size_t lineno, const char *l, size_t n,
                    char *errstr, size_t errstr_size)
{
    while (n && (is_blank(l[n - 1]) || l[n - 1] == '\r'))
        n--;
    while (n && is_blank(*l)) {
        l++;
        n--;
    }
    if (n == 0 || *l == '#')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)l[i] < 0x20 && l[i] != '\t')
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "kafka properties file '%s' line %zu: a control character", path,
                           lineno);
    const char *eq = memchr(l, '=', n);
    size_t klen = eq ? (size_t)(eq - l) : 0;
    while (klen && is_blank(l[klen - 1]))
        klen--;
    if (!eq || klen == 0 || memchr(l, ' ', klen) || memchr(l, '\t', klen))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "kafka properties file '%s' line %zu is not key=value", path, lineno);
    const char *v = eq + 1, *end = l + n;
    while (v < end && is_blank(*v))
        v++;
    /* "key=value" without the blanks around '=' */
    char *kv = malloc(klen + 1 + (size_t)(end - v) + 1);
    if (!kv)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    memcpy(kv, l, klen);
    kv[klen] = '=';
    memcpy(kv + klen + 1, v, (size_t)(end - v));
    size_t len = klen + 1 + (size_t)(end - v);
    kv[len] = '\0';
    int rc = rs_settings_add_prop(s, kv, len, "REGSCAN_KAFKA_PROPERTIES_FILE", errstr,
                                  errstr_size);
    explicit_bzero(kv, len); /* the value may be a password */
    free(kv);
    return rc;
}

/* Reads at most RS_KAFKAPROPS_FILE_MAX bytes of UTF-8 text of `path` into *out. */
static int read_bounded(const char *path, char **out, size_t *out_len, char *errstr,
                        size_t errstr_size)
{
    char why[256];
    int rc = rs_file_read_bounded(path, RS_KAFKAPROPS_FILE_MAX, out, out_len, why, sizeof why);
    if (rc)
        return rs_errf(errstr, errstr_size, rc, "kafka properties file '%s': %s", path, why);
    if (!rs_utf8_valid(*out, *out_len)) {
        explicit_bzero(*out, *out_len);
        free(*out);
        *out = NULL;
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "kafka properties file '%s' is not UTF-8 text", path);
    }
    return 0;
}

int rs_kafkaprops_read_file(rs_settings *s, const char *path, char *errstr, size_t errstr_size)
{
    char *buf = NULL;
    size_t n = 0;
    int rc = read_bounded(path, &buf, &n, errstr, errstr_size);
    if (rc)
        return rc;
    size_t lineno = 1;
    for (size_t b = 0; b < n && !rc; lineno++) {
        const char *nl = memchr(buf + b, '\n', n - b);
        size_t e = nl ? (size_t)(nl - buf) : n;
        rc = add_line(s, path, lineno, buf + b, e - b, errstr, errstr_size);
        b = e + 1;
    }
    explicit_bzero(buf, n);
    free(buf);
    return rc;
}
