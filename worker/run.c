/* run.c - the worker's run loop (see worker.h).
 *
 * Threads: the main thread owns the consumer (poll, rebalance, pause/resume,
 * offset store and commit, through the window of window.h); `concurrency`
 * job threads take requests from the window and run them (request.c). A
 * partition's offset is stored only up to the first request of that
 * partition that is not finished, so a worker killed at any instant loses
 * nothing: whatever was not finished is redelivered. */
#include "base.h"
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Logs an assignment change with the partitions it names ("T[3] T[7]",
 * cut at about 1 KB), so a reader of the log knows what a worker holds. */
static void log_partitions(const char *what, const rd_kafka_topic_partition_list_t *parts,
                           const char *tail)
{
    char list[1024] = "";
    size_t n = 0;
    for (int i = 0; i < parts->cnt && n < sizeof list; i++) {
        int k = snprintf(list + n, sizeof list - n, "%s%s[%d]", i ? " " : "",
                         parts->elems[i].topic, (int)parts->elems[i].partition);
        n += k > 0 ? (size_t)k : 0;
    }
    if (n >= sizeof list)
        snprintf(list + sizeof list - 5, 5, " ...");
    rs_log(RS_LOG_INFO, "%s %d partitions (%s)%s", what, parts->cnt, list, tail);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct worker *w = opaque;
    int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_partitions("assigned", parts, "");
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
    log_partitions(lost ? "lost" : "revoked", parts, ": finishing their in-flight requests");
    for (int i = 0; i < parts->cnt; i++)
        rs_window_revoke(w->win, parts->elems[i].topic, parts->elems[i].partition);
    if (parts->cnt) /* in-flight scans of the partitions cancelled, nothing committed yet */
        RS_TEST_STEP("revoke");
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

static void *job_thread(void *arg)
{
    struct worker *w = arg;
    job_t *j;
    while ((j = rs_window_take(w->win))) {
        int rc = worker_process_request(w, j);
        if (rc && !atomic_load(&j->cancel) && !atomic_load(&w->fatal)) {
            /* Kafka or Redis away past the outage budget, or not even a dead letter
             * could be written: stop before going further (not finished: redelivered) */
            char msg[512];
            snprintf(msg, sizeof msg, "request at '%s' [%d] offset %lld could not be finished (%s)",
                     j->topic, j->partition, (long long)j->offset, rs_err_code(rc));
            worker_set_fatal(w, rc, msg);
        }
        if (rc == 0)
            RS_TEST_STEP("after_done"); /* finished (`done` written), offset not stored */
        rs_window_finish(w->win, j, rc == 0);
    }
    return NULL;
}

/* ---- the run loop ---- */

/* The worker's identity, locks and window; NULL when out of memory. */
static struct worker *worker_new(const rs_config *cfg, const rs_worker_opts *o)
{
    struct worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cfg = cfg;
    w->o = o;
    pthread_mutex_init(&w->lock, NULL);
    pthread_rwlock_init(&w->db_lock, NULL);
    pthread_mutex_init(&w->db_load_lock, NULL);
    pthread_mutex_init(&w->policy_lock, NULL);
    if ((cfg->n_tenants && !(w->policies = calloc(cfg->n_tenants, sizeof *w->policies))) ||
        worker_registries_init(w)) {
        free(w->policies);
        free(w);
        return NULL;
    }
    rs_window_ops ops = {
        .opaque = w, .store = window_store, .pause = window_pause, .release = window_release};
    w->win = rs_window_new(o->window_per_partition, &ops);
    if (o->worker_id) {
        snprintf(w->worker_id, sizeof w->worker_id, "%s", o->worker_id);
    } else {
        char host[64] = "worker";
        gethostname(host, sizeof host - 1);
        snprintf(w->worker_id, sizeof w->worker_id, "%s:%d", host, (int)getpid());
    }
    return w;
}

/* The state and cache stores, then the vulnerability data. */
static int open_stores(struct worker *w, char *errstr, size_t errsz)
{
    const rs_settings *s = &w->cfg->settings;
    int rc = 0;
    if (!(w->state = rs_state_new_err(s->redis_url, s->redis_prefix, &rc, errstr, errsz)))
        return rc;
    if (s->cache_redis_url && strcmp(s->cache_redis_url, s->redis_url) != 0) {
        if (!(w->cache = rs_state_new_err(s->cache_redis_url, s->redis_prefix, &rc, errstr, errsz)))
            return rc;
    } else {
        w->cache = w->state;
    }
    if (!w->o->vulndb_path) {
        worker_refresh_vulndb(w, 1);
        return 0;
    }
    rs_vulndb_stats vst;
    uint64_t t0 = rs_now_ms();
    long rss0 = worker_rss_kib();
    if ((rc = rs_vulndb_load(w->o->vulndb_path, &w->db, &vst, errstr, errsz)))
        return rc;
    w->db_version = rs_vulndb_version(w->db) ? rs_vulndb_version(w->db) : 1;
    rs_log(RS_LOG_INFO,
           "vulnerability data '%s' loaded: %zu records in %llu ms, %+ld MiB "
           "resident (%ld invalid, %ld withdrawn, %ld of unknown ecosystems skipped)",
           w->o->vulndb_path, rs_vulndb_count(w->db), (unsigned long long)(rs_now_ms() - t0),
           (worker_rss_kib() - rss0) / 1024, vst.invalid, vst.withdrawn, vst.unknown_ecosystem);
    return 0;
}

/* The producer, once Kafka answers and the dead-letter topic exists (a
 * request that cannot be decoded or reported goes there). */
static int open_producer(struct worker *w, char *errstr, size_t errsz)
{
    const rs_settings *s = &w->cfg->settings;
    int rc = rs_kafka_check(s, s->topic_requests, 10000, errstr, errsz);
    if (rc)
        return rc;
    if (!(w->producer = rs_producer_new(s, errstr, errsz)))
        return RS_ERR_CONFIG;
    w->max_message_bytes = (int)rs_producer_max_message_bytes(w->producer);
    return rs_producer_topic_check(w->producer, s->topic_dead_letter, errstr, errsz);
}

/* The consumer, subscribed to the request topic (and the batch topic when
 * it exists). */
static int open_consumer(struct worker *w, char *errstr, size_t errsz)
{
    const rs_settings *s = &w->cfg->settings;
    char kerr[512];
    rd_kafka_conf_t *conf = rs_kafka_consumer_conf_new(s, w->o->instance_id, errstr, errsz);
    if (!conf)
        return RS_ERR_CONFIG;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, w);
    w->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof kerr);
    if (!w->rk) {
        rd_kafka_conf_destroy(conf);
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "cannot create the kafka consumer: %s", kerr);
    }
    rd_kafka_poll_set_consumer(w->rk); /* rd_kafka_new took conf */
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(topics, s->topic_requests, RD_KAFKA_PARTITION_UA);
    if (s->topic_batch && strcmp(s->topic_batch, s->topic_requests) != 0 &&
        rs_kafka_check(s, s->topic_batch, 5000, kerr, sizeof kerr) == 0)
        rd_kafka_topic_partition_list_add(topics, s->topic_batch, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t kr = rd_kafka_subscribe(w->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (kr)
        return rs_errf(errstr, errsz, RS_ERR_BROKER, "cannot subscribe to '%s': %s",
                       s->topic_requests, rd_kafka_err2str(kr));
    return 0;
}

static int start_threads(struct worker *w, char *errstr, size_t errsz)
{
    w->threads = calloc((size_t)w->o->concurrency, sizeof *w->threads);
    if (!w->threads)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    for (; w->n_threads < w->o->concurrency; w->n_threads++)
        if (pthread_create(&w->threads[w->n_threads], NULL, job_thread, w) != 0)
            break;
    if (w->n_threads == 0)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot start the job threads");
    rs_log(RS_LOG_INFO, "worker '%s' joined group '%s' on '%s' with %d job threads", w->worker_id,
           w->cfg->settings.group, w->cfg->settings.topic_requests, w->n_threads);
    return 0;
}

/* Hands one polled message to the window (or notes a consumer failure). */
static void take_message(struct worker *w, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            rs_log(RS_LOG_WARN, "consumer: %s", rd_kafka_message_errstr(m));
        int fatal = m->err == RD_KAFKA_RESP_ERR__FATAL;
        rd_kafka_message_destroy(m);
        if (fatal) {
            char fe[512];
            rd_kafka_fatal_error(w->rk, fe, sizeof fe);
            worker_set_fatal(w, RS_ERR_BROKER, fe);
        }
    } else if (rs_window_add(w->win, rd_kafka_topic_name(m->rkt), m->partition, m->offset, m)) {
        rd_kafka_message_destroy(m);
        worker_set_fatal(w, RS_ERR_INTERNAL, "out of memory");
    }
}

