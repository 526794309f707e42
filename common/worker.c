/* worker.c - the worker's run loop (see worker.h).
 *
 * Threads: the main thread owns the consumer (poll, rebalance, pause/resume,
 * offset store and commit); `concurrency` job threads take requests from a
 * FIFO and run process_request. Shared state (jobs, partitions) sits behind
 * one mutex. A partition's offset is stored only up to the first job of that
 * partition that is not finished, so a worker killed at any instant loses
 * nothing: whatever was not finished is redelivered. */
#include "worker.h"
#include "blobsrc.h"
#include "err.h"
#include "inventory.h"
#include "kafka.h"
#include "lease.h"
#include "log.h"
#include "match.h"
#include "message.h"
#include "registry.h"
#include "scan.h"
#include "state.h"
#include "vulndb.h"
#include "window.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_MAX_LIFE_MS (60 * 60 * 1000)
#define ATTEMPTS_TTL_S (7 * 24 * 3600) /* a poison mark is forgotten after a week */

void rs_worker_opts_default(rs_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    o->concurrency = 2;
    o->layer_parallelism = 4;
    o->lease_ttl_ms = 30000;
    o->max_attempts = 3;
    o->window_per_partition = 4;
    o->outage_budget_s = 300;
    o->drain_timeout_s = 0;
}

/* A job is a request of the window (window.h); its payload the Kafka message. */
typedef rs_window_job job_t;

static rd_kafka_message_t *job_msg(const job_t *j)
{
    return j->payload;
}

struct worker {
    const rs_config *cfg;
    const rs_worker_opts *o;
    rd_kafka_t *rk;
    rs_producer *producer;
    rs_state *state, *cache;
    char worker_id[128];
    rs_window *win;            /* the requests in flight, by partition */
    pthread_mutex_t lock;      /* guards fatal_rc and fatal_msg */
    atomic_int fatal;          /* Kafka or Redis lost for good */
    int fatal_rc;              /* the status that made it fatal */
    char fatal_msg[512];
    int max_message_bytes;
    /* the vulnerability snapshot: read-locked while matching, swapped under
     * the write lock when vulndb:current moves (or fixed by --vulndb) */
    pthread_rwlock_t db_lock;
    pthread_mutex_t db_load_lock;
    rs_vulndb *db;
    int64_t db_version;
    char db_sha256[RS_DIGEST_SIZE]; /* of the file loaded from vulndb:current; "" for none */
    uint64_t db_checked_ms;
};

#define VULNDB_CHECK_MS 10000

/* Resident memory of this process in KiB (0 when /proc cannot tell). */
static long rss_kib(void)
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
static void refresh_vulndb(struct worker *w, int force_check)
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
    long rss0 = rss_kib();
    char sha[RS_DIGEST_SIZE] = "";
    rs_vulndb *db = NULL;
    rs_vulndb_stats st;
    if (file_sha256(cur.location, sha, err, sizeof err) != 0) {
        rs_log(RS_LOG_ERROR, "cannot read vulnerability snapshot %lld: %s",
               (long long)cur.version, err);
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
               (long long)cur.version, rs_vulndb_count(db),
               (unsigned long long)(rs_now_ms() - t0), rss_kib() / 1024,
               (rss_kib() - rss0) / 1024);
    }
    pthread_mutex_unlock(&w->db_load_lock);
}

/* ---- the window's Kafka calls ---- */

static rd_kafka_topic_partition_list_t *one_partition(const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    return l;
}

