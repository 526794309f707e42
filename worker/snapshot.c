/* snapshot.c - the worker follows the pool's vulnerability snapshot
 * (vulndb:current, DESIGN.md §9): checks it between scans, verifies the file's
 * sha256, loads it and swaps it in while scans in flight keep theirs. */
#include "base.h"
#include "worker_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#define VULNDB_CHECK_MS 10000

/* Resident memory of this process in KiB (0 when /proc cannot tell). */
long worker_rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Hashes a file; 0 or an rs_err. */
static int file_sha256(const char *path, char out[RS_DIGEST_SIZE], char *errstr, size_t errsz)
{
    rs_reader *r = rs_reader_file_new(path, errstr, errsz);
    if (!r)
        return RS_ERR_INVALID;
    rs_sha256 *h = rs_sha256_new();
    char buf[65536];
    ssize_t n;
    while (h && (n = rs_reader_read(r, buf, sizeof buf, errstr, errsz)) > 0)
        rs_sha256_update(h, buf, (size_t)n);
    rs_reader_destroy(r);
    if (!h)
        return RS_ERR_INTERNAL;
    rs_sha256_final(h, out);
    rs_sha256_destroy(h);
    return 0;
}

/* Loads the snapshot vulndb:current names when it is not the one loaded:
 * another version or another sha256, not only a higher version, so a Redis
 * that lost its keys and got a new snapshot is followed. Runs at most every
 * VULNDB_CHECK_MS, on one thread at a time; scans in flight keep the
 * snapshot they started with. */
void worker_refresh_vulndb(struct worker *w, int force_check)
{
    if (w->o->vulndb_path)
        return;
    /* a rematch must see the newest snapshot: it waits for a load in progress */
    if (force_check)
        pthread_mutex_lock(&w->db_load_lock);
    else if (pthread_mutex_trylock(&w->db_load_lock) != 0)
        return;
    uint64_t now = rs_now_ms();
    if (!force_check && now - w->db_checked_ms < VULNDB_CHECK_MS) {
        pthread_mutex_unlock(&w->db_load_lock);
        return;
    }
    w->db_checked_ms = now;
    char err[1024];
    rs_vulndb_current cur;
    int found = 0;
    if (rs_state_vulndb_get(w->state, &cur, &found, err, sizeof err) != 0 || !found ||
        (cur.version == w->db_version && (!cur.sha256[0] || !strcmp(cur.sha256, w->db_sha256)))) {
        pthread_mutex_unlock(&w->db_load_lock);
        return;
    }
    uint64_t t0 = rs_now_ms();
    long rss0 = worker_rss_kib();
    char sha[RS_DIGEST_SIZE] = "";
    rs_vulndb *db = NULL;
    rs_vulndb_stats st;
    if (file_sha256(cur.location, sha, err, sizeof err) != 0) {
        rs_log(RS_LOG_ERROR, "cannot read vulnerability snapshot %lld: %s", (long long)cur.version,
               err);
    } else if (cur.sha256[0] && strcmp(sha, cur.sha256) != 0) {
        rs_log(RS_LOG_ERROR, "vulnerability snapshot %lld at '%s' does not hash to '%s': kept %lld",
               (long long)cur.version, cur.location, cur.sha256, (long long)w->db_version);
    } else if (rs_vulndb_load(cur.location, &db, &st, err, sizeof err) != 0) {
        rs_log(RS_LOG_ERROR, "cannot load vulnerability snapshot %lld: %s", (long long)cur.version,
               err);
    } else if (rs_vulndb_version(db) != cur.version) {
        rs_log(RS_LOG_ERROR, "'%s' holds snapshot %lld, not %lld", cur.location,
               (long long)rs_vulndb_version(db), (long long)cur.version);
        rs_vulndb_destroy(db);
        db = NULL;
    }
    if (db) {
        pthread_rwlock_wrlock(&w->db_lock);
        rs_vulndb *old = w->db;
        w->db = db;
        w->db_version = cur.version;
        snprintf(w->db_sha256, sizeof w->db_sha256, "%s", sha);
        pthread_rwlock_unlock(&w->db_lock);
        rs_vulndb_destroy(old);
        rs_log(RS_LOG_INFO,
               "vulnerability snapshot %lld loaded: %zu records in %llu ms, %ld MiB resident "
               "(%+ld MiB)",
               (long long)cur.version, rs_vulndb_count(db), (unsigned long long)(rs_now_ms() - t0),
               worker_rss_kib() / 1024, (worker_rss_kib() - rss0) / 1024);
    }
    pthread_mutex_unlock(&w->db_load_lock);
}
