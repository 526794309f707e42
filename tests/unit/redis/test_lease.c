/* test_lease.c - a lease kept by its renewer thread (common/redis/lease.c), against
 * the real Redis of REGSCAN_TEST_REDIS_URL (skipped without): renewed past its
 * TTL, lost to another owner or to its expiry (the job's stop flag set, the
 * other's lease left alone), given up after its maximum life, released at the
 * end. Run under ThreadSanitizer too (label tsan). */
#include "base.h"
#include "redis.h"
#include "rs_test.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#define D "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static char prefix[64], key[160];
static redisContext *raw;

/* The value of the lease key, "" when there is none. */
static const char *holder(void)
{
    static char v[128];
    redisReply *r = redisCommand(raw, "GET %s", key);
    RS_REQUIRE(r != NULL);
    snprintf(v, sizeof v, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
    return v;
}

static long long pttl(void)
{
    redisReply *r = redisCommand(raw, "PTTL %s", key);
    RS_REQUIRE(r != NULL);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static void take(rs_state *st, long long ttl_ms)
{
    char err[256];
    int ok = 0;
    RS_REQUIRE(rs_state_lease_acquire(st, D, "w1/1", ttl_ms, &ok, err, sizeof err) == 0 && ok);
}

/* Waits up to ms for the stop flag. */
static int stopped_within(atomic_int *stop, int ms)
{
    for (int i = 0; i < ms / 10 && !atomic_load(stop); i++)
        usleep(10000);
    return atomic_load(stop);
}

static void test_renewed(rs_state *st)
{
    atomic_int stop = 0;
    take(st, 300);
    rs_lease *l = rs_lease_hold(st, D, "w1/1", 300, 60000, &stop);
    RS_REQUIRE(l != NULL);
    usleep(1000 * 1000); /* more than three TTLs */
    RS_CHECK_STR(holder(), "w1/1");
    RS_CHECK(pttl() > 0);
    RS_CHECK_INT(rs_lease_lost(l), 0);
    RS_CHECK_INT(atomic_load(&stop), 0);
    rs_lease_end(l, 1);
    RS_CHECK_STR(holder(), "");
}

static void test_lost_to_another(rs_state *st)
{
    atomic_int stop = 0;
    take(st, 300);
    rs_lease *l = rs_lease_hold(st, D, "w1/1", 300, 60000, &stop);
    RS_REQUIRE(l != NULL);
    redisReply *r = redisCommand(raw, "SET %s other/7 PX 5000", key);
    freeReplyObject(r);
    RS_CHECK_INT(stopped_within(&stop, 1000), 1);
    RS_CHECK_INT(rs_lease_lost(l), 1);
    rs_lease_end(l, 1); /* not ours any more: left alone */
    RS_CHECK_STR(holder(), "other/7");
    r = redisCommand(raw, "DEL %s", key);
    freeReplyObject(r);
}

static void test_lost_when_gone(rs_state *st)
{
    atomic_int stop = 0;
    take(st, 300);
    rs_lease *l = rs_lease_hold(st, D, "w1/1", 300, 60000, &stop);
    RS_REQUIRE(l != NULL);
    redisReply *r = redisCommand(raw, "DEL %s", key); /* as if it expired */
    freeReplyObject(r);
    RS_CHECK_INT(stopped_within(&stop, 1000), 1);
    RS_CHECK_INT(rs_lease_lost(l), 1);
    rs_lease_end(l, 1);
    RS_CHECK_STR(holder(), "");
}

static void test_max_life(rs_state *st)
{
    atomic_int stop = 0;
    take(st, 300);
    rs_lease *l = rs_lease_hold(st, D, "w1/1", 300, 400, &stop);
    RS_REQUIRE(l != NULL);
    usleep(1200 * 1000); /* renewing ended at 400 ms: the lease expired */
    RS_CHECK_STR(holder(), "");
    RS_CHECK_INT(rs_lease_lost(l), 0);
    RS_CHECK_INT(atomic_load(&stop), 0);
    rs_lease_end(l, 0);
    /* ending at once, before a first renewal, with NULL stop */
    take(st, 300);
    l = rs_lease_hold(st, D, "w1/1", 300, 60000, NULL);
    RS_REQUIRE(l != NULL);
    rs_lease_end(l, 1);
    RS_CHECK_STR(holder(), "");
    rs_lease_end(NULL, 1);
}

int main(void)
{
    const char *url = getenv("REGSCAN_TEST_REDIS_URL");
    if (!url || !*url)
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set");
    char errstr[512];
    rs_redis_url u;
    RS_REQUIRE(rs_redis_url_parse(url, &u, errstr, sizeof errstr) == 0);
    snprintf(prefix, sizeof prefix, "rstest-lease:%d:", (int)getpid());
    snprintf(key, sizeof key, "%slease:%s", prefix, D);
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    RS_REQUIRE(st != NULL);
    raw = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
    RS_REQUIRE(raw != NULL && !raw->err);
    if (u.password[0]) {
        redisReply *r = redisCommand(raw, "AUTH %s", u.password);
        freeReplyObject(r);
    }
    redisReply *r = redisCommand(raw, "SELECT %d", u.db);
    freeReplyObject(r);

    test_renewed(st);
    test_lost_to_another(st);
    test_lost_when_gone(st);
    test_max_life(st);

    redisFree(raw);
    rs_state_destroy(st);
    printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
    return rs_test_failed ? 1 : 0;
}
