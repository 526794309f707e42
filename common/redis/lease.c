/* lease.c - a lease renewed by a thread of its own (see lease.h). */
#include "redis.h"
#include "base.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rs_lease {
    rs_state *st;
    char *digest, *owner;
    long long ttl_ms, max_life_ms;
    atomic_int *stop_flag;
    atomic_int lost;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC: wakes the renewer to end */
    int ending;
    int have_thread;
    pthread_t tid;
};

static void deadline_in(struct timespec *ts, long long ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t ns = (int64_t)ts->tv_nsec + (int64_t)ms * 1000000;
    ts->tv_sec += (time_t)(ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

/* One renewal: 0 renewed, 1 lost, -1 not renewed yet (Redis did not answer). */
static int renew_once(rs_lease *l, uint64_t renewed_at)
{
    char err[256];
    int renewed = 0;
    int rc = rs_state_lease_renew(l->st, l->digest, l->owner, l->ttl_ms, &renewed, err, sizeof err);
    if (rc == 0 && renewed)
        return 0;
    if (rc == 0 || rs_now_ms() - renewed_at >= (uint64_t)l->ttl_ms) {
        rs_log(RS_LOG_WARN, "lost the lease of '%s': %s", l->digest,
               rc ? "it could not be renewed before it expired" : "another worker holds it");
        return 1;
    }
    rs_log(RS_LOG_WARN, "lease of '%s' not renewed yet: %s", l->digest, err);
    return -1;
}

static void *renew_thread(void *arg)
{
    rs_lease *l = arg;
    uint64_t born = rs_now_ms(), renewed_at = born;
    pthread_mutex_lock(&l->lock);
    while (!l->ending && rs_now_ms() - born < (uint64_t)l->max_life_ms) {
        struct timespec ts;
        deadline_in(&ts, l->ttl_ms / 3);
        while (!l->ending && pthread_cond_timedwait(&l->cond, &l->lock, &ts) == 0)
            ;
        if (l->ending)
            break;
        int r = renew_once(l, renewed_at);
        if (r == 0) {
            renewed_at = rs_now_ms();
        } else if (r == 1) {
            atomic_store(&l->lost, 1);
            if (l->stop_flag)
                atomic_store(l->stop_flag, 1);
            break;
        }
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

rs_lease *rs_lease_hold(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                        long long max_life_ms, atomic_int *stop)
{
    rs_lease *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->digest = strdup(digest);
    l->owner = strdup(owner);
    if (!l->digest || !l->owner) {
        free(l->digest);
        free(l->owner);
        free(l);
        return NULL;
    }
    l->st = st;
    l->ttl_ms = ttl_ms < 3 ? 3 : ttl_ms;
    l->max_life_ms = max_life_ms;
    l->stop_flag = stop;
    atomic_init(&l->lost, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, &ca);
    pthread_condattr_destroy(&ca);
    /* without a thread the lease is not renewed: it expires, and another worker may
     * index the digest too, which costs a pull, never a wrong answer */
    l->have_thread = pthread_create(&l->tid, NULL, renew_thread, l) == 0;
    if (!l->have_thread)
        rs_log(RS_LOG_WARN, "cannot start the renewer of the lease of '%s'", digest);
    return l;
}

int rs_lease_lost(rs_lease *l)
{
    return atomic_load(&l->lost);
}

void rs_lease_end(rs_lease *l, int release)
{
    if (!l)
        return;
    if (l->have_thread) {
        pthread_mutex_lock(&l->lock);
        l->ending = 1;
        pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->lock);
        pthread_join(l->tid, NULL);
    }
    if (release && !atomic_load(&l->lost)) {
        char err[256];
        if (rs_state_lease_release(l->st, l->digest, l->owner, NULL, err, sizeof err))
            rs_log(RS_LOG_WARN, "cannot release the lease of '%s' (it expires): %s", l->digest,
                   err);
    }
    pthread_mutex_destroy(&l->lock);
    pthread_cond_destroy(&l->cond);
    free(l->digest);
    free(l->owner);
    free(l);
}
