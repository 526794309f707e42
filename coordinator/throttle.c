/* throttle.c - the coordinator's requests to a registry with a rate_limit
 * take a permit from the pool's budget in Redis first (common/redis
 * ratelimit.c), and a 429 pauses the whole pool. A Redis failure fails the
 * request (RS_ERR_STORE): the pass stops that registry, as for any other
 * Redis failure. */
#include "throttle_int.h"
#include "base.h"

#include <stdlib.h>

/* the longest a request waits for a permit before it fails as throttled */
#define THROTTLE_MAX_WAIT_MS (120 * 1000LL)

struct throttle {
    rs_state *st;
    int per_second;
};

static int throttle_acquire(void *ctx, const char *host, char *errstr, size_t errsz)
{
    const struct throttle *t = ctx;
    return rs_ratelimit_acquire(t->st, host, t->per_second, THROTTLE_MAX_WAIT_MS, NULL, NULL,
                                errstr, errsz);
}

static void throttle_pause(void *ctx, const char *host, long delay_ms)
{
    const struct throttle *t = ctx;
    char err[256];
    if (delay_ms > 0 && rs_ratelimit_pause(t->st, host, delay_ms, err, sizeof err))
        rs_log(RS_LOG_WARN, "cannot pause the requests to '%s' for the pool: %s", host, err);
}

int rs_coord_throttle_install(rs_registry *reg, rs_state *st, int per_second, void **ctx,
                              char *errstr, size_t errsz)
{
    *ctx = NULL;
    if (per_second <= 0)
        return 0;
    struct throttle *t = calloc(1, sizeof *t);
    if (!t)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    t->st = st;
    t->per_second = per_second;
    rs_http_gate g = {throttle_acquire, throttle_pause, t};
    int rc = rs_registry_set_gate(reg, &g);
    if (rc) {
        free(t);
        return rs_errf(errstr, errsz, rc, "cannot limit the requests to '%s'",
                       rs_registry_host(reg));
    }
    *ctx = t;
    return 0;
}
