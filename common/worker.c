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
#include "log.h"
#include "match.h"
#include "message.h"
#include "registry.h"
#include "scan.h"
#include "state.h"
#include "vulndb.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PARTS 1024
#define LEASE_MAX_LIFE_MS (60 * 60 * 1000)

void rs_worker_opts_default(rs_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    o->concurrency = 2;
    o->layer_parallelism = 4;
    o->lease_ttl_ms = 30000;
    o->max_attempts = 3;
    o->window_per_partition = 4;
}

enum { JOB_QUEUED = 0, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

struct job {
    rd_kafka_message_t *msg;
    char topic[256];
    int32_t partition;
    int64_t offset;
    int state; /* JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED */
    volatile int cancel;
    struct job *next_queued;   /* FIFO of jobs not started */
    struct job *next_in_part;  /* jobs of one partition, by offset */
};

struct part {
    char topic[256];
    int32_t partition;
    struct job *head, *tail;
    int inflight;
    int paused;
    int used;
};

struct worker {
    const rs_config *cfg;
    const rs_worker_opts *o;
    rd_kafka_t *rk;
    rs_producer *producer;
    rs_state *state, *cache;
    char worker_id[128];
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* a job was queued or finished */
    struct job *q_head, *q_tail;
    struct part parts[MAX_PARTS];
    int stopping;              /* job threads exit when the queue is empty */
    int fatal;                 /* Kafka or Redis lost for good */
    char fatal_msg[512];
    int running;               /* jobs running now */
    uint64_t last_activity_ms;
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

/* ---- partitions and offsets (caller holds w->lock) ---- */

static struct part *part_find(struct worker *w, const char *topic, int32_t partition, int create)
{
    struct part *free_slot = NULL;
    for (int i = 0; i < MAX_PARTS; i++) {
        struct part *p = &w->parts[i];
        if (p->used && p->partition == partition && !strcmp(p->topic, topic))
            return p;
        if (!p->used && !free_slot)
            free_slot = p;
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = 1;
    free_slot->partition = partition;
    snprintf(free_slot->topic, sizeof free_slot->topic, "%s", topic);
    return free_slot;
}

/* Stores the offset after the last finished job at the head of each
 * partition and frees those jobs; pauses or resumes partitions by window. */
static void advance_offsets(struct worker *w)
{
    for (int i = 0; i < MAX_PARTS; i++) {
        struct part *p = &w->parts[i];
        if (!p->used)
            continue;
        int64_t store = -1;
        while (p->head && p->head->state == JOB_DONE) {
            struct job *j = p->head;
            store = j->offset + 1;
            p->head = j->next_in_part;
            if (!p->head)
                p->tail = NULL;
            p->inflight--;
            rd_kafka_message_destroy(j->msg);
            free(j);
        }
        if (store >= 0) {
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = store;
            rd_kafka_resp_err_t e = rd_kafka_offsets_store(w->rk, l);
            if (e)
                rs_log(RS_LOG_WARN, "cannot store offset %lld of '%s' [%d]: %s", (long long)store,
                       p->topic, p->partition, rd_kafka_err2str(e));
            rd_kafka_topic_partition_list_destroy(l);
        }
        int want_pause = p->inflight >= w->o->window_per_partition;
        if (want_pause != p->paused) {
            rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
            rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
            if (want_pause)
                rd_kafka_pause_partitions(w->rk, l);
            else
                rd_kafka_resume_partitions(w->rk, l);
            rd_kafka_topic_partition_list_destroy(l);
            p->paused = want_pause;
        }
    }
}

/* Drops the jobs of a partition that is revoked or lost: queued ones are
 * removed, running ones asked to stop; waits until none runs. Returns with
 * w->lock held. */
static void drain_partition(struct worker *w, struct part *p)
{
    for (struct job *j = p->head; j; j = j->next_in_part)
        j->cancel = 1;
    /* unlink queued jobs of this partition from the FIFO */
    struct job **pp = &w->q_head;
    w->q_tail = NULL;
    while (*pp) {
        if ((*pp)->cancel && (*pp)->state == JOB_QUEUED) {
            (*pp)->state = JOB_ABANDONED;
            *pp = (*pp)->next_queued;
            continue;
        }
        w->q_tail = *pp;
        pp = &(*pp)->next_queued;
    }
    for (;;) {
        int busy = 0;
        for (struct job *j = p->head; j; j = j->next_in_part)
            busy |= j->state == JOB_RUNNING;
        if (!busy)
            break;
        pthread_cond_wait(&w->cond, &w->lock);
    }
}

static void forget_partition(struct part *p)
{
    struct job *j = p->head;
    while (j) {
        struct job *next = j->next_in_part;
        rd_kafka_message_destroy(j->msg);
        free(j);
        j = next;
    }
    memset(p, 0, sizeof *p);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct worker *w = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rs_log(RS_LOG_INFO, "assigned %d partitions", parts->cnt);
        pthread_mutex_lock(&w->lock);
        for (int i = 0; i < parts->cnt; i++)
            part_find(w, parts->elems[i].topic, parts->elems[i].partition, 1);
        pthread_mutex_unlock(&w->lock);
        rd_kafka_error_t *e = NULL;
        if (cooperative)
            e = rd_kafka_incremental_assign(rk, parts);
        else
            rd_kafka_assign(rk, parts);
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
    pthread_mutex_lock(&w->lock);
    for (int i = 0; i < parts->cnt; i++) {
        struct part *p = part_find(w, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (p)
            drain_partition(w, p);
    }
    advance_offsets(w);
    for (int i = 0; i < parts->cnt; i++) {
        struct part *p = part_find(w, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (p)
            forget_partition(p);
    }
    pthread_mutex_unlock(&w->lock);
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

static void set_fatal(struct worker *w, const char *msg)
{
    pthread_mutex_lock(&w->lock);
    if (!w->fatal) {
        w->fatal = 1;
        snprintf(w->fatal_msg, sizeof w->fatal_msg, "%s", msg);
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Retries a Kafka or Redis step a few times: these are transient faults and
 * the request is not finished until they succeed. */
#define RETRY(expr)                                                                              \
    ({                                                                                           \
        int rc_ = 0;                                                                             \
        for (int try_ = 0; try_ < 4; try_++) {                                                   \
            rc_ = (expr);                                                                        \
            if (rc_ == 0 || rc_ == RS_ERR_LIMIT_EXCEEDED || rc_ == RS_ERR_INVALID)              \
                break;                                                                           \
            usleep((useconds_t)(200000u << try_));                                               \
        }                                                                                        \
        rc_;                                                                                     \
    })

static int dead_letter(struct worker *w, const struct job *j, const char *reason, char *errstr,
                       size_t errsz)
{
    const rd_kafka_message_t *m = j->msg;
    size_t n = m->len;
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64)
        return RS_ERR_INTERNAL;
    EVP_EncodeBlock((unsigned char *)b64, m->payload ? m->payload : (const void *)"", (int)n);
    char when[32];
    rs_iso_now(when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s}", "schema",
                            "regscan.dead-letter/v1", "reason", reason, "topic", j->topic,
                            "partition", (int)j->partition, "offset", (json_int_t)j->offset,
                            "original_base64", b64, "worker", w->worker_id, "at", when);
    free(b64);
    char *s = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!s)
        return RS_ERR_INTERNAL;
    char key[512] = "";
    if (m->key && m->key_len < sizeof key)
        memcpy(key, m->key, m->key_len);
    int rc = RETRY(rs_producer_send_sync(w->producer, w->cfg->settings.topic_dead_letter,
                                         key[0] ? key : NULL, s, strlen(s), 30000, errstr,
                                         errsz));
    free(s);
    rs_log(RS_LOG_WARN, "request at '%s' [%d] offset %lld sent to the dead-letter topic: %s",
           j->topic, j->partition, (long long)j->offset, reason);
    return rc;
}

struct renewer {
    struct worker *w;
    const char *digest;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
};

static void *renew_thread(void *arg)
{
    struct renewer *r = arg;
    uint64_t born = rs_now_ms();
    pthread_mutex_lock(&r->lock);
    while (!r->stop && rs_now_ms() - born < LEASE_MAX_LIFE_MS) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t ns = (uint64_t)ts.tv_nsec + (uint64_t)(r->w->o->lease_ttl_ms / 3) * 1000000u;
        ts.tv_sec += (time_t)(ns / 1000000000u);
        ts.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        if (r->stop)
            break;
        char err[256];
        int renewed = 0;
        if (rs_state_lease_renew(r->w->state, r->digest, r->w->worker_id, r->w->o->lease_ttl_ms,
                                 &renewed, err, sizeof err) != 0 || !renewed)
            rs_log(RS_LOG_WARN, "lease of '%s' could not be renewed", r->digest);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

/* Decodes an `inv:` cache entry; returns NULL when absent or unusable. */
static rs_inventory *cached_inventory(struct worker *w, const char *digest)
{
    char *data = NULL, err[256];
    size_t len = 0;
    int found = 0;
    if (rs_state_cache_get(w->cache, "inv", digest, &data, &len, &found, err, sizeof err) != 0 ||
        !found) {
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

/* The index stage with the lease protocol of DESIGN.md §6: one worker pulls
 * a digest; the others wait for its `inv:` entry or for the lease to expire. */
static int index_digest(struct worker *w, struct job *jb, rs_blobsrc *src, const rs_scan_request *req,
                        rs_inventory **inv, int *from_cache, rs_platform *plat,
                        uint64_t *pull_ms, uint64_t *analyze_ms, char *errstr, size_t errsz)
{
    *inv = NULL;
    *from_cache = 0;
    uint64_t deadline = rs_now_ms() + (uint64_t)w->o->lease_ttl_ms * 4 + 600000u;
    for (;;) {
        if (jb->cancel)
            return rs_errf(errstr, errsz, RS_ERR_CANCELLED, "scan of '%s' cancelled", req->digest);
        if (!req->force || !strcmp(req->mode, "rematch")) {
            rs_inventory *c = cached_inventory(w, req->digest);
            if (c) {
                /* a tenant uses a shared result only after its registry confirms the image */
                char d[RS_DIGEST_SIZE] = "", mt[128] = "";
                rs_registry *reg = rs_blobsrc_registry_get(src);
                int rc = rs_registry_head_manifest(reg, req->repository, req->digest, d, mt,
                                                   errstr, errsz);
                if (rc) {
                    rs_inventory_free(c);
                    return rc;
                }
                *inv = c;
                *from_cache = 1;
                return 0;
            }
        }
        int acquired = 0;
        int rc = RETRY(rs_state_lease_acquire(w->state, req->digest, w->worker_id,
                                              w->o->lease_ttl_ms, &acquired, errstr, errsz));
        if (rc)
            return RS_ERR_UNREACHABLE;
        if (acquired)
            break;
        if (rs_now_ms() > deadline)
            return rs_errf(errstr, errsz, RS_ERR_UNREACHABLE,
                           "gave up waiting for the lease of '%s'", req->digest);
        usleep(250000);
        if (req->force) {
            /* a forced rescan waits for the other scan, then scans itself */
            long long ttl = 0;
            if (rs_state_lease_ttl(w->state, req->digest, &ttl, errstr, errsz) == 0 && ttl <= 0)
                continue;
        }
    }

    long long attempts = 0;
    int rc = RETRY(rs_state_attempts_incr(w->state, req->digest, &attempts, errstr, errsz));
    if (rc) {
        rs_state_lease_release(w->state, req->digest, w->worker_id, NULL, errstr, errsz);
        return RS_ERR_UNREACHABLE;
    }
    if (attempts > w->o->max_attempts) {
        rs_state_lease_release(w->state, req->digest, w->worker_id, NULL, errstr, errsz);
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "'%s' was started %lld times and never finished: not tried again",
                       req->digest, attempts - 1);
    }

    struct renewer rn = {.w = w, .digest = req->digest};
    pthread_mutex_init(&rn.lock, NULL);
    pthread_cond_init(&rn.cond, NULL);
    pthread_t tid;
    int have_thread = pthread_create(&tid, NULL, renew_thread, &rn) == 0;

    rs_scan_opts so;
    rs_scan_opts_default(&so);
    so.layer_parallelism = (size_t)w->o->layer_parallelism;
    so.cancel = &jb->cancel;
    rs_scan_result *res = rs_scan_index(src, req->repository, req->digest, &so);

    if (have_thread) {
        pthread_mutex_lock(&rn.lock);
        rn.stop = 1;
        pthread_cond_signal(&rn.cond);
        pthread_mutex_unlock(&rn.lock);
        pthread_join(tid, NULL);
    }
    pthread_mutex_destroy(&rn.lock);
    pthread_cond_destroy(&rn.cond);

    if (!res) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    } else if (res->status) {
        rc = rs_errf(errstr, errsz, res->status, "%s", res->error);
    } else {
        *inv = res->inv;
        res->inv = NULL;
        *plat = res->platform;
        *pull_ms = res->pull_ms;
        *analyze_ms = res->analyze_ms;
        json_t *j = rs_inventory_to_json(*inv);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        char err[256];
        if (!s || rs_state_cache_set(w->cache, "inv", req->digest, s, strlen(s), 0, err,
                                     sizeof err) != 0)
            rs_log(RS_LOG_WARN, "cannot cache the inventory of '%s'", req->digest);
        free(s);
    }
    rs_scan_result_free(res);
    /* a cancelled scan is not a finished attempt; every other outcome is */
    if (rc != RS_ERR_CANCELLED)
        RETRY(rs_state_attempts_clear(w->state, req->digest, errstr, errsz));
    rs_state_lease_release(w->state, req->digest, w->worker_id, NULL, errstr, errsz);
    return rc;
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
static int publish_doc(struct worker *w, json_t *doc, const char *topic_tpl, const char *tenant,
                       const char *key, const char *const *arrays, char *errstr, size_t errsz)
{
    char *topic = NULL;
    char **parts = NULL;
    size_t n = 0;
    int rc = rs_topic_for_tenant(topic_tpl, tenant, &topic);
    if (rc)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    /* keep a margin for the record's key and headers under the broker's limit */
    size_t mmb = (size_t)w->max_message_bytes;
    size_t max = mmb > 8192 ? mmb - 2048 : mmb * 3 / 4;
    rc = rs_message_split(doc, arrays, max, &parts, &n, errstr, errsz);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = RETRY(rs_producer_send_sync(w->producer, topic, key, parts[i], strlen(parts[i]),
                                         30000, errstr, errsz));
    for (size_t i = 0; i < n; i++)
        free(parts[i]);
    free(parts);
    free(topic);
    return rc;
}

/* Returns 0 when the request is finished (its offset may be stored). */
static int process_request(struct worker *w, struct job *jb)
{
    char errstr[1024] = "", scan_err[1024] = "";
    rs_scan_request reqv;
    rs_scan_request *req = &reqv;
    rs_blobsrc *src = NULL;
    rs_inventory *inv = NULL;
    json_t *report = NULL, *invmsg = NULL;
    rs_match_result *matches = NULL;
    rs_refs refs = {0};
    int rc = rs_scan_request_decode(jb->msg->payload, jb->msg->len, req, errstr, sizeof errstr);
    if (rc) {
        char why[1024];
        snprintf(why, sizeof why, "%s", errstr);
        rs_scan_request_free(req);
        return dead_letter(w, jb, why, errstr, sizeof errstr);
    }
    const rs_tenant *tenant = rs_config_tenant(w->cfg, req->tenant);
    const rs_registry_conf *rconf = tenant ? rs_config_registry(tenant, req->registry) : NULL;
    if (!rconf) {
        char why[600];
        snprintf(why, sizeof why, "%s '%s' is not in this worker's tenants file",
                 tenant ? "registry" : "tenant", tenant ? req->registry : req->tenant);
        rc = dead_letter(w, jb, why, errstr, sizeof errstr);
        goto out;
    }
    char key[600];
    snprintf(key, sizeof key, "%s/%s", req->tenant, req->digest);

    refresh_vulndb(w, !strcmp(req->mode, "rematch"));
    /* what was done before: a redelivery of a finished request is acknowledged
     * without work; a rematch compares its findings with these */
    rs_done prev;
    int prev_found = 0;
    rc = RETRY(rs_state_done_get(w->state, req->tenant, req->digest, &prev, &prev_found, errstr,
                                 sizeof errstr));
    if (rc)
        goto out;
    int64_t db_now = 0;
    pthread_rwlock_rdlock(&w->db_lock);
    db_now = w->db_version;
    pthread_rwlock_unlock(&w->db_lock);
    if (!req->force && prev_found && !strcmp(prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(prev.status, "ok") && prev.vulndb_version >= db_now) {
        rs_log(RS_LOG_INFO, "'%s' for tenant '%s' is already done", req->digest, req->tenant);
        clear_queued(w, req);
        goto out;
    }

    uint64_t t0 = rs_now_ms(), pull_ms = 0, analyze_ms = 0;
    int from_cache = 0;
    rs_platform plat = req->platform;
    src = rs_blobsrc_registry_new(rconf, errstr, sizeof errstr);
    int scan_rc = src ? index_digest(w, jb, src, req, &inv, &from_cache, &plat, &pull_ms,
                                     &analyze_ms, scan_err, sizeof scan_err)
                      : RS_ERR_CONFIG;
    if (!plat.os[0] && prev_found && prev.platform[0]) {
        /* a rematch request may not know the platform: the last scan did */
        char *fields[3] = {plat.os, plat.architecture, plat.variant};
        size_t sizes[3] = {sizeof plat.os, sizeof plat.architecture, sizeof plat.variant};
        const char *part = prev.platform;
        for (int k = 0; k < 3 && *part; k++) {
            size_t n = strcspn(part, "/");
            snprintf(fields[k], sizes[k], "%.*s", (int)n, part);
            part += n + (part[n] == '/');
        }
    }
    if (!src)
        snprintf(scan_err, sizeof scan_err, "%s", errstr);
    if (scan_rc == RS_ERR_CANCELLED) {
        rc = scan_rc;
        goto out;
    }
    if (scan_rc == RS_ERR_UNREACHABLE && strstr(scan_err, "lease") != NULL) {
        rc = scan_rc; /* Redis trouble: not finished, the request comes back */
        goto out;
    }

    /* the match stage, on the inventory alone */
    uint64_t t_match = rs_now_ms();
    int64_t db_used = 0;
    char fingerprint[RS_DIGEST_SIZE] = "";
    if (scan_rc == 0 && inv) {
        pthread_rwlock_rdlock(&w->db_lock);
        db_used = w->db_version;
        if (w->db && rs_match_inventory(w->db, inv, &matches, scan_err, sizeof scan_err) != 0)
            matches = NULL;
        pthread_rwlock_unlock(&w->db_lock);
        if (db_used && !matches) {
            rc = rs_errf(errstr, sizeof errstr, RS_ERR_INTERNAL, "matching failed: %s", scan_err);
            goto out;
        }
        if (matches)
            rs_match_fingerprint(matches, fingerprint);
    }
    uint64_t match_ms = rs_now_ms() - t_match;

    /* a rematch that changes nothing publishes no report, only the done update */
    if (scan_rc == 0 && from_cache && !req->force && prev_found &&
        !strcmp(prev.status, "ok") && !strcmp(prev.analyzer_version, RS_ANALYZER_VERSION) &&
        !strcmp(prev.findings, fingerprint)) {
        prev.vulndb_version = db_used;
        rc = RETRY(rs_state_done_set(w->state, req->tenant, req->digest, &prev, errstr,
                                     sizeof errstr));
        if (rc == 0) {
            clear_queued(w, req);
            rs_log(RS_LOG_INFO, "rematched '%s' for tenant '%s' with snapshot %lld: unchanged",
                   req->digest, req->tenant, (long long)db_used);
        }
        goto out;
    }

    rs_report_meta meta;
    memset(&meta, 0, sizeof meta);
    meta.tenant = req->tenant;
    meta.registry = req->registry;
    meta.repository = req->repository;
    meta.digest = req->digest;
    rc = RETRY(rs_state_refs_get(w->state, req->tenant, req->digest, &refs, errstr,
                                 sizeof errstr));
    if (rc)
        goto out;
    meta.refs = refs.n ? &refs : &req->refs;
    meta.platform = &plat;
    meta.analyzer_version = RS_ANALYZER_VERSION;
    meta.vulndb_version = db_used;
    meta.policy_version = NULL; /* no policy engine yet */
    meta.worker = w->worker_id;
    char scan_id[40], when[32];
    rs_scan_id_new(scan_id);
    rs_iso_now(when, sizeof when);
    meta.scan_id = scan_id;
    meta.scanned_at = when;
    meta.status = scan_rc ? RS_REPORT_ERROR : RS_REPORT_OK;
    meta.error_code = scan_rc ? rs_err_code(scan_rc) : NULL;
    meta.error_message = scan_rc ? scan_err : NULL;
    meta.pull_ms = (int64_t)pull_ms;
    meta.analyze_ms = (int64_t)analyze_ms;
    meta.match_ms = (int64_t)match_ms;
    meta.total_ms = (int64_t)(rs_now_ms() - t0);
    if (scan_rc)
        rs_log(RS_LOG_WARN, "scan of '%s/%s@%s' for tenant '%s' failed: %s", req->registry,
               req->repository, req->digest, req->tenant, scan_err);

    report = rs_report_build(&meta, inv);
    if (!report || (matches && rs_match_to_report(matches, report) != 0)) {
        rc = rs_errf(errstr, sizeof errstr, RS_ERR_INTERNAL, "cannot build the report");
        goto out;
    }
    static const char *const report_arrays[] = {"vulnerabilities", "secrets", "misconfigurations",
                                                "skipped", NULL};
    static const char *const inv_arrays[] = {"packages", NULL};
    if (inv && strcmp(req->mode, "rematch") != 0) {
        invmsg = rs_inventory_msg_build(&meta, inv);
        rc = invmsg ? publish_doc(w, invmsg, w->cfg->settings.topic_inventory, req->tenant, key,
                                  inv_arrays, errstr, sizeof errstr)
                    : RS_ERR_INTERNAL;
    }
    if (rc == 0)
        rc = publish_doc(w, report, w->cfg->settings.topic_findings, req->tenant, key,
                         report_arrays, errstr, sizeof errstr);
    if (rc == RS_ERR_LIMIT_EXCEEDED) {
        /* one element larger than a whole message (a hostile package name, say): the
         * image gets an error report saying so instead of a report that cannot be sent */
        rs_log(RS_LOG_WARN, "report of '%s' for tenant '%s' cannot be sent: %s", req->digest,
               req->tenant, errstr);
        snprintf(scan_err, sizeof scan_err, "the report cannot be sent: %.900s", errstr);
        scan_rc = RS_ERR_LIMIT_EXCEEDED;
        meta.status = RS_REPORT_ERROR;
        meta.error_code = rs_err_code(scan_rc);
        meta.error_message = scan_err;
        json_decref(report);
        report = rs_report_build(&meta, NULL);
        rc = report ? publish_doc(w, report, w->cfg->settings.topic_findings, req->tenant, key,
                                  report_arrays, errstr, sizeof errstr)
                    : RS_ERR_INTERNAL;
        snprintf(fingerprint, sizeof fingerprint, "%s", "");
    }
    if (rc)
        goto out;
    if (scan_rc == RS_ERR_ANALYZER_CRASHED) {
        char dl_err[512];
        dead_letter(w, jb, scan_err, dl_err, sizeof dl_err);
    }

    rs_done d;
    memset(&d, 0, sizeof d);
    snprintf(d.analyzer_version, sizeof d.analyzer_version, "%s", RS_ANALYZER_VERSION);
    d.vulndb_version = db_used;
    snprintf(d.findings, sizeof d.findings, "%s", fingerprint);
    if (plat.os[0])
        rs_platform_format(&plat, d.platform, sizeof d.platform);
    snprintf(d.report_id, sizeof d.report_id, "%s",
             json_string_value(json_object_get(report, "report_id")));
    snprintf(d.status, sizeof d.status, "%s", scan_rc ? "error" : "ok");
    snprintf(d.error_code, sizeof d.error_code, "%s", scan_rc ? rs_err_code(scan_rc) : "");
    snprintf(d.scanned_at, sizeof d.scanned_at, "%s", when);
    rc = RETRY(rs_state_done_set(w->state, req->tenant, req->digest, &d, errstr, sizeof errstr));
    if (rc == 0)
        clear_queued(w, req);
    if (rc == 0)
        rs_log(RS_LOG_INFO,
               "reported '%s/%s@%s' for tenant '%s': %s, %zu packages, %zu vulnerabilities "
               "(snapshot %lld)",
               req->registry, req->repository, req->digest, req->tenant, d.status,
               inv ? inv->n_pkgs : 0, matches ? matches->n : 0, (long long)db_used);
out:
    if (rc && rc != RS_ERR_CANCELLED)
        rs_log(RS_LOG_ERROR, "request at '%s' [%d] offset %lld not finished: %s", jb->topic,
               jb->partition, (long long)jb->offset, errstr[0] ? errstr : scan_err);
    json_decref(report);
    json_decref(invmsg);
    rs_match_result_free(matches);
    rs_refs_clear(&refs);
    rs_inventory_free(inv);
    rs_blobsrc_destroy(src);
    rs_scan_request_free(req);
    return rc;
}

static void *job_thread(void *arg)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->q_head && !w->stopping && !w->fatal)
            pthread_cond_wait(&w->cond, &w->lock);
        if (w->fatal || (!w->q_head && w->stopping))
            break;
        struct job *j = w->q_head;
        w->q_head = j->next_queued;
        if (!w->q_head)
            w->q_tail = NULL;
        j->state = JOB_RUNNING;
        w->running++;
        pthread_mutex_unlock(&w->lock);

        int rc = process_request(w, j);

        pthread_mutex_lock(&w->lock);
        w->running--;
        w->last_activity_ms = rs_now_ms();
        if (rc == 0) {
            j->state = JOB_DONE;
        } else {
            /* not finished: its offset is never stored, so it is redelivered */
            j->state = JOB_ABANDONED;
            if (rc != RS_ERR_CANCELLED && !j->cancel && !w->fatal) {
                /* Kafka or Redis lost after retries: stop before going further */
                w->fatal = 1;
                snprintf(w->fatal_msg, sizeof w->fatal_msg,
                         "request at '%s' [%d] offset %lld could not be finished", j->topic,
                         j->partition, (long long)j->offset);
            }
        }
        pthread_cond_broadcast(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- the run loop ---- */

static int enqueue(struct worker *w, rd_kafka_message_t *msg)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return RS_ERR_INTERNAL;
    j->msg = msg;
    snprintf(j->topic, sizeof j->topic, "%s", rd_kafka_topic_name(msg->rkt));
    j->partition = msg->partition;
    j->offset = msg->offset;
    pthread_mutex_lock(&w->lock);
    struct part *p = part_find(w, j->topic, j->partition, 1);
    if (!p) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        return RS_ERR_INTERNAL;
    }
    if (p->tail)
        p->tail->next_in_part = j;
    else
        p->head = j;
    p->tail = j;
    p->inflight++;
    if (w->q_tail)
        w->q_tail->next_queued = j;
    else
        w->q_head = j;
    w->q_tail = j;
    w->last_activity_ms = rs_now_ms();
    advance_offsets(w);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

static int total_inflight(struct worker *w)
{
    int n = 0;
    for (int i = 0; i < MAX_PARTS; i++)
        if (w->parts[i].used)
            for (struct job *j = w->parts[i].head; j; j = j->next_in_part)
                n += j->state == JOB_QUEUED || j->state == JOB_RUNNING;
    return n;
}

int rs_worker_run(const rs_config *cfg, const rs_worker_opts *o, volatile sig_atomic_t *stop,
                  char *errstr, size_t errsz)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    w->cfg = cfg;
    w->o = o;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    pthread_rwlock_init(&w->db_lock, NULL);
    pthread_mutex_init(&w->db_load_lock, NULL);
    const rs_settings *s = &cfg->settings;
    pthread_t *threads = NULL;
    int n_threads = 0, rc = 0;
    rd_kafka_conf_t *conf = NULL;

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

    conf = rs_kafka_conf_new(s, errstr, errsz);
    if (!conf) {
        rc = RS_ERR_CONFIG;
        goto out;
    }
    char kerr[512];
    struct {
        const char *k, *v;
    } props[] = {{"group.id", s->group},
                 {"partition.assignment.strategy", "cooperative-sticky"},
                 {"enable.auto.offset.store", "false"},
                 {"enable.auto.commit", "true"},
                 {"auto.commit.interval.ms", "1000"},
                 {"auto.offset.reset", "earliest"},
                 {"enable.partition.eof", "false"}};
    for (size_t i = 0; i < sizeof props / sizeof *props; i++) {
        /* a property the operator set explicitly (--kafka-prop) wins over ours */
        char cur[256];
        size_t cur_sz = sizeof cur;
        int user_set = 0;
        for (size_t k = 0; k < s->n_kafka_props; k++)
            user_set |= !strncmp(s->kafka_props[k], props[i].k, strlen(props[i].k)) &&
                        s->kafka_props[k][strlen(props[i].k)] == '=';
        if (user_set && rd_kafka_conf_get(conf, props[i].k, cur, &cur_sz) == RD_KAFKA_CONF_OK)
            continue;
        if (rd_kafka_conf_set(conf, props[i].k, props[i].v, kerr, sizeof kerr) !=
            RD_KAFKA_CONF_OK) {
            rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "kafka property '%s': %s", props[i].k,
                         kerr);
            goto out;
        }
    }
    if (o->instance_id && *o->instance_id &&
        rd_kafka_conf_set(conf, "group.instance.id", o->instance_id, kerr, sizeof kerr) !=
            RD_KAFKA_CONF_OK) {
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "group.instance.id: %s", kerr);
        goto out;
    }
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
    w->last_activity_ms = rs_now_ms();

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
                    set_fatal(w, fe);
                }
            } else if (enqueue(w, m) != 0) {
                rd_kafka_message_destroy(m);
                set_fatal(w, "out of memory");
            }
        }
        pthread_mutex_lock(&w->lock);
        advance_offsets(w);
        int fatal = w->fatal;
        int busy = total_inflight(w);
        uint64_t idle = rs_now_ms() - w->last_activity_ms;
        pthread_mutex_unlock(&w->lock);
        if (fatal)
            break;
        if (o->exit_when_idle_s > 0 && !busy && idle >= (uint64_t)o->exit_when_idle_s * 1000u) {
            rs_log(RS_LOG_INFO, "no request for %d s: exiting", o->exit_when_idle_s);
            break;
        }
    }

