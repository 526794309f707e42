/* httppolicy.c - the HTTP client's retry and deadline policy: its REGSCAN_HTTP_*
 * settings and the deadline arithmetic. No I/O; http.c applies what this computes. */
#include "registry.h"
#include "base.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* One setting: the variable, its unit factor into the policy field, its bounds (in the
 * variable's own unit) and the field it sets. */
struct setting {
    const char *name;
    long long min, max, factor;
    size_t offset;
    int is_int;
};

#define LONG_FIELD(f) offsetof(rs_http_policy, f), 0
static const struct setting settings[] = {
    {"REGSCAN_HTTP_RETRIES", 0, 20, 1, offsetof(rs_http_policy, max_retries), 1},
    {"REGSCAN_HTTP_BACKOFF_MS", 0, 60000, 1, LONG_FIELD(backoff_base_ms)},
    {"REGSCAN_HTTP_RETRY_AFTER_CAP", 0, 3600, 1000, LONG_FIELD(retry_after_cap_ms)},
    {"REGSCAN_HTTP_CONNECT_TIMEOUT", 1, 600, 1000, LONG_FIELD(connect_timeout_ms)},
    {"REGSCAN_HTTP_STALL_RATE", 1, 1LL << 30, 1, LONG_FIELD(low_speed_limit)},
    {"REGSCAN_HTTP_STALL_TIME", 1, 3600, 1, LONG_FIELD(low_speed_time)},
    {"REGSCAN_HTTP_DEADLINE_FLOOR", 1, 86400, 1000, LONG_FIELD(deadline_floor_ms)},
    {"REGSCAN_HTTP_DEADLINE_RATE", 1, 1LL << 34, 1, LONG_FIELD(deadline_rate)},
};
#undef LONG_FIELD

static int apply(rs_http_policy *p, const struct setting *s, const char *v, char *errstr,
                 size_t errsz)
{
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < s->min || n > s->max)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "%s: '%.32s' is not an integer from %lld to %lld", s->name, v, s->min,
                       s->max);
    char *field = (char *)p + s->offset;
    if (s->is_int) {
        int iv = (int)n;
        memcpy(field, &iv, sizeof iv);
    } else {
        long lv = (long)(n * s->factor);
        memcpy(field, &lv, sizeof lv);
    }
    return 0;
}

int rs_http_policy_env(rs_http_policy *p, char *errstr, size_t errsz)
{
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        const char *v = getenv(settings[i].name);
        if (!v || !*v)
            continue;
        int rc = apply(p, &settings[i], v, errstr, errsz);
        if (rc)
            return rc;
    }
    /* a backoff cap under the base would make every backoff the cap */
    if (p->backoff_cap_ms < p->backoff_base_ms)
        p->backoff_cap_ms = p->backoff_base_ms;
    return 0;
}

long long rs_http_deadline_ms(const rs_http_policy *p, long long declared, long long received)
{
    if (p->deadline_floor_ms <= 0)
        return 0;
    long long size = declared > received ? declared : received;
    if (size < 0)
        size = 0;
    long long rate = p->deadline_rate > 0 ? p->deadline_rate : 1;
    long long secs = size / rate, rest = size % rate;
    if (secs > (LLONG_MAX - p->deadline_floor_ms) / 1000 - 1)
        return LLONG_MAX;
    return p->deadline_floor_ms + secs * 1000 + rest * 1000 / rate;
}
