/* test_ratelimit.c - the pool's request budget per registry host
 * (common/redis/ratelimit.c) against the real Redis of REGSCAN_TEST_REDIS_URL
 * (skipped without): 12 threads, each with its own connection (as workers
 * have), ask for permits for 3.5 s at a limit of N per second; in every
 * calendar second at most N are granted and at least 0.8 N, and no N + 1
 * permits lie within 1 s of each other; a pause holds every permit back; a
 * stop ends the wait at once; bad arguments are refused. */
#include "base.h"
#include "redis.h"
#include "rs_test.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 12
#define LIMIT 20
#define MAX_GRANTS 4096

static char url[512], prefix[64];
static redisContext *raw;
static atomic_int quit;

static pthread_mutex_t grants_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t grants[MAX_GRANTS]; /* Redis server time of each permit, microseconds */
static int n_grants, n_errors;

/* Redis's clock in microseconds: permits are counted on the clock that gave them. */
static int64_t redis_now_us(redisContext *c)
{
    redisReply *r = redisCommand(c, "TIME");
    RS_REQUIRE(r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    int64_t v = strtoll(r->element[0]->str, NULL, 10) * 1000000 +
                strtoll(r->element[1]->str, NULL, 10);
    freeReplyObject(r);
    return v;
}

static redisContext *connect_raw(void)
{
    char errstr[256];
    rs_redis_url u;
    RS_REQUIRE(rs_redis_url_parse(url, &u, errstr, sizeof errstr) == 0);
    redisContext *c = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
    RS_REQUIRE(c != NULL && !c->err);
    if (u.password[0])
        freeReplyObject(redisCommand(c, "AUTH %s", u.password));
    freeReplyObject(redisCommand(c, "SELECT %d", u.db));
    return c;
}

static int stop_now(void *arg)
{
    (void)arg;
    return atomic_load(&quit);
}

static void *asker(void *arg)
{
    const char *host = arg;
    char errstr[256];
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    redisContext *c = connect_raw();
    RS_REQUIRE(st != NULL);
    while (!atomic_load(&quit)) {
        int rc = rs_ratelimit_acquire(st, host, LIMIT, 10000, stop_now, NULL, errstr,
                                      sizeof errstr);
        if (rc == RS_ERR_CANCELLED)
            break;
        /* the time of the permit is read right after it, as a request would be sent */
        int64_t t = redis_now_us(c);
        pthread_mutex_lock(&grants_lock);
        if (rc)
            n_errors++;
        else if (n_grants < MAX_GRANTS)
            grants[n_grants++] = t;
        pthread_mutex_unlock(&grants_lock);
    }
    redisFree(c);
    rs_state_destroy(st);
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_pool(void)
{
    static char host[] = "registry.test:5000";
    pthread_t t[THREADS];
    atomic_store(&quit, 0);
    n_grants = n_errors = 0;
    int64_t start = redis_now_us(raw);
    for (int i = 0; i < THREADS; i++)
        RS_REQUIRE(pthread_create(&t[i], NULL, asker, host) == 0);
    usleep(3500 * 1000);
    atomic_store(&quit, 1);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    RS_CHECK_INT(n_errors, 0);
    qsort(grants, (size_t)n_grants, sizeof *grants, cmp64);
    /* calendar seconds of Redis's clock wholly inside the run */
    int64_t first = start / 1000000 + 1;
    int checked = 0;
    for (int64_t s = first; (s + 1) * 1000000 <= grants[n_grants - 1]; s++, checked++) {
        int in = 0;
        for (int i = 0; i < n_grants; i++)
            in += grants[i] / 1000000 == s;
        printf("second %lld: %d permits (limit %d)\n", (long long)(s - first), in, LIMIT);
        RS_CHECK(in <= LIMIT);
        RS_CHECK(in * 10 >= LIMIT * 8);
    }
    RS_CHECK(checked >= 2);
    /* any window: permits i and i + N are more than a second apart */
    int64_t tightest = INT64_MAX;
    for (int i = 0; i + LIMIT < n_grants; i++)
        if (grants[i + LIMIT] - grants[i] < tightest)
            tightest = grants[i + LIMIT] - grants[i];
    printf("%d permits; the tightest %d + 1 span %lld us\n", n_grants, LIMIT,
           (long long)tightest);
    RS_CHECK(tightest > 1000000);
}

static void test_pause_and_stop(rs_state *st)
{
    const char *host = "paused.test";
    char errstr[256];
    long long wait = 0;
    RS_CHECK_INT(rs_ratelimit_try(st, host, 1000, &wait, errstr, sizeof errstr), 0);
    RS_CHECK_INT((int)wait, 0);
    RS_CHECK_INT(rs_ratelimit_pause(st, host, 3000, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_ratelimit_try(st, host, 1000, &wait, errstr, sizeof errstr), 0);
    RS_CHECK(wait > 2900 && wait <= 3000);
    /* a shorter pause does not shorten a longer one */
    RS_CHECK_INT(rs_ratelimit_pause(st, host, 100, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_ratelimit_try(st, host, 1000, &wait, errstr, sizeof errstr), 0);
    RS_CHECK(wait > 2800);
    /* more than max_wait in all: throttled, at once */
    uint64_t t0 = rs_now_ms();
    RS_CHECK_INT(rs_ratelimit_acquire(st, host, 1000, 500, NULL, NULL, errstr, sizeof errstr),
                 RS_ERR_TOOMANYREQUESTS);
    RS_CHECK(rs_now_ms() - t0 < 200);
    RS_CHECK(strstr(errstr, "'paused.test'") != NULL);
    /* a stop ends the wait within a nap */
    atomic_store(&quit, 1);
    t0 = rs_now_ms();
    RS_CHECK_INT(rs_ratelimit_acquire(st, host, 1000, 10000, stop_now, NULL, errstr,
                                      sizeof errstr),
                 RS_ERR_CANCELLED);
    RS_CHECK(rs_now_ms() - t0 < 200);
    /* the key expires after the pause */
    char key[128];
    snprintf(key, sizeof key, "%sratelimit:%s", prefix, host);
    redisReply *r = redisCommand(raw, "PTTL %s", key);
    RS_REQUIRE(r != NULL);
    RS_CHECK(r->integer > 2800 && r->integer <= 4000);
    freeReplyObject(r);
    freeReplyObject(redisCommand(raw, "DEL %s", key));
}

static void test_bad_args(rs_state *st)
{
    char errstr[256];
    long long wait = 7;
    RS_CHECK_INT(rs_ratelimit_try(st, "h", 0, &wait, errstr, sizeof errstr), RS_ERR_INVALID);
    RS_CHECK_INT((int)wait, 0);
    RS_CHECK_INT(rs_ratelimit_try(st, "h", RS_RATELIMIT_MAX_PER_SECOND + 1, &wait, errstr,
                                  sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK_INT(rs_ratelimit_try(st, "", 5, &wait, errstr, sizeof errstr), RS_ERR_INVALID);
    RS_CHECK_INT(rs_ratelimit_try(st, "a b", 5, &wait, errstr, sizeof errstr), RS_ERR_INVALID);
    RS_CHECK_INT(rs_ratelimit_pause(st, "h", 0, errstr, sizeof errstr), RS_ERR_INVALID);
}

int main(void)
{
    const char *u = getenv("REGSCAN_TEST_REDIS_URL");
    if (!u || !*u)
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set");
    snprintf(url, sizeof url, "%s", u);
    snprintf(prefix, sizeof prefix, "rstest-ratelimit:%d:", (int)getpid());
    char errstr[512];
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    RS_REQUIRE(st != NULL);
    raw = connect_raw();

    test_pool();
    test_pause_and_stop(st);
    test_bad_args(st);

    char key[128];
    snprintf(key, sizeof key, "%sratelimit:registry.test:5000", prefix);
    freeReplyObject(redisCommand(raw, "DEL %s", key));
    redisFree(raw);
    rs_state_destroy(st);
    printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
    return rs_test_failed ? 1 : 0;
}