    /* graceful: finish what is in flight (the consumer keeps being served so
     * the group does not evict us), then commit and leave */
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (;;) {
        pthread_mutex_lock(&w->lock);
        int busy = w->fatal ? w->running : total_inflight(w);
        advance_offsets(w);
        pthread_mutex_unlock(&w->lock);
        if (!busy)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, 200);
        if (m) /* not taken: it is redelivered after we leave */
            rd_kafka_message_destroy(m);
    }
    if (w->fatal) {
        rc = rs_errf(errstr, errsz, RS_ERR_UNREACHABLE, "worker stopped: %s", w->fatal_msg);
    }
    pthread_mutex_lock(&w->lock);
    advance_offsets(w);
    pthread_mutex_unlock(&w->lock);
    kr = rd_kafka_commit(w->rk, NULL, 0);
    if (kr && kr != RD_KAFKA_RESP_ERR__NO_OFFSET)
        rs_log(RS_LOG_WARN, "cannot commit offsets: %s", rd_kafka_err2str(kr));

out:
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    if (w->rk) {
        rd_kafka_consumer_close(w->rk);
        pthread_mutex_lock(&w->lock);
        for (int i = 0; i < MAX_PARTS; i++)
            if (w->parts[i].used)
                forget_partition(&w->parts[i]);
        pthread_mutex_unlock(&w->lock);
        rd_kafka_destroy(w->rk);
    }
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
    pthread_cond_destroy(&w->cond);
    free(w);
    return rc;
}