/* Polls until stopped, failed, or idle for exit_when_idle_s. */
static void consume(struct worker *w, volatile sig_atomic_t *stop)
{
    const rs_worker_opts *o = w->o;
    while (!*stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, 200);
        if (m)
            take_message(w, m);
        if (atomic_load(&w->fatal))
            break;
        int busy = rs_window_busy(w->win, 0);
        uint64_t idle = rs_now_ms() - rs_window_last_activity(w->win);
        if (o->exit_when_idle_s > 0 && !busy && idle >= (uint64_t)o->exit_when_idle_s * 1000u) {
            rs_log(RS_LOG_INFO, "no request for %d s: exiting", o->exit_when_idle_s);
            break;
        }
    }
}

/* Graceful: finish what is in flight (the consumer keeps being served so
 * the group does not evict us) or, past the drain timeout, hand it back. */
static void drain(struct worker *w)
{
    rs_window_stop(w->win);
    uint64_t start = rs_now_ms();
    int handed_back = 0;
    for (;;) {
        if (!handed_back && w->o->drain_timeout_s > 0 &&
            rs_now_ms() - start >= (uint64_t)w->o->drain_timeout_s * 1000u) {
            handed_back = 1;
            rs_log(RS_LOG_WARN, "drain timeout of %d s reached: handing %d requests back",
                   w->o->drain_timeout_s, rs_window_cancel_all(w->win));
        }
        int busy = rs_window_busy(w->win, atomic_load(&w->fatal) || handed_back);
        rs_window_advance(w->win);
        if (!busy)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(w->rk, 200);
        if (m) /* not taken: it is redelivered after we leave */
            rd_kafka_message_destroy(m);
    }
    rs_window_advance(w->win);
    rd_kafka_resp_err_t kr = rd_kafka_commit(w->rk, NULL, 0);
    if (kr && kr != RD_KAFKA_RESP_ERR__NO_OFFSET)
        rs_log(RS_LOG_WARN, "cannot commit offsets: %s", rd_kafka_err2str(kr));
}

