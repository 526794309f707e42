/* worker_int.h - what the worker's files share (the .c files of worker/): the worker,
 * one request being processed, the retry of infrastructure steps, and the
 * steps each file provides. Not a public header. */
#ifndef RS_WORKER_INT_H
#define RS_WORKER_INT_H

#include "image.h"
#include "config.h"
#include "base.h"
#include "model.h"
#include "kafka.h"
#include "match.h"
#include "policy.h"
#include "report.h"
#include "scan.h"
#include "redis.h"
#include "registry.h"
#include "worker.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#define LEASE_MAX_LIFE_MS (60 * 60 * 1000)
#define ATTEMPTS_TTL_S (7 * 24 * 3600) /* a poison mark is forgotten after a week */

/* A job is a request of the window (window.h); its payload the Kafka message. */
typedef rs_window_job job_t;

static inline rd_kafka_message_t *job_msg(const job_t *j)
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
    rs_window *win;     /* the requests in flight, by partition */
    pthread_t *threads; /* the job threads */
    int n_threads;
    pthread_mutex_t lock; /* guards fatal_rc and fatal_msg */
    atomic_int fatal;     /* Kafka or Redis lost for good */
    int fatal_rc;         /* the status that made it fatal */
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
    /* the tenants' policies (parallel to cfg->tenants), kept while the files they
     * were read from are unchanged (rs_policy_unchanged); guarded by policy_lock */
    pthread_mutex_t policy_lock;
    rs_policy **policies;
    /* one registry client per configured registry (registries.c), created on
     * first use and kept with its tokens; guarded by reg_lock */
    pthread_mutex_t reg_lock;
    rs_registry **registries;
    void **throttles; /* their gates' contexts (throttle.c), NULL where no rate_limit */
    size_t n_registries;
    /* clients of registries found by the tenants' Azure discovery, by tenant and
     * host (registries.c); guarded by reg_lock too */
    struct worker_found_reg *found_regs;
    size_t n_found_regs, cap_found_regs;
};

/* The backoff of one step that Redis or Kafka could not take (DESIGN.md §6):
 * 200 ms doubling to 10 s, with jitter, for as long as the outage budget. */
struct backoff {
    uint64_t deadline;
    unsigned delay_ms;
    unsigned seed;
};

/* Runs `expr` (a Redis or Kafka step, giving an rs_err) again while it fails
 * with RS_ERR_STORE or RS_ERR_BROKER, within the outage budget. Needs `w`. */
#define RETRY(jb, expr)                                                                            \
    ({                                                                                             \
        struct backoff b_ = {0};                                                                   \
        int rc_;                                                                                   \
        while (worker_backoff_again(w, (jb), &b_, rc_ = (expr)))                                   \
            ;                                                                                      \
        rc_;                                                                                       \
    })

/* Everything one request needs while it is processed. */
struct request {
    struct worker *w;
    job_t *jb;
    rs_scan_request req;
    const rs_registry_conf *rconf;
    rs_registry_conf found; /* a discovered registry (url, host owned; the rest borrowed) */
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
    int poisoned; /* started past max_attempts: ANALYZER_CRASHED, dead-lettered, not tried */
    char scan_err[1024];
    rs_match_result *matches;
    int64_t db_used;
    char fingerprint[RS_DIGEST_SIZE];
    rs_policy *policy;       /* the tenant's policy, NULL when it has none */
    char policy_version[24]; /* its effective version when the request started */
    int policy_rc;           /* it could not be read: the image's error report */
    char policy_err[1000];
    rs_refs refs;
    rs_base base; /* the image's base (base.c) */
    char errstr[1024];
};

/* retry.c: the worker stops for good (first reason kept; the window fails) */
void worker_set_fatal(struct worker *w, int rc, const char *msg);
/* retry.c: sleeps ms, waking early when the job is cancelled or the worker failed */
void worker_nap(struct worker *w, const job_t *jb, unsigned ms);
/* retry.c: 1 when a step that returned rc is tried again after a pause (see RETRY) */
int worker_backoff_again(struct worker *w, const job_t *jb, struct backoff *b, int rc);
/* snapshot.c: follows vulndb:current (at most every 10 s unless force_check) */
void worker_refresh_vulndb(struct worker *w, int force_check);
/* snapshot.c: resident memory of this process in KiB (0 when unknown) */
long worker_rss_kib(void);
/* deadletter.c: sends job j to the dead-letter topic: 0 or the producer's failure */
int worker_dead_letter(struct worker *w, job_t *j, const char *reason, char *errstr, size_t errsz);
/* index.c: the index stage under the lease protocol: 0 with r->inv set, or a failure */
int worker_index_digest(struct request *r);
/* base.c: r->base from the annotations and Redis (after the match: needs
 * db_used); 0 or a Redis failure */
int worker_base_find(struct request *r);
/* base.c: basevulns: of an image of a base repository (nothing for the others) */
int worker_base_record(struct request *r);
/* throttle.c: puts the requests of the kept client reg of registry rc behind
 * the pool's budget when rc has a rate_limit: *ctx is the gate's context,
 * freed by the caller after reg (NULL when there is no limit) */
struct rs_registry;
int worker_throttle_install(struct worker *w, const rs_registry_conf *rc, struct rs_registry *reg,
                            void **ctx, char *errstr, size_t errsz);
/* request.c: 0 when the request is finished (report, dead letter, nothing to do) */
int worker_process_request(struct worker *w, job_t *jb);

/* registries.c: the registry clients kept for the worker's life. */
int worker_registries_init(struct worker *w);
void worker_registries_free(struct worker *w);
/* The client of `rc` (a registry of w->cfg), created on first use; NULL with errstr. */
rs_registry *worker_registry(struct worker *w, const rs_registry_conf *rc, char *errstr,
                             size_t errsz);
/* The client of a registry that `tenant`'s discovery found (rc: the request's
 * entry, copied by the client), created on first use and kept; NULL with errstr. */
rs_registry *worker_registry_found(struct worker *w, const char *tenant, const rs_registry_conf *rc,
                                   char *errstr, size_t errsz);

#endif
