/* settings.c - the index limits' settings (REGSCAN_LIMIT_<NAME> and
 * --limit-<name> N) for the worker and `regscan-worker scan` (see scan.h). */
#include "scan.h"
#include "base.h"

#include <string.h>

/* The value of a --limit-<name> argument at argv[i] ("=N" or the next
 * argument); *used: how many arguments it took. NULL when it has none. */
static const char *flag_value(int argc, char **argv, int i, char *name, size_t name_sz, int *used)
{
    const char *a = argv[i] + 8; /* after "--limit-" */
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n >= name_sz)
        n = name_sz - 1;
    memcpy(name, a, n);
    name[n] = '\0';
    *used = eq ? 1 : 2;
    if (eq)
        return eq + 1;
    return i + 1 < argc ? argv[i + 1] : NULL;
}

int rs_scan_opts_settings(rs_scan_opts *o, int *argc, char **argv, char *errstr, size_t errsz)
{
    if (rs_limits_from_env(&o->limits, &o->image, errstr, errsz))
        return RS_ERR_CONFIG;
    int out = 0;
    for (int i = 0; i < *argc;) {
        if (strncmp(argv[i], "--limit-", 8) != 0) {
            argv[out++] = argv[i++];
            continue;
        }
        char name[64];
        int used = 1;
        const char *v = flag_value(*argc, argv, i, name, sizeof name, &used);
        if (!v)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "--limit-%s needs a value", name);
        if (rs_limits_set(&o->limits, &o->image, name, v, errstr, errsz))
            return RS_ERR_CONFIG;
        i += used;
    }
    for (int i = out; i < *argc; i++)
        argv[i] = NULL;
    *argc = out;
    return 0;
}
