/* limits.c - the table of the index stage's settable limits and the
 * settings that change them (REGSCAN_LIMIT_<NAME>, --limit-<name>). The
 * walker (layer.c) enforces them; this file only names and parses them. */
#include "index.h"
#include "base.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define L_SZ(f) {#f, offsetof(rs_layer_limits, f), 0, 0}
#define L_U64(f) {#f, offsetof(rs_layer_limits, f), 1, 0}

static const rs_limit_def limits[] = {
    L_SZ(max_packages),
    L_SZ(max_whiteouts),
    L_SZ(max_skipped),
    L_SZ(max_paths),
    L_SZ(max_link_fanout),
    L_U64(max_result_bytes),
    {"max_image_bytes", offsetof(rs_index_budget, max_bytes), 1, 1},
    {"max_image_packages", offsetof(rs_index_budget, max_packages), 1, 1},
    {NULL, 0, 0, 0},
};

const rs_limit_def *rs_limits_all(void)
{
    return limits;
}

/* "max-packages" and "MAX_PACKAGES" name max_packages. */
static const rs_limit_def *find(const char *name)
{
    char norm[64];
    size_t n = strlen(name);
    if (n >= sizeof norm)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = name[i] == '-' ? '_' : (char)tolower((unsigned char)name[i]);
    for (const rs_limit_def *d = limits; d->name; d++)
        if (strcmp(d->name, norm) == 0)
            return d;
    return NULL;
}

int rs_limits_set(rs_layer_limits *lim, rs_index_budget *image, const char *name,
                  const char *value, char *errstr, size_t errsz)
{
    const rs_limit_def *d = find(name);
    if (!d)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "unknown limit '%s'", name);
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (!isdigit((unsigned char)value[0]) || *end || errno || (!d->is_u64 && v > SIZE_MAX))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "limit '%s' must be a count (0: no limit), not '%.32s'", d->name, value);
    char *base = d->image ? (char *)image : (char *)lim;
    if (!base)
        return 0;
    if (d->is_u64)
        *(uint64_t *)(base + d->offset) = (uint64_t)v;
    else
        *(size_t *)(base + d->offset) = (size_t)v;
    return 0;
}

int rs_limits_from_env(rs_layer_limits *lim, rs_index_budget *image, char *errstr, size_t errsz)
{
    for (const rs_limit_def *d = limits; d->name; d++) {
        char var[96];
        size_t o = (size_t)snprintf(var, sizeof var, "REGSCAN_LIMIT_");
        for (size_t i = 0; d->name[i] && o + 1 < sizeof var; i++)
            var[o++] = (char)toupper((unsigned char)d->name[i]);
        var[o] = '\0';
        const char *v = getenv(var);
        if (v && rs_limits_set(lim, image, d->name, v, errstr, errsz))
            return RS_ERR_CONFIG;
    }
    return 0;
}
