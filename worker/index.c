/* index.c - the index stage of one request under the lease protocol
 * (DESIGN.md §6): the cached inventory of this analyzer version for a tenant
 * whose registry confirms the image, else one job pulls and analyses while
 * holding the digest's lease, and the others wait for its result. */
#include "base.h"
#include "redis.h"
#include "registry.h"
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The `inv:` cache entry of a digest: keyed by the analyzer version, so an
 * upgraded analyzer never reuses what an older one found. */
static void inv_cache_id(const char *digest, char *out, size_t out_size)
{
    snprintf(out, out_size, "%s:%s", RS_ANALYZER_VERSION, digest);
}

/* Decodes an `inv:` cache entry; returns NULL when absent or unusable. */
static rs_inventory *cached_inventory(struct worker *w, const char *digest)
{
    char *data = NULL, err[256], id[200];
    size_t len = 0;
    int found = 0;
    inv_cache_id(digest, id, sizeof id);
    int rc = rs_state_cache_get(w->cache, "inv", id, &data, &len, &found, err, sizeof err);
    if (rc)
        rs_log(RS_LOG_WARN, "cache of '%s' not readable (scanning instead): %s", digest, err);
    if (rc || !found) {
        free(data);
        return NULL;
    }
    json_error_t jerr;
    json_t *j = json_loadb(data, len, 0, &jerr);
    free(data);
    rs_inventory *inv = NULL;
    if (!j || rs_inventory_from_json(j, &inv, err, sizeof err) != 0) {
        rs_log(RS_LOG_WARN, "ignoring unreadable cached inventory of '%s'", digest);
        inv = NULL;
    }
    json_decref(j);
    return inv;
}

static void cache_inventory(struct worker *w, const char *digest, const rs_inventory *inv)
{
    char err[256], id[200];
    inv_cache_id(digest, id, sizeof id);
    json_t *j = rs_inventory_to_json(inv);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s || rs_state_cache_set(w->cache, "inv", id, s, strlen(s), 0, err, sizeof err) != 0)
        rs_log(RS_LOG_WARN, "cannot cache the inventory of '%s'", digest);
    free(s);
}

/* CLOCK_MONOTONIC in ns: one clock for every process on the machine, so the
 * index intervals that several workers log can be compared. */
static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#ifdef RS_TEST_HOOKS
/* Test builds only: REGSCAN_TEST_INDEX_DELAY_MS (1..59999) makes every index
 * under the lease last that much longer, so that the two deliveries of one
 * digest that tests/integration/test_load.py starts together always meet. */
static void index_delay(void)
{
    const char *delay = getenv("REGSCAN_TEST_INDEX_DELAY_MS");
    long ms = delay ? strtol(delay, NULL, 10) : 0;
    if (ms > 0 && ms < 60000) {
        struct timespec d = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&d, NULL);
    }
}
#else
#define index_delay() ((void)0)
#endif

#define LEASE_LOST 1 /* index_with_lease: another worker holds the digest now */

/* The end of an index under the lease, next to its start's line: with their
 * monotonic times, the two lines show that one digest is never indexed twice
 * at once (tests/integration/test_load.py, test_crashes.py). */
static void log_index_end(const struct request *r, int rc)
{
    const char *how = rc == 0                  ? "ok"
                      : rc == LEASE_LOST       ? "lease lost"
                      : rc == RS_ERR_CANCELLED ? "cancelled"
                                               : rs_err_code(rc);
    rs_log(RS_LOG_INFO, "indexing '%s' ended (lease owner '%s', monotonic %lld ns): %s",
           r->req.digest, r->owner, mono_ns(), how);
}

/* Pulls and analyses the image while holding its lease. Returns 0 (r->inv
 * set), LEASE_LOST, RS_ERR_CANCELLED, an infrastructure failure, or the
 * failure of the image (r->scan_err). Counts the attempt (poison detection):
 * only an analysis that ends, well or not, clears it; a cancelled one takes
 * it back; one whose sandboxed child crashed keeps it, as a worker's crash
 * would: past max_attempts the digest is not tried again (r->poisoned). */
