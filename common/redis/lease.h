/* lease.h - keeping lease:{digest} while a job indexes the digest (DESIGN.md
 * §6). The lease is taken with rs_state_lease_acquire; rs_lease_hold then
 * renews it from a thread of its own every ttl/3 with a compare-and-set, for
 * at most max_life_ms in all (a stuck holder cannot keep a digest forever).
 * The lease is lost when another owner holds it, or when it could not be
 * renewed for a whole ttl (Redis away): rs_lease_lost says so and the job's
 * stop flag is set, so its scan stops and publishes nothing. */
#ifndef RS_LEASE_H
#define RS_LEASE_H

#include <stdatomic.h>

#include "state.h"

typedef struct rs_lease rs_lease;

/* Starts renewing the lease `owner` holds on `digest` (ttl_ms >= 3). `stop`
 * (may be NULL) is set to 1 when the lease is lost. The strings are copied.
 * NULL when out of memory. */
rs_lease *rs_lease_hold(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                        long long max_life_ms, atomic_int *stop);
/* 1 once the lease was lost. */
int rs_lease_lost(rs_lease *l);
/* Stops renewing and, with `release` and the lease not lost, deletes it (only
 * if we still hold it). Frees l; NULL is fine. */
void rs_lease_end(rs_lease *l, int release);

#endif
