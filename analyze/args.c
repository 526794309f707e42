/* args.c - the child's command line (written by rs_sandbox_analyze, the
 * parent) and the analyzers it names. Only options, never secrets: the
 * parent passes limits, a media type and analyzer names. */
#include "analyze.h"
#include "base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int num(const char *opt, const char *v, uint64_t *out, char *errstr, size_t errsz)
{
    char *end = NULL;
    errno = 0;
    unsigned long long n = v && *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
    if (!v || !end || *end || errno)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid value for '%s'", opt);
    *out = n;
    return 0;
}

/* Sets the field the option names; RS_ERR_CONFIG for an unknown option. */
static int set_opt(rs_analyze_args *a, const char *opt, const char *v, char *errstr,
                   size_t errsz)
{
    uint64_t n = 0;
    if (!strcmp(opt, "--limit")) {
        /* "max_packages=40000": a result limit or what is left of an image's */
        char name[64];
        const char *eq = strchr(v, '=');
        if (!eq || (size_t)(eq - v) >= sizeof name)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid value for '%s'", opt);
        memcpy(name, v, (size_t)(eq - v));
        name[eq - v] = '\0';
        return rs_limits_set(&a->limits, &a->image, name, eq + 1, errstr, errsz);
    }
    if (!strcmp(opt, "--media-type"))
        a->media_type = v;
    else if (!strcmp(opt, "--analyzers"))
        a->names = v;
    else if (!strcmp(opt, "--max-ratio")) {
        char *end = NULL;
        a->limits.max_ratio = strtod(v, &end);
        if (!end || *end || a->limits.max_ratio < 0)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid value for '%s'", opt);
    } else if (num(opt, v, &n, errstr, errsz))
        return RS_ERR_CONFIG;
    else if (!strcmp(opt, "--max-entries"))
        a->limits.max_entries = (size_t)n;
    else if (!strcmp(opt, "--max-uncompressed"))
        a->limits.max_uncompressed_bytes = n;
    else if (!strcmp(opt, "--ratio-min"))
        a->limits.ratio_min_bytes = n;
    else if (!strcmp(opt, "--max-path"))
        a->limits.max_path_len = (size_t)n;
    else if (!strcmp(opt, "--memory"))
        a->memory_bytes = n;
    else if (!strcmp(opt, "--cpu") && n <= 1000000)
        a->cpu_s = (unsigned)n;
    else
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "unknown option '%s'", opt);
    return 0;
}

int rs_analyze_parse_args(int argc, char **argv, rs_analyze_args *a, char *errstr, size_t errsz)
{
    rs_layer_limits dl = RS_LAYER_LIMITS_DEFAULT;
    memset(a, 0, sizeof *a);
    a->limits = dl;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "option '%s' needs a value", argv[i]);
        int rc = set_opt(a, argv[i], argv[i + 1], errstr, errsz);
        if (rc)
            return rc;
    }
    return 0;
}

static const rs_analyzer *by_name(const char *name, size_t len)
{
    for (const rs_analyzer *const *p = rs_analyzers_all(); *p; p++)
        if (strlen((*p)->name) == len && !memcmp((*p)->name, name, len))
            return *p;
    return NULL;
}

int rs_analyze_analyzers(const char *names, const rs_analyzer ***out, char *errstr, size_t errsz)
{
    size_t n = 0, cap = 2;
    for (const rs_analyzer *const *p = rs_analyzers_all(); *p; p++)
        cap++;
    const rs_analyzer **list = calloc(cap, sizeof *list);
    if (!list)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (const char *s = names; s && *s && n + 2 < cap;) {
        size_t len = strcspn(s, ",");
        list[n] = by_name(s, len);
        if (!list[n]) {
            free(list);
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "unknown analyzer '%.*s'", (int)len, s);
        }
        n++;
        s += len + (s[len] == ',');
    }
    for (const rs_analyzer *const *p = rs_analyzers_all(); !names && *p; p++)
        list[n++] = *p;
#ifdef RS_TEST_HOOKS
    list[n++] = &rs_analyze_test_trigger;
#endif
    list[n] = NULL;
    *out = list;
    return 0;
}