static int index_with_lease(struct request *r)
{
    struct worker *w = r->w;
    job_t *jb = r->jb;
    const char *digest = r->req.digest;
    long long attempts = 0;
    const char *reset =
        r->req.force && r->req.batch_id && *r->req.batch_id ? r->req.batch_id : NULL;
    int rc =
        RETRY(jb, rs_state_attempts_start(w->state, RS_ANALYZER_VERSION, digest, reset,
                                          ATTEMPTS_TTL_S, &attempts, r->errstr, sizeof r->errstr));
    if (rc == 0 && attempts > w->o->max_attempts) {
        r->poisoned = 1;
        rc = rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_ANALYZER_CRASHED,
                     "'%s' was started %lld times and never finished: not tried again", digest,
                     attempts - 1);
    }
    if (rc) {
        rs_state_lease_release(w->state, digest, r->owner, NULL, r->errstr, sizeof r->errstr);
        return rc;
    }
    atomic_store(&jb->scan_stop, atomic_load(&jb->cancel));
    rs_lease *lease = rs_lease_hold(w->state, digest, r->owner, w->o->lease_ttl_ms,
                                    LEASE_MAX_LIFE_MS, &jb->scan_stop);
    if (!lease) {
        rs_state_lease_release(w->state, digest, r->owner, NULL, r->errstr, sizeof r->errstr);
        return rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_INTERNAL, "out of memory");
    }
    rs_log(RS_LOG_INFO,
           "indexing '%s' for tenant '%s' (lease owner '%s', attempt %lld, monotonic %lld ns)",
           digest, r->req.tenant, r->owner, attempts, mono_ns());
    rs_scan_opts so;
    rs_scan_opts_default(&so);
    if (w->o->scan)
        so = *w->o->scan;
    so.layer_parallelism = (size_t)w->o->layer_parallelism;
    so.cancel = &jb->scan_stop;
    index_delay();
    rs_scan_result *res = rs_scan_index(r->src, r->req.repository, digest, &so);
    int lost = rs_lease_lost(lease);

    if (lost) {
        rc = LEASE_LOST; /* what this attempt found is not published: the holder's is */
    } else if (atomic_load(&jb->cancel)) {
        rc = rs_errf(r->errstr, sizeof r->errstr, RS_ERR_CANCELLED, "scan of '%s' cancelled",
                     digest);
    } else if (!res) {
        rc = rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_INTERNAL, "out of memory");
    } else if (res->status) {
        rc = rs_errf(r->scan_err, sizeof r->scan_err, res->status, "%s", res->error);
    } else {
        r->inv = res->inv;
        res->inv = NULL;
        r->plat = res->platform;
        r->pull_ms = res->pull_ms;
        r->analyze_ms = res->analyze_ms;
        cache_inventory(w, digest, r->inv);
    }
    rs_scan_result_free(res);
    char err[256];
    if (rc == LEASE_LOST || rc == RS_ERR_CANCELLED)
        RETRY(jb, rs_state_attempts_cancel(w->state, RS_ANALYZER_VERSION, digest, err, sizeof err));
    else if (rc != RS_ERR_ANALYZER_CRASHED) /* a crashed child's start stays counted */
        RETRY(jb, rs_state_attempts_clear(w->state, RS_ANALYZER_VERSION, digest, err, sizeof err));
    log_index_end(r, rc);
    rs_lease_end(lease, 1); /* released unless lost: then it is not ours */
    return rc;
}

/* The cached inventory, for a tenant whose registry confirms the image: 1
 * with r->inv set, 0 when there is none, or the registry's failure. */
static int index_from_cache(struct request *r)
{
    rs_inventory *c = cached_inventory(r->w, r->req.digest);
    if (!c)
        return 0;
    /* a tenant uses a shared result only after its registry confirms the image */
    char d[RS_DIGEST_SIZE] = "", mt[128] = "";
    rs_registry *reg = rs_blobsrc_registry_get(r->src);
    int rc = rs_registry_head_manifest(reg, r->req.repository, r->req.digest, d, mt, r->scan_err,
                                       sizeof r->scan_err);
    if (rc) {
        rs_inventory_free(c);
        return rc;
    }
    r->inv = c;
    r->from_cache = 1;
    rs_log(RS_LOG_INFO, "'%s' for tenant '%s': the cached inventory, no pull", r->req.digest,
           r->req.tenant);
    return 1;
}

/* After the lease is taken: 1 (the lease given back) when the `inv:` entry
 * appeared since the cache was last read, i.e. a holder finished and released
 * its lease in between; indexing again would index the digest twice. */
static int cached_since_check(struct request *r)
{
    rs_inventory *c = cached_inventory(r->w, r->req.digest);
    if (!c)
        return 0;
    rs_inventory_free(c);
    char err[256];
    rs_state_lease_release(r->w->state, r->req.digest, r->owner, NULL, err, sizeof err);
    return 1;
}

/* The index stage with the lease protocol of DESIGN.md §6: one job pulls a
 * digest; the others wait for its `inv:` entry or for its lease to go (a
 * holder renews for at most LEASE_MAX_LIFE_MS, so the wait is bounded). */
int worker_index_digest(struct request *r)
{
    struct worker *w = r->w;
    job_t *jb = r->jb;
    int waiting_logged = 0;
    int use_cache = !r->req.force || !strcmp(r->req.mode, "rematch");
    for (;;) {
        if (atomic_load(&jb->cancel))
            return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_CANCELLED, "scan of '%s' cancelled",
                           r->req.digest);
        if (use_cache) {
            int rc = index_from_cache(r);
            if (rc != 0)
                return rc < 0 ? rc : 0;
        }
        int acquired = 0;
        int rc =
            RETRY(jb, rs_state_lease_acquire(w->state, r->req.digest, r->owner, w->o->lease_ttl_ms,
                                             &acquired, r->errstr, sizeof r->errstr));
        if (rc)
            return rc;
        if (acquired && use_cache && cached_since_check(r))
            continue; /* the previous holder finished between the two: its result */
        if (acquired) {
            rc = index_with_lease(r);
            if (rc != LEASE_LOST)
                return rc;
            continue; /* wait for the new holder's result */
        }
        if (!waiting_logged++)
            rs_log(RS_LOG_INFO,
                   "'%s' for tenant '%s' is being indexed by another worker: waiting for it",
                   r->req.digest, r->req.tenant);
        worker_nap(w, jb, 250);
    }
}