static void window_store(void *opaque, const char *topic, int32_t partition, int64_t offset)
{
    struct worker *w = opaque;
    rd_kafka_topic_partition_list_t *l = one_partition(topic, partition);
    l->elems[0].offset = offset;
    rd_kafka_resp_err_t e = rd_kafka_offsets_store(w->rk, l);
    if (e)
        rs_log(RS_LOG_WARN, "cannot store offset %lld of '%s' [%d]: %s", (long long)offset, topic,
               partition, rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

static void window_pause(void *opaque, const char *topic, int32_t partition, int pause)
{
    struct worker *w = opaque;
    rd_kafka_topic_partition_list_t *l = one_partition(topic, partition);
    if (pause)
        rd_kafka_pause_partitions(w->rk, l);
    else
        rd_kafka_resume_partitions(w->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

static void window_release(void *opaque, void *payload)
{
    (void)opaque;
    rd_kafka_message_destroy(payload);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct worker *w = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rs_log(RS_LOG_INFO, "assigned %d partitions", parts->cnt);
        rd_kafka_error_t *e = NULL;
        if (cooperative)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
        /* a partition paused when it was revoked comes back paused: resume it */
        rd_kafka_resume_partitions(rk, parts);
        if (e) {
            rs_log(RS_LOG_ERROR, "cannot take the assigned partitions: %s",
                   rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        return;
    }
    int lost = rd_kafka_assignment_lost(rk);
    rs_log(RS_LOG_INFO, "%s %d partitions: finishing their in-flight requests",
           lost ? "lost" : "revoked", parts->cnt);
    for (int i = 0; i < parts->cnt; i++)
        rs_window_revoke(w->win, parts->elems[i].topic, parts->elems[i].partition);
    if (!lost) {
        rd_kafka_resp_err_t ce = rd_kafka_commit(rk, NULL, 0);
        if (ce && ce != RD_KAFKA_RESP_ERR__NO_OFFSET)
            rs_log(RS_LOG_WARN, "cannot commit offsets on revoke: %s", rd_kafka_err2str(ce));
    }
    if (cooperative) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
        if (e)
            rd_kafka_error_destroy(e);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* ---- processing one request ---- */

static void set_fatal(struct worker *w, int rc, const char *msg)
{
    pthread_mutex_lock(&w->lock);
    if (!atomic_load(&w->fatal)) {
        snprintf(w->fatal_msg, sizeof w->fatal_msg, "%s", msg);
        w->fatal_rc = rc;
        atomic_store(&w->fatal, 1);
    }
    pthread_mutex_unlock(&w->lock);
    rs_window_fail(w->win);
}

/* Sleeps ms milliseconds, waking early when the job is cancelled or the
 * worker stops for good. */
static void nap(struct worker *w, const job_t *jb, unsigned ms)
{
    while (ms > 0 && !(jb && atomic_load(&jb->cancel)) && !atomic_load(&w->fatal)) {
        unsigned step = ms < 100 ? ms : 100;
        usleep(step * 1000u);
        ms -= step;
    }
}

/* The backoff of one step that Redis or Kafka could not take (DESIGN.md §6):
 * 200 ms doubling to 10 s, with jitter, for as long as the outage budget. */
struct backoff {
    uint64_t deadline;
    unsigned delay_ms;
    unsigned seed;
};

/* 1 when the step that returned rc is to be tried again (after a pause);
 * 0 for any other result, past the budget, or once the job was cancelled. */
static int backoff_again(struct worker *w, const job_t *jb, struct backoff *b, int rc)
{
    if (!rs_err_is_infra(rc))
        return 0;
    uint64_t now = rs_now_ms();
    if (!b->deadline) {
        b->deadline = now + (uint64_t)w->o->outage_budget_s * 1000u;
        b->delay_ms = 200;
        b->seed = (unsigned)now ^ (unsigned)(uintptr_t)b;
    }
    if (now >= b->deadline || (jb && atomic_load(&jb->cancel)) || atomic_load(&w->fatal))
        return 0;
    unsigned d = b->delay_ms / 2 + (unsigned)rand_r(&b->seed) % (b->delay_ms / 2 + 1);
    if (now + d > b->deadline)
        d = (unsigned)(b->deadline - now);
    nap(w, jb, d);
    b->delay_ms = b->delay_ms >= 5000 ? 10000 : b->delay_ms * 2;
    return 1;
}

/* Runs `expr` (a Redis or Kafka step, giving an rs_err) again while it fails
 * with RS_ERR_STORE or RS_ERR_BROKER, within the outage budget. Needs `w`. */
#define RETRY(jb, expr)                                                                            \
    ({                                                                                             \
        struct backoff b_ = {0};                                                                   \
        int rc_;                                                                                   \
        while (backoff_again(w, (jb), &b_, rc_ = (expr)))                                          \
            ;                                                                                      \
        rc_;                                                                                       \
    })

/* `s` with every byte that is not printable ASCII replaced by '?', into out:
 * reasons quote request fields, and a dead letter must always be valid JSON. */
static void ascii_safe(const char *s, char *out, size_t out_size)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < out_size; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (out_size)
        out[i] = '\0';
}

/* The dead-letter document of job j: the original bytes in base64, cut to
 * what fits under the producer's limit (and then said so). */
static char *dead_letter_doc(struct worker *w, const job_t *j, const char *reason)
{
    const rd_kafka_message_t *m = job_msg(j);
    size_t n = m->len, mmb = (size_t)w->max_message_bytes;
    size_t room = mmb > 16384 ? mmb - 8192 : mmb / 2; /* the fields besides the bytes */
    size_t keep = n > room / 4 * 3 ? room / 4 * 3 : n;
    char *b64 = malloc(4 * ((keep + 2) / 3) + 1), why[1100], when[32];
    if (!b64)
        return NULL;
    EVP_EncodeBlock((unsigned char *)b64, m->payload ? m->payload : (const void *)"", (int)keep);
    ascii_safe(reason, why, sizeof why);
    rs_iso_now(when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:I, s:b, s:s, s:s}", "schema",
                            "regscan.dead-letter/v1", "reason", why, "topic", j->topic, "partition",
                            (int)j->partition, "offset", (json_int_t)j->offset, "original_base64",
                            b64, "original_size", (json_int_t)n, "original_truncated", keep < n,
                            "worker", w->worker_id, "at", when);
    free(b64);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return s;
}

/* Sends job j to the dead-letter topic. Returns 0, or the producer's status
 * when even that failed (Kafka down past the budget, the topic gone). */
static int dead_letter(struct worker *w, job_t *j, const char *reason, char *errstr, size_t errsz)
{
    const rd_kafka_message_t *m = job_msg(j);
    char *s = dead_letter_doc(w, j, reason);
    if (!s)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    char key[512] = "";
    if (m->key && m->key_len < sizeof key)
        ascii_safe((const char *)m->key, key, m->key_len + 1);
    int rc =
        RETRY(j, rs_producer_send_sync(w->producer, w->cfg->settings.topic_dead_letter,
                                       key[0] ? key : NULL, s, strlen(s), 30000, errstr, errsz));
    free(s);
    char why[600];
    ascii_safe(reason, why, sizeof why);
    if (rc == 0)
        rs_log(RS_LOG_WARN, "request at '%s' [%d] offset %lld sent to the dead-letter topic: %s",
               j->topic, j->partition, (long long)j->offset, why);
    return rc;
}

/* Everything one request needs while it is processed. */
struct request {
    struct worker *w;
    job_t *jb;
    rs_scan_request req;
    const rs_registry_conf *rconf;
    char key[600];   /* {tenant}/{digest}: the key of reports and inventories */
    char owner[200]; /* this job's lease owner: worker id / job number */
    rs_done prev;    /* the done entry from before, when prev_found */
    int prev_found;
    rs_blobsrc *src;
    rs_inventory *inv;
    int from_cache;
    rs_platform plat;
    uint64_t t0, pull_ms, analyze_ms, match_ms;
    int scan_rc; /* the outcome of the index stage, an error report when not 0 */
    char scan_err[1024];
    rs_match_result *matches;
    int64_t db_used;
    char fingerprint[RS_DIGEST_SIZE];
    rs_refs refs;
    char errstr[1024];
};

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

#define LEASE_LOST 1 /* index_with_lease: another worker holds the digest now */

/* Pulls and analyses the image while holding its lease. Returns 0 (r->inv
 * set), LEASE_LOST, RS_ERR_CANCELLED, an infrastructure failure, or the
 * failure of the image (r->scan_err). Counts the attempt (poison detection):
 * only an analysis that ends, well or not, clears it; a cancelled one takes
 * it back. */
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
    if (rc == 0 && attempts > w->o->max_attempts)
        rc = rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_ANALYZER_CRASHED,
                     "'%s' was started %lld times and never finished: not tried again", digest,
                     attempts - 1);
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
    rs_scan_opts so;
    rs_scan_opts_default(&so);
    so.layer_parallelism = (size_t)w->o->layer_parallelism;
    so.cancel = &jb->scan_stop;
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
    else
        RETRY(jb, rs_state_attempts_clear(w->state, RS_ANALYZER_VERSION, digest, err, sizeof err));
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
    return 1;
}

/* The index stage with the lease protocol of DESIGN.md §6: one job pulls a
 * digest; the others wait for its `inv:` entry or for its lease to go (a
 * holder renews for at most LEASE_MAX_LIFE_MS, so the wait is bounded). */
static int index_digest(struct request *r)
{
    struct worker *w = r->w;
    job_t *jb = r->jb;
    int waiting_logged = 0;
    for (;;) {
        if (atomic_load(&jb->cancel))
            return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_CANCELLED, "scan of '%s' cancelled",
                           r->req.digest);
        if (!r->req.force || !strcmp(r->req.mode, "rematch")) {
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
        if (acquired) {
            rc = index_with_lease(r);
            if (rc != LEASE_LOST)
                return rc;
            continue; /* wait for the new holder's result */
        }
        if (!waiting_logged++)
            rs_log(RS_LOG_INFO, "'%s' is being indexed by another worker: waiting for it",
                   r->req.digest);
        nap(w, jb, 250);
    }
}

/* Clears the queued mark of a finished request; it expires by itself when
 * Redis says no, so a failure is only logged. */
static void clear_queued(struct worker *w, const rs_scan_request *req)
{
    char err[512];
    if (rs_state_queued_clear(w->state, req->tenant, req->digest, err, sizeof err) != 0)
        rs_log(RS_LOG_WARN, "cannot clear the queued mark of '%s' (it expires by itself): %s",
               req->digest, err);
}

/* Publishes a document in parts to `topic`; all parts are acknowledged or an
 * error is returned. */
static int publish_doc(struct request *r, json_t *doc, const char *topic_tpl,
                       const char *const *arrays)
{
    struct worker *w = r->w;
    char *topic = NULL;
    char **parts = NULL;
    size_t n = 0;
    int rc = rs_topic_for_tenant(topic_tpl, r->req.tenant, &topic);
    if (rc)
        return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    /* keep a margin for the record's key and headers under the broker's limit */
    size_t mmb = (size_t)w->max_message_bytes;
    size_t max = mmb > 8192 ? mmb - 2048 : mmb * 3 / 4;
    rc = rs_message_split(doc, arrays, max, &parts, &n, r->errstr, sizeof r->errstr);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = RETRY(r->jb,
                   rs_producer_send_sync(w->producer, topic, r->key, parts[i], strlen(parts[i]),
                                         30000, r->errstr, sizeof r->errstr));
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    free(topic);
    return rc;
}

/* Checks that the tenant's findings and inventory topics exist and take our
 * messages. Returns 0, the topic's status (RS_ERR_CONFIG, RS_ERR_UNAUTHORIZED)
 * with r->errstr naming it, or an infrastructure failure. */
static int check_topics(struct request *r)
{
    struct worker *w = r->w;
    const char *tpls[2] = {w->cfg->settings.topic_findings, w->cfg->settings.topic_inventory};
    int rc = 0;
    for (int i = 0; i < 2 && rc == 0; i++) {
        char *topic = NULL;
        if (rs_topic_for_tenant(tpls[i], r->req.tenant, &topic))
            return rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
        rc = RETRY(r->jb, rs_producer_topic_check(w->producer, topic, r->errstr, sizeof r->errstr));
        free(topic);
    }
    return rc;
}

/* Sends the request to the dead-letter topic: 1 (finished) or its failure. */
static int dead_lettered(struct request *r, const char *why)
{
    int rc = dead_letter(r->w, r->jb, why, r->errstr, sizeof r->errstr);
    return rc ? rc : 1;
}

/* Decodes the request and checks that it can be worked on: 0 to go on, 1
 * when it is finished already (dead-lettered, or done before), else the
 * failure that stops it (infrastructure, cancellation). */
static int request_admit(struct request *r)
{
    struct worker *w = r->w;
    rd_kafka_message_t *m = job_msg(r->jb);
    int rc = rs_scan_request_decode(m->payload, m->len, &r->req, r->errstr, sizeof r->errstr);
    char why[1200];
    if (rc) {
        snprintf(why, sizeof why, "%s", r->errstr);
        return dead_lettered(r, why);
    }
    const rs_tenant *tenant = rs_config_tenant(w->cfg, r->req.tenant);
    r->rconf = tenant ? rs_config_registry(tenant, r->req.registry) : NULL;
    if (!r->rconf) {
        snprintf(why, sizeof why, "%s '%s' is not in this worker's tenants file",
                 tenant ? "registry" : "tenant", tenant ? r->req.registry : r->req.tenant);
        return dead_lettered(r, why);
    }
    snprintf(r->key, sizeof r->key, "%s/%s", r->req.tenant, r->req.digest);
    rc = check_topics(r);
    if (rc == RS_ERR_CONFIG || rc == RS_ERR_UNAUTHORIZED) {
        /* not done: the next pass asks again once an operator made the topic */
        snprintf(why, sizeof why, "cannot report for tenant '%s': %s", r->req.tenant, r->errstr);
        return dead_lettered(r, why);
    }
    if (rc)
        return rc;
    refresh_vulndb(w, !strcmp(r->req.mode, "rematch"));
    /* what was done before: a redelivery of a finished request is acknowledged
     * without work; a rematch compares its findings with these */
    rc = RETRY(r->jb, rs_state_done_get(w->state, r->req.tenant, r->req.digest, &r->prev,
                                        &r->prev_found, r->errstr, sizeof r->errstr));
    if (rc)
        return rc;
    int64_t db_now = 0;
    pthread_rwlock_rdlock(&w->db_lock);
    db_now = w->db_version;
    pthread_rwlock_unlock(&w->db_lock);
    if (!r->req.force && r->prev_found && !strcmp(r->prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(r->prev.status, "ok") && r->prev.vulndb_version >= db_now) {
        rs_log(RS_LOG_INFO, "'%s' for tenant '%s' is already done", r->req.digest, r->req.tenant);
        clear_queued(w, &r->req);
        return 1;
    }
    return 0;
}

/* A rematch request may not know the platform: the last scan did. */
static void platform_from_prev(struct request *r)
{
    if (r->plat.os[0] || !r->prev_found || !r->prev.platform[0])
        return;
    char *fields[3] = {r->plat.os, r->plat.architecture, r->plat.variant};
    size_t sizes[3] = {sizeof r->plat.os, sizeof r->plat.architecture, sizeof r->plat.variant};
    const char *part = r->prev.platform;
    for (int k = 0; k < 3 && *part; k++) {
        size_t n = strcspn(part, "/");
        snprintf(fields[k], sizes[k], "%.*s", (int)n, part);
        part += n + (part[n] == '/');
    }
}

/* The match stage, on the inventory alone; a failure becomes the image's
 * error (it is deterministic: the same inventory fails the same way). */
static void request_match(struct request *r)
{
    struct worker *w = r->w;
    uint64_t t = rs_now_ms();
    if (r->scan_rc == 0 && r->inv) {
        char err[512] = "";
        pthread_rwlock_rdlock(&w->db_lock);
        r->db_used = w->db_version;
        if (w->db && rs_match_inventory(w->db, r->inv, &r->matches, err, sizeof err) != 0)
            r->matches = NULL;
        pthread_rwlock_unlock(&w->db_lock);
        if (r->db_used && !r->matches)
            r->scan_rc = rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_INTERNAL,
                                 "matching failed: %s", err);
        else if (r->matches)
            rs_match_fingerprint(r->matches, r->fingerprint);
    }
    r->match_ms = rs_now_ms() - t;
}

/* Writes the done entry of a request that reported `report_id`. */
static int write_done(struct request *r, const char *report_id, const char *when)
{
    struct worker *w = r->w;
    rs_done d;
    memset(&d, 0, sizeof d);
    snprintf(d.analyzer_version, sizeof d.analyzer_version, "%s", RS_ANALYZER_VERSION);
    d.vulndb_version = r->db_used;
    snprintf(d.findings, sizeof d.findings, "%s", r->scan_rc ? "" : r->fingerprint);
    if (r->plat.os[0])
        rs_platform_format(&r->plat, d.platform, sizeof d.platform);
    snprintf(d.report_id, sizeof d.report_id, "%s", report_id ? report_id : "");
    snprintf(d.status, sizeof d.status, "%s", r->scan_rc ? "error" : "ok");
    snprintf(d.error_code, sizeof d.error_code, "%s", r->scan_rc ? rs_err_code(r->scan_rc) : "");
    snprintf(d.scanned_at, sizeof d.scanned_at, "%s", when);
    int rc = RETRY(r->jb, rs_state_done_set(w->state, r->req.tenant, r->req.digest, &d, r->errstr,
                                            sizeof r->errstr));
    if (rc == 0) {
        clear_queued(w, &r->req);
        rs_log(RS_LOG_INFO,
               "reported '%s/%s@%s' for tenant '%s': %s, %zu packages, %zu vulnerabilities "
               "(snapshot %lld)",
               r->req.registry, r->req.repository, r->req.digest, r->req.tenant, d.status,
               r->inv ? r->inv->n_pkgs : 0, r->matches ? r->matches->n : 0, (long long)r->db_used);
    }
    return rc;
}

/* The report of the request as it stands (an error report when scan_rc is
 * set, then without inventory); NULL when it cannot be built. */
static json_t *build_report(struct request *r, rs_report_meta *meta)
{
    meta->status = r->scan_rc ? RS_REPORT_ERROR : RS_REPORT_OK;
    meta->error_code = r->scan_rc ? rs_err_code(r->scan_rc) : NULL;
    meta->error_message = r->scan_rc ? r->scan_err : NULL;
    json_t *report = rs_report_build(meta, r->scan_rc ? NULL : r->inv);
    if (report && !r->scan_rc && r->matches && rs_match_to_report(r->matches, report) != 0) {
        json_decref(report);
        report = NULL;
    }
    return report;
}

/* The image gets an error report instead of the one that failed. */
static void become_error(struct request *r, int code, const char *what)
{
    char why[1100];
    snprintf(why, sizeof why, "%s", r->errstr);
    rs_log(RS_LOG_WARN, "report of '%s' for tenant '%s' %s: %s", r->req.digest, r->req.tenant, what,
           why);
    r->scan_rc = rs_errf(r->scan_err, sizeof r->scan_err, code, "the report %s: %.900s", what, why);
}

static const char *const report_arrays[] = {"vulnerabilities", "secrets", "misconfigurations",
                                            "skipped", NULL};
static const char *const inv_arrays[] = {"packages", NULL};

/* Builds and publishes the inventory and the report, then writes `done`.
 * Whatever the image makes fail (a report that cannot be built, one element
 * larger than a message) becomes an error report; a topic that went away is
 * a dead letter. Returns 0 or an infrastructure failure. */
static int request_report(struct request *r)
{
    struct worker *w = r->w;
    rs_report_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.tenant = r->req.tenant;
    meta.registry = r->req.registry;
    meta.repository = r->req.repository;
    meta.digest = r->req.digest;
    int rc = RETRY(r->jb, rs_state_refs_get(w->state, r->req.tenant, r->req.digest, &r->refs,
                                            r->errstr, sizeof r->errstr));
    if (rc)
        return rc;
    meta.refs = r->refs.n ? &r->refs : &r->req.refs;
    meta.platform = &r->plat;
    meta.analyzer_version = RS_ANALYZER_VERSION;
    meta.vulndb_version = r->db_used;
    meta.policy_version = NULL; /* no policy engine yet */
    meta.worker = w->worker_id;
    char scan_id[40], when[32];
    rs_scan_id_new(scan_id);
    rs_iso_now(when, sizeof when);
    meta.scan_id = scan_id;
    meta.scanned_at = when;
    meta.pull_ms = (int64_t)r->pull_ms;
    meta.analyze_ms = (int64_t)r->analyze_ms;
    meta.match_ms = (int64_t)r->match_ms;
    meta.total_ms = (int64_t)(rs_now_ms() - r->t0);

    json_t *report = build_report(r, &meta), *invmsg = NULL;
    if (!report) {
        snprintf(r->errstr, sizeof r->errstr, "building it failed");
        become_error(r, RS_ERR_INTERNAL, "cannot be built");
        report = build_report(r, &meta);
    }
    rc = report ? 0 : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    if (rc == 0 && !r->scan_rc && r->inv && strcmp(r->req.mode, "rematch") != 0) {
        invmsg = rs_inventory_msg_build(&meta, r->inv);
        rc = invmsg ? publish_doc(r, invmsg, w->cfg->settings.topic_inventory, inv_arrays)
                    : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL,
                              "the inventory message cannot be built");
    }
    if (rc == 0)
        rc = publish_doc(r, report, w->cfg->settings.topic_findings, report_arrays);
    if (rc == RS_ERR_LIMIT_EXCEEDED || rc == RS_ERR_INTERNAL) {
        /* one element larger than a whole message (a hostile package name, say): the
         * image gets an error report saying so instead of a report that cannot be sent */
        become_error(r, rc, "cannot be sent");
        json_decref(report);
        report = build_report(r, &meta);
        rc = report ? publish_doc(r, report, w->cfg->settings.topic_findings, report_arrays)
                    : rs_errf(r->errstr, sizeof r->errstr, RS_ERR_INTERNAL, "out of memory");
    }
    if (rc == 0 && r->scan_rc == RS_ERR_ANALYZER_CRASHED) {
        char dl_err[512];
        rc = dead_letter(w, r->jb, r->scan_err, dl_err, sizeof dl_err);
    }
    if (rc == 0)
        rc = write_done(r, json_string_value(json_object_get(report, "report_id")), when);
    else if (!rs_err_is_infra(rc) && rc != RS_ERR_CANCELLED) {
        /* a topic deleted or forbidden since the check, an error report too large */
        char why[1200];
        snprintf(why, sizeof why, "cannot report for tenant '%s': %s", r->req.tenant, r->errstr);
        rc = dead_letter(w, r->jb, why, r->errstr, sizeof r->errstr);
    }
    json_decref(report);
    json_decref(invmsg);
    return rc;
}

/* A failure of the registry that can pass (unreachable, throttled). */
static int transient(int rc)
{
    return rc == RS_ERR_UNREACHABLE || rc == RS_ERR_TOOMANYREQUESTS;
}

/* Index, match, report. Returns 0 when finished, else the failure that
 * leaves the request to be redelivered (cancelled, infrastructure). */
static int request_run(struct request *r)
{
    struct worker *w = r->w;
    r->t0 = rs_now_ms();
    r->plat = r->req.platform;
    r->src = rs_blobsrc_registry_new(r->rconf, r->scan_err, sizeof r->scan_err);
    r->scan_rc = r->src ? index_digest(r) : RS_ERR_CONFIG;
    platform_from_prev(r);
    if (r->scan_rc == RS_ERR_CANCELLED || rs_err_is_infra(r->scan_rc))
        return r->scan_rc;
    if (transient(r->scan_rc) && r->prev_found && !strcmp(r->prev.status, "ok")) {
        /* a good result is not overwritten by an outage: it stands, the next pass asks again */
        rs_log(RS_LOG_WARN, "'%s' for tenant '%s' not %s now, the previous result stands: %s",
               r->req.digest, r->req.tenant,
               strcmp(r->req.mode, "rematch") ? "scanned" : "rematched", r->scan_err);
        clear_queued(w, &r->req);
        return 0;
    }
    if (r->scan_rc)
        rs_log(RS_LOG_WARN, "scan of '%s/%s@%s' for tenant '%s' failed: %s", r->req.registry,
               r->req.repository, r->req.digest, r->req.tenant, r->scan_err);
    request_match(r);
    /* a rematch that changes nothing publishes no report, only the done update */
    if (r->scan_rc == 0 && r->from_cache && !r->req.force && r->prev_found &&
        !strcmp(r->prev.status, "ok") && !strcmp(r->prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(r->prev.findings, r->fingerprint)) {
        r->prev.vulndb_version = r->db_used;
        int rc = RETRY(r->jb, rs_state_done_set(w->state, r->req.tenant, r->req.digest, &r->prev,
                                                r->errstr, sizeof r->errstr));
        if (rc == 0) {
            clear_queued(w, &r->req);
            rs_log(RS_LOG_INFO, "rematched '%s' for tenant '%s' with snapshot %lld: unchanged",
                   r->req.digest, r->req.tenant, (long long)r->db_used);
        }
        return rc;
    }
    return request_report(r);
}

/* Returns 0 when the request is finished (its offset may be stored): a
 * report, a dead letter or nothing to do. Anything else leaves it to be
 * redelivered: RS_ERR_CANCELLED (revoke, shutdown), RS_ERR_STORE or
 * RS_ERR_BROKER past the outage budget, or a dead letter that failed. */
static int process_request(struct worker *w, job_t *jb)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return RS_ERR_INTERNAL;
    r->w = w;
    r->jb = jb;
    snprintf(r->owner, sizeof r->owner, "%s/%lu", w->worker_id, jb->seq);
    int rc = request_admit(r);
    if (rc == 0)
        rc = request_run(r);
    if (rc > 0)
        rc = 0;
    if (rc && rc != RS_ERR_CANCELLED)
        rs_log(RS_LOG_ERROR, "request at '%s' [%d] offset %lld not finished: %s", jb->topic,
               jb->partition, (long long)jb->offset, r->errstr[0] ? r->errstr : r->scan_err);
    rs_match_result_free(r->matches);
    rs_refs_clear(&r->refs);
    rs_inventory_free(r->inv);
    rs_blobsrc_destroy(r->src);
    rs_scan_request_free(&r->req);
    free(r);
    return rc;
}

static void *job_thread(void *arg)
{
    struct worker *w = arg;
    job_t *j;
    while ((j = rs_window_take(w->win))) {
        int rc = process_request(w, j);
        if (rc && !atomic_load(&j->cancel) && !atomic_load(&w->fatal)) {
            /* Kafka or Redis away past the outage budget, or not even a dead letter
             * could be written: stop before going further (not finished: redelivered) */
            char msg[512];
            snprintf(msg, sizeof msg, "request at '%s' [%d] offset %lld could not be finished (%s)",
                     j->topic, j->partition, (long long)j->offset, rs_err_code(rc));
            set_fatal(w, rc, msg);
        }
        rs_window_finish(w->win, j, rc == 0);
    }
    return NULL;
}

/* ---- the run loop ---- */

int rs_worker_run(const rs_config *cfg, const rs_worker_opts *o, volatile sig_atomic_t *stop,
                  char *errstr, size_t errsz)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    w->cfg = cfg;
    w->o = o;
    pthread_mutex_init(&w->lock, NULL);
    pthread_rwlock_init(&w->db_lock, NULL);
    pthread_mutex_init(&w->db_load_lock, NULL);
    const rs_settings *s = &cfg->settings;
    rs_window_ops ops = {
        .opaque = w, .store = window_store, .pause = window_pause, .release = window_release};
    w->win = rs_window_new(o->window_per_partition, &ops);
    pthread_t *threads = NULL;
    int n_threads = 0, rc = 0;
    rd_kafka_conf_t *conf = NULL;

    if (!w->win) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (o->worker_id) {
        snprintf(w->worker_id, sizeof w->worker_id, "%s", o->worker_id);
    } else {
        char host[64] = "worker";
        gethostname(host, sizeof host - 1);
        snprintf(w->worker_id, sizeof w->worker_id, "%s:%d", host, (int)getpid());
    }
    w->state = rs_state_new(s->redis_url, s->redis_prefix, errstr, errsz);
    if (!w->state) {
        rc = RS_ERR_UNREACHABLE;
        goto out;
    }
    if (s->cache_redis_url && strcmp(s->cache_redis_url, s->redis_url) != 0) {
        w->cache = rs_state_new(s->cache_redis_url, s->redis_prefix, errstr, errsz);
        if (!w->cache) {
            rc = RS_ERR_UNREACHABLE;
            goto out;
        }
    } else {
        w->cache = w->state;
    }
    if (o->vulndb_path) {
        rs_vulndb_stats vst;
        uint64_t t0 = rs_now_ms();
        long rss0 = rss_kib();
        if ((rc = rs_vulndb_load(o->vulndb_path, &w->db, &vst, errstr, errsz)))
            goto out;
        w->db_version = rs_vulndb_version(w->db) ? rs_vulndb_version(w->db) : 1;
        rs_log(RS_LOG_INFO, "vulnerability data '%s' loaded: %zu records in %llu ms, %+ld MiB "
               "resident (%ld invalid, %ld withdrawn, %ld of unknown ecosystems skipped)",
               o->vulndb_path, rs_vulndb_count(w->db), (unsigned long long)(rs_now_ms() - t0),
               (rss_kib() - rss0) / 1024, vst.invalid, vst.withdrawn, vst.unknown_ecosystem);
    } else {
        refresh_vulndb(w, 1);
    }
    if ((rc = rs_kafka_check(s, s->topic_requests, 10000, errstr, errsz)))
        goto out;
    w->producer = rs_producer_new(s, errstr, errsz);
    if (!w->producer) {
        rc = RS_ERR_UNREACHABLE;
        goto out;
    }
    w->max_message_bytes = (int)rs_producer_max_message_bytes(w->producer);

    /* a request that cannot be decoded or reported goes there: it must exist */
    if ((rc = rs_producer_topic_check(w->producer, s->topic_dead_letter, errstr, errsz)))
        goto out;
    conf = rs_kafka_consumer_conf_new(s, o->instance_id, errstr, errsz);
    if (!conf) {
        rc = RS_ERR_CONFIG;
        goto out;
    }
    char kerr[512];
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, w);
    w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
    if (!w->rk) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot create the kafka consumer: %s", kerr);
        goto out;
    }
    conf = NULL; /* taken by rd_kafka_new */
    rd_kafka_poll_set_consumer(w->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(topics, s->topic_requests, RD_KAFKA_PARTITION_UA);
    if (s->topic_batch && strcmp(s->topic_batch, s->topic_requests) != 0 &&
        rs_kafka_check(s, s->topic_batch, 5000, kerr, sizeof kerr) == 0)
        rd_kafka_topic_partition_list_add(topics, s->topic_batch, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t kr = rd_kafka_subscribe(w->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kr) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "cannot subscribe to '%s': %s",
                     s->topic_requests, rd_kafka_err2str(kr));
        goto out;
    }

    threads = calloc((size_t)o->concurrency, sizeof *threads);
    if (!threads) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (; n_threads < o->concurrency; n_threads++)
        if (pthread_create(&threads[n_threads], NULL, job_thread, w) != 0)
            break;
    if (n_threads == 0) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot start the job threads");
        goto out;
    }
    rs_log(RS_LOG_INFO, "worker '%s' joined group '%s' on '%s' with %d job threads", w->worker_id,
           s->group, s->topic_requests, n_threads);

    while (!*stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, 200);
        if (m) {
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    rs_log(RS_LOG_WARN, "consumer: %s", rd_kafka_message_errstr(m));
                int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
                rd_kafka_message_destroy(m);
                if (fatal) {
                    char fe[512];
                    rd_kafka_fatal_error(w->rk, fe, sizeof fe);
                    set_fatal(w, RS_ERR_BROKER, fe);
                }
            } else if (rs_window_add(w->win, rd_kafka_topic_name(m->rkt), m->partition, m->offset,
                                     m) != 0) {
                rd_kafka_message_destroy(m);
                set_fatal(w, RS_ERR_INTERNAL, "out of memory");
            }
        }
        int fatal = atomic_load(&w->fatal);
        int busy = rs_window_busy(w->win, 0);
        uint64_t idle = rs_now_ms() - rs_window_last_activity(w->win);
        if (fatal)
            break;
        if (o->exit_when_idle_s > 0 && !busy && idle >= (uint64_t)o->exit_when_idle_s * 1000u) {
            rs_log(RS_LOG_INFO, "no request for %d s: exiting", o->exit_when_idle_s);
            break;
        }
    }

    /* graceful: finish what is in flight (the consumer keeps being served so
     * the group does not evict us) or, past the drain timeout, hand it back;
     * then commit and leave */
    rs_window_stop(w->win);
    uint64_t drain_start = rs_now_ms();
    int handed_back = 0;
    for (;;) {
        if (!handed_back && o->drain_timeout_s > 0 &&
            rs_now_ms() - drain_start >= (uint64_t)o->drain_timeout_s * 1000u) {
            handed_back = 1;
            rs_log(RS_LOG_WARN, "drain timeout of %d s reached: handing %d requests back",
                   o->drain_timeout_s, rs_window_cancel_all(w->win));
        }
        int busy = rs_window_busy(w->win, atomic_load(&w->fatal) || handed_back);
        rs_window_advance(w->win);
        if (!busy)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, 200);
        if (m) /* not taken: it is redelivered after we leave */
            rd_kafka_message_destroy(m);
    }
    if (atomic_load(&w->fatal)) {
        int why = rs_err_is_infra(w->fatal_rc) || w->fatal_rc == RS_ERR_CONFIG ? w->fatal_rc
                                                                               : RS_ERR_UNREACHABLE;
        rc = rs_errf(errstr, errsz, why, "worker stopped: %s", w->fatal_msg);
    }
    rs_window_advance(w->win);
    kr = rd_kafka_commit(w->rk, NULL, 0);
    if (kr && kr != RD_KAFKA_RESP_ERR__NO_OFFSET)
        rs_log(RS_LOG_WARN, "cannot commit offsets: %s", rd_kafka_err2str(kr));

out:
    if (w->win)
        rs_window_stop(w->win);
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    if (w->rk) {
        rd_kafka_consumer_close(w->rk);
        rs_window_destroy(w->win); /* releases the messages left: before their handle goes */
        w->win = NULL;
        rd_kafka_destroy(w->rk);
    }
    rs_window_destroy(w->win);
    if (conf)
        rd_kafka_conf_destroy(conf);
    rs_producer_destroy(w->producer);
    if (w->cache != w->state)
        rs_state_destroy(w->cache);
    rs_state_destroy(w->state);
    rs_vulndb_destroy(w->db);
    pthread_rwlock_destroy(&w->db_lock);
    pthread_mutex_destroy(&w->db_load_lock);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return rc;
}
