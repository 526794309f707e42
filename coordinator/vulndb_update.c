/* vulndb_update.c - build and publish the next snapshot (see vulndb_update.h).
 *
 * Several updates may run at once, and Redis may have lost vulndb:current:
 * the next version is one above both vulndb:current and every snapshot file
 * of the store, each file's name is unique to its content, and an update that
 * loses the race for a version deletes only the file it wrote and tries the
 * version after. */
#include "coordinator.h"
#include "base.h"
#include "redis.h"
#include "vulndb_source_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Tries per update: each lost race means another update published a version
 * meanwhile, so this many updates can run at once and all succeed. */
#define PUBLISH_TRIES 5

/* The highest version among the snapshot files of `dir`; 0 when none. Other
 * names (temporary files, the cache, anything else) are ignored. */
static int store_max_version(const char *dir, int64_t *max, char *errstr, size_t errsz)
{
    *max = 0;
    DIR *d = opendir(dir);
    if (!d)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot read the store '%s': %s", dir,
                       strerror(errno));
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v = 0;
        if (rs_vulndb_name_version(e->d_name, &v) && v > *max)
            *max = v;
    }
    closedir(d);
    return 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* After a lost race: removes the file this update wrote, unless vulndb:current
 * names it (another update wrote the same content under the same name and
 * won; names are compared without their directory, which another update may
 * spell differently). Nothing else is ever deleted. */
static void drop_unpublished(rs_state *st, const char *path)
{
    char err[512];
    rs_vulndb_current cur;
    int found = 0;
    if (rs_state_vulndb_get(st, &cur, &found, err, sizeof err) != 0) {
        rs_log(RS_LOG_WARN, "kept '%s' (cannot tell whether it is current: %s)", path, err);
        return;
    }
    if (found && !strcmp(base_name(cur.location), base_name(path)))
        return;
    if (remove(path) != 0)
        rs_log(RS_LOG_WARN, "cannot remove the unpublished snapshot '%s': %s", path,
               strerror(errno));
}

/* One try: writes `db` as the version after both vulndb:current and the
 * store's files, and moves vulndb:current to it. *applied = 0 when another
 * update published that version first (its file is removed then). */
static int publish_once(rs_state *st, const rs_vulndb *db, const char *store_dir,
                        rs_vulndb_update_result *out, int *applied, char *errstr, size_t errsz)
{
    rs_vulndb_current cur;
    int found = 0, rc;
    int64_t in_store = 0;
    *applied = 0;
    if ((rc = rs_state_vulndb_get(st, &cur, &found, errstr, errsz)) ||
        (rc = store_max_version(store_dir, &in_store, errstr, errsz)))
        return rc;
    out->version = (found && cur.version > in_store ? cur.version : in_store) + 1;
    if ((rc = rs_vulndb_write_store(db, store_dir, out->version, out->path, sizeof out->path,
                                    out->sha256, errstr, errsz)))
        return rc;
    rs_vulndb_current next;
    memset(&next, 0, sizeof next);
    next.version = out->version;
    snprintf(next.sha256, sizeof next.sha256, "%s", out->sha256);
    snprintf(next.location, sizeof next.location, "%s", out->path);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(next.built_at, sizeof next.built_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    /* on a Redis error the file stays: it may have been applied; an unused one
     * only makes the next update's version one higher */
    if ((rc = rs_state_vulndb_set(st, &next, applied, errstr, errsz)))
        return rc;
    if (!*applied)
        drop_unpublished(st, out->path);
    return 0;
}

/* Publishes `db` under the next free version, trying the one after when
 * another update takes it first. */
static int publish(rs_state *st, const rs_vulndb *db, const char *store_dir,
                   rs_vulndb_update_result *out, char *errstr, size_t errsz)
{
    for (int i = 0; i < PUBLISH_TRIES; i++) {
        int applied = 0;
        int rc = publish_once(st, db, store_dir, out, &applied, errstr, errsz);
        if (rc || applied)
            return rc;
        out->races_lost++;
        rs_log(RS_LOG_INFO, "snapshot %lld: another update published that version meanwhile",
               (long long)out->version);
    }
    return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                   "other updates published a snapshot first %d times (last at version %lld)",
                   PUBLISH_TRIES, (long long)out->version);
}

/* Loads every source into `db` (URLs through the cache). */
static int load_sources(rs_vulndb *db, const char *const *sources, size_t n_sources,
                        const char *cache, rs_vulndb_update_result *out, char *errstr, size_t errsz)
{
    int rc = 0;
    for (size_t i = 0; i < n_sources; i++) {
        char local[4096];
        int from_cache = 0;
        if ((rc = rs_vulndb_source_resolve(sources[i], cache, local, sizeof local, &from_cache,
                                           errstr, errsz)))
            return rc;
        out->sources_from_cache += from_cache;
        long before = out->stats.records;
        if ((rc = rs_vulndb_add(db, local, &out->stats, errstr, errsz)))
            return rc;
        rs_log(RS_LOG_INFO, "source %zu: %ld records%s", i + 1, out->stats.records - before,
               from_cache ? " (unchanged, from the cache)" : "");
    }
    if ((rc = rs_vulndb_finish(db, errstr, errsz)))
        return rc;
    out->stats.replaced = rs_vulndb_replaced(db);
    out->records = rs_vulndb_count(db);
    return 0;
}

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
    if (!(db = rs_vulndb_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if ((rc = load_sources(db, sources, n_sources, cache, out, errstr, errsz)))
        goto out;
    rc = publish(st, db, store_dir, out, errstr, errsz);
out:
    rs_vulndb_destroy(db);
    rs_state_destroy(st);
    return rc;
}
