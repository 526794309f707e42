/* throttle.c - the worker's side of the pool's request budget per registry
 * host (DESIGN.md §6; docs/azure.md, "Throttling"): a registry with a
 * rate_limit gets a gate that takes a permit from Redis before every request
 * to its host, and tells Redis of a 429 so the whole pool waits. Redis errors
 * are retried within the outage budget, as every other Redis step of a job. */
#include "worker_int.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

/* the longest a request waits for a permit before it fails as throttled */
#define THROTTLE_MAX_WAIT_MS (120 * 1000LL)

struct throttle {
    struct worker *w;
    job_t *jb;
    int per_second;
};

static int throttle_stopped(void *arg)
{
    const struct throttle *t = arg;
    return atomic_load(&t->jb->cancel) || atomic_load(&t->w->fatal);
}

static int throttle_acquire(void *ctx, const char *host, char *errstr, size_t errsz)
{
    struct throttle *t = ctx;
    struct backoff b = {0};
    int rc;
    do
        rc = rs_ratelimit_acquire(t->w->state, host, t->per_second, THROTTLE_MAX_WAIT_MS,
                                  throttle_stopped, t, errstr, errsz);
    while (rc == RS_ERR_STORE && worker_backoff_again(t->w, t->jb, &b, rc));
    return rc;
}

static void throttle_pause(void *ctx, const char *host, long delay_ms)
{
    struct throttle *t = ctx;
    char err[256];
    if (delay_ms > 0 && rs_ratelimit_pause(t->w->state, host, delay_ms, err, sizeof err))
        rs_log(RS_LOG_WARN, "cannot pause the requests to '%s' for the pool: %s", host, err);
}

int worker_throttle_install(struct request *r, rs_registry *reg)
{
    if (!r->rconf || r->rconf->rate_per_second <= 0 || !reg)
        return 0;
    struct throttle *t = calloc(1, sizeof *t);
    if (!t)
        return rs_errf(r->scan_err, sizeof r->scan_err, RS_ERR_INTERNAL, "out of memory");
    t->w = r->w;
    t->jb = r->jb;
    t->per_second = r->rconf->rate_per_second;
    rs_http_gate g = {throttle_acquire, throttle_pause, t};
    int rc = rs_registry_set_gate(reg, &g);
    if (rc) {
        free(t);
        return rs_errf(r->scan_err, sizeof r->scan_err, rc, "cannot limit the requests to '%s'",
                       r->rconf->host);
    }
    r->throttle = t;
    return 0;
}
