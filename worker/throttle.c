/* throttle.c - the worker's side of the pool's request budget per registry
 * host (DESIGN.md §6; docs/azure.md, "Throttling"): a registry with a
 * rate_limit gets a gate that takes a permit from Redis before every request
 * to its host, and tells Redis of a 429 so the whole pool waits. The gate is
 * installed once on the worker's kept client of that registry (registries.c). Redis errors
 * are retried within the outage budget, as every other Redis step of a job. */
#include "worker_int.h"
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>

/* the longest a request waits for a permit before it fails as throttled */
#define THROTTLE_MAX_WAIT_MS (120 * 1000LL)

struct throttle {
    struct worker *w;
    int per_second;
};

static int throttle_stopped(void *arg)
{
    const struct throttle *t = arg;
    return atomic_load(&t->w->fatal);
}

static int throttle_acquire(void *ctx, const char *host, char *errstr, size_t errsz)
{
    struct throttle *t = ctx;
    struct backoff b = {0};
    int rc;
    do
        rc = rs_ratelimit_acquire(t->w->state, host, t->per_second, THROTTLE_MAX_WAIT_MS,
                                  throttle_stopped, t, errstr, errsz);
    while (rc == RS_ERR_STORE && worker_backoff_again(t->w, NULL, &b, rc));
    return rc;
}

static void throttle_pause(void *ctx, const char *host, long delay_ms)
{
    struct throttle *t = ctx;
    char err[256];
    if (delay_ms > 0 && rs_ratelimit_pause(t->w->state, host, delay_ms, err, sizeof err))
        rs_log(RS_LOG_WARN, "cannot pause the requests to '%s' for the pool: %s", host, err);
}

int worker_throttle_install(struct worker *w, const rs_registry_conf *rc, rs_registry *reg,
                            void **ctx, char *errstr, size_t errsz)
{
    *ctx = NULL;
    if (rc->rate_per_second <= 0)
        return 0;
    struct throttle *t = calloc(1, sizeof *t);
    if (!t)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    t->w = w;
    t->per_second = rc->rate_per_second;
    rs_http_gate g = {throttle_acquire, throttle_pause, t};
    int rc2 = rs_registry_set_gate(reg, &g);
    if (rc2) {
        free(t);
        return rs_errf(errstr, errsz, rc2, "cannot limit the requests to '%s'", rc->host);
    }
    *ctx = t;
    return 0;
}
