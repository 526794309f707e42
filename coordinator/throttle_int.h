/* throttle_int.h - the coordinator's side of the pool's request budget per
 * registry host (docs/azure.md, "Throttling"). Not a public header. */
#ifndef RS_COORD_THROTTLE_INT_H
#define RS_COORD_THROTTLE_INT_H

#include <stddef.h>

#include "redis.h"
#include "registry.h"

/* With per_second > 0, puts every request to reg's host behind the Redis
 * rate limit of `st` (429s pause the pool): *ctx is the gate's context, to be
 * freed after reg is destroyed. With 0 nothing happens and *ctx is NULL.
 * Returns 0 or an rs_err with errstr. */
int rs_coord_throttle_install(rs_registry *reg, rs_state *st, int per_second, void **ctx,
                              char *errstr, size_t errstr_size);

#endif
