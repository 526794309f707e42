/* ratelimit.c - one request budget per registry host for the whole pool:
 * ratelimit:{host} holds the theoretical arrival time of a GCRA (the generic
 * cell rate algorithm), kept on Redis's clock by one script.
 *
 * Any N + 1 permits of one host lie at least RS_RATELIMIT_WINDOW_MS apart (1 s
 * plus a margin for the time between a permit and the request reaching the
 * registry), so no 1-second window at the registry sees more than N requests
 * while that time varies by less than the margin (docs/azure.md, "Throttling").
 * Does no HTTP; the registry client asks through its gate. */
#include "redis.h"
#include "base.h"
#include "state_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

/* KEYS[1] ratelimit:{host}; ARGV: interval us, tolerance us, pause us. Times
 * in microseconds of Redis's TIME. Returns 0 for a permit (taken), else the
 * milliseconds to wait before asking again. With a pause > 0 it only pushes
 * the arrival time to now + pause (a 429 seen by one worker) and returns 0. */
static const char SCRIPT_RATELIMIT[] =
    "if redis.replicate_commands then pcall(redis.replicate_commands) end "
    "local t = redis.call('TIME') "
    "local now = tonumber(t[1]) * 1000000 + tonumber(t[2]) "
    "local iv, tol, pause = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]) "
    "local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0 "
    "if pause > 0 then "
    "  if now + pause > tat then "
    "    redis.call('SET', KEYS[1], string.format('%.0f', now + pause), 'PX', "
    "      math.floor(pause / 1000) + 1000) "
    "  end "
    "  return 0 "
    "end "
    "if tat - tol > now then return math.floor((tat - tol - now + 999) / 1000) end "
    "if tat < now then tat = now end "
    "tat = tat + iv "
    "redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', "
    "  math.floor((tat - now) / 1000) + 1000) "
    "return 0";

/* The emission interval T in microseconds for `per_second` permits: any N + 1
 * permits span N*T - tolerance >= the window. */
static long long interval_us(int per_second)
{
    long long span = (RS_RATELIMIT_WINDOW_MS + RS_RATELIMIT_TOLERANCE_MS) * 1000LL;
    return (span + per_second - 1) / per_second;
}

static int ok_host(const char *host)
{
    size_t n = host ? strlen(host) : 0;
    if (n == 0 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)host[i] <= ' ' || (unsigned char)host[i] >= 0x7f)
            return 0;
    return 1;
}

/* One run of the script; *wait_ms gets its answer. */
static int run_script(rs_state *st, const char *host, long long iv, long long pause_us,
                      long long *wait_ms, char *errstr, size_t errsz)
{
    char *key = rs_state_int_key(st, "ratelimit:", host, NULL, NULL, NULL);
    if (!key)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    char a_iv[32], a_tol[32], a_pause[32];
    snprintf(a_iv, sizeof a_iv, "%lld", iv);
    snprintf(a_tol, sizeof a_tol, "%lld", RS_RATELIMIT_TOLERANCE_MS * 1000LL);
    snprintf(a_pause, sizeof a_pause, "%lld", pause_us);
    rs_state_cmd c = {0};
    const char *args[] = {"EVAL", SCRIPT_RATELIMIT, "1", key, a_iv, a_tol, a_pause};
    for (size_t i = 0; i < sizeof args / sizeof *args; i++)
        rs_state_int_arg(&c, args[i]);
    redisReply *r = NULL;
    int rc = rs_state_int_pipeline(st, &c, 1, &r, errstr, errsz);
    if (rc == 0 && (!r || r->type != REDIS_REPLY_INTEGER || r->integer < 0))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "unexpected reply to the rate limit of '%s'",
                     host);
    if (rc == 0)
        *wait_ms = r->integer;
    rs_state_int_free_replies(&r, 1);
    free(key);
    return rc;
}

int rs_ratelimit_try(rs_state *st, const char *host, int per_second, long long *wait_ms,
                     char *errstr, size_t errsz)
{
    *wait_ms = 0;
    if (!ok_host(host) || per_second < 1 || per_second > RS_RATELIMIT_MAX_PER_SECOND)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "bad arguments to rs_ratelimit_try");
    return run_script(st, host, interval_us(per_second), 0, wait_ms, errstr, errsz);
}

int rs_ratelimit_pause(rs_state *st, const char *host, long long pause_ms, char *errstr,
                       size_t errsz)
{
    long long ignored = 0;
    if (!ok_host(host) || pause_ms < 1)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "bad arguments to rs_ratelimit_pause");
    if (pause_ms > RS_RATELIMIT_MAX_PAUSE_MS)
        pause_ms = RS_RATELIMIT_MAX_PAUSE_MS;
    return run_script(st, host, 1, pause_ms * 1000, &ignored, errstr, errsz);
}

static void nap_ms(long long ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int rs_ratelimit_acquire(rs_state *st, const char *host, int per_second, long long max_wait_ms,
                         int (*stopped)(void *), void *arg, char *errstr, size_t errsz)
{
    uint64_t start = rs_now_ms();
    for (;;) {
        long long wait = 0;
        int rc = rs_ratelimit_try(st, host, per_second, &wait, errstr, errsz);
        if (rc || wait == 0)
            return rc;
        uint64_t waited = rs_now_ms() - start;
        if ((long long)waited + wait > max_wait_ms)
            return rs_errf(errstr, errsz, RS_ERR_TOOMANYREQUESTS,
                           "no request budget for '%s' within %lld ms (limit %d per second)", host,
                           max_wait_ms, per_second);
        /* short naps, so that a stop is not delayed by a long pause */
        while (wait > 0) {
            if (stopped && stopped(arg))
                return rs_errf(errstr, errsz, RS_ERR_CANCELLED,
                               "stopped while waiting for a request budget for '%s'", host);
            long long step = wait < 50 ? wait : 50;
            nap_ms(step);
            wait -= step;
        }
        if (stopped && stopped(arg))
            return rs_errf(errstr, errsz, RS_ERR_CANCELLED,
                           "stopped while waiting for a request budget for '%s'", host);
    }
}