/* Joins the job threads, leaves the group, frees everything. */
static void worker_free(struct worker *w)
{
    if (w->win)
        rs_window_stop(w->win);
    for (int i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    free(w->threads);
    if (w->rk) {
        rd_kafka_consumer_close(w->rk);
        rs_window_destroy(w->win); /* releases the messages left: before their handle goes */
        w->win = NULL;
        rd_kafka_destroy(w->rk);
    }
    rs_window_destroy(w->win);
    rs_producer_destroy(w->producer);
    if (w->cache != w->state)
        rs_state_destroy(w->cache);
    rs_state_destroy(w->state);
    rs_vulndb_destroy(w->db);
    for (size_t i = 0; w->policies && i < w->cfg->n_tenants; i++)
        rs_policy_free(w->policies[i]);
    free(w->policies);
    worker_registries_free(w);
    pthread_mutex_destroy(&w->policy_lock);
    pthread_rwlock_destroy(&w->db_lock);
    pthread_mutex_destroy(&w->db_load_lock);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

int rs_worker_run(const rs_config *cfg, const rs_worker_opts *o, volatile sig_atomic_t *stop,
                  char *errstr, size_t errsz)
{
    struct worker *w = worker_new(cfg, o);
    if (!w || !w->win) {
        if (w)
            worker_free(w);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    int rc = open_stores(w, errstr, errsz);
    if (!rc)
        rc = open_producer(w, errstr, errsz);
    if (!rc)
        rc = open_consumer(w, errstr, errsz);
    if (!rc)
        rc = start_threads(w, errstr, errsz);
    if (!rc) {
        consume(w, stop);
        drain(w);
    }
    if (!rc && atomic_load(&w->fatal)) {
        int why = rs_err_is_infra(w->fatal_rc) || w->fatal_rc == RS_ERR_CONFIG ? w->fatal_rc
                                                                               : RS_ERR_UNREACHABLE;
        rc = rs_errf(errstr, errsz, why, "worker stopped: %s", w->fatal_msg);
    }
    worker_free(w);
    return rc;
}
