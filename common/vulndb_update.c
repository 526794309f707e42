/* vulndb_update.c - build and publish the next snapshot (see vulndb_update.h). */
#include "vulndb_update.h"
#include "err.h"
#include "log.h"
#include "state.h"
#include "vulndb_source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int rs_vulndb_update(const rs_config *cfg, const char *const *sources, size_t n_sources,
                     const char *store_dir, const char *cache_dir, rs_vulndb_update_result *out,
                     char *errstr, size_t errsz)
{
    memset(out, 0, sizeof *out);
    rs_vulndb *db = NULL;
    rs_state *st = NULL;
    int rc = 0;
    char cache[1024];
    struct stat sb;
    if (!n_sources)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "--source: at least one source is needed");
    if (!store_dir || stat(store_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "--store: '%s' is not a directory (REGSCAN_VULNDB_DIR)",
                       store_dir ? store_dir : "");
    snprintf(cache, sizeof cache, "%s", cache_dir ? cache_dir : "");
    if (!cache_dir) {
        snprintf(cache, sizeof cache, "%s/cache", store_dir);
        if (mkdir(cache, 0755) != 0 && errno != EEXIST)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot create '%s': %s", cache,
                           strerror(errno));
    }
    st = rs_state_new(cfg->settings.redis_url, cfg->settings.redis_prefix, errstr, errsz);
    if (!st)
        return RS_ERR_UNREACHABLE;
    rs_vulndb_current cur;
    int found = 0;
    if ((rc = rs_state_vulndb_get(st, &cur, &found, errstr, errsz)))
        goto out;
    if (!(db = rs_vulndb_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_sources; i++) {
        char local[4096];
        int from_cache = 0;
        if ((rc = rs_vulndb_source_resolve(sources[i], cache, local, sizeof local, &from_cache,
                                           errstr, errsz)))
            goto out;
        out->sources_from_cache += from_cache;
        long before = out->stats.records;
        if ((rc = rs_vulndb_add(db, local, &out->stats, errstr, errsz)))
            goto out;
        rs_log(RS_LOG_INFO, "source %zu: %ld records%s", i + 1, out->stats.records - before,
               from_cache ? " (unchanged, from the cache)" : "");
    }
    if ((rc = rs_vulndb_finish(db, errstr, errsz)))
        goto out;
    out->stats.replaced = rs_vulndb_replaced(db);
    out->records = rs_vulndb_count(db);
    out->version = (found ? cur.version : 0) + 1;
    snprintf(out->path, sizeof out->path, "%s/vulndb-%06lld.jsonl", store_dir,
             (long long)out->version);
    if ((rc = rs_vulndb_write(db, out->path, out->version, out->sha256, errstr, errsz)))
        goto out;
    rs_vulndb_current next;
    memset(&next, 0, sizeof next);
    next.version = out->version;
    snprintf(next.sha256, sizeof next.sha256, "%s", out->sha256);
    snprintf(next.location, sizeof next.location, "%s", out->path);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(next.built_at, sizeof next.built_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int applied = 0;
    if ((rc = rs_state_vulndb_set(st, &next, &applied, errstr, errsz)))
        goto out;
    if (!applied) {
        remove(out->path);
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG,
                     "another update published a snapshot at or above version %lld meanwhile",
                     (long long)out->version);
    }
out:
    rs_vulndb_destroy(db);
    rs_state_destroy(st);
    return rc;
}
