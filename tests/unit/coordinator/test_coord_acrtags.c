/* test_coord_acrtags.c - the coordinator's ACR listing logic: which pass is
 * a full listing, where an incremental one stops (tags as old as the stored
 * time are listed again, older ones end it), and the tagtime: entry it
 * leaves (against the Redis of REGSCAN_TEST_REDIS_URL; that part is skipped
 * without it). */
#include "acrtags_int.h"
#include "base.h"
#include "rs_test.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static void test_full(void)
{
    rs_tagtime t = {1000, 0};
    RS_CHECK_INT(rs_coord_acr_full(&t, 0, 24), 1); /* never listed: everything */
    RS_CHECK_INT(rs_coord_acr_full(&t, 1, 1), 1);  /* every pass */
    RS_CHECK_INT(rs_coord_acr_full(&t, 1, 0), 1);
    int expect[] = {0, 0, 1, 1};
    for (long k = 0; k < 4; k++) {
        t.partial = k;
        RS_CHECK_INT(rs_coord_acr_full(&t, 1, 3), expect[k]);
    }
}

struct names {
    char v[8][16];
    int n;
};

static int add(const char *name, void *opaque)
{
    struct names *l = opaque;
    if (l->n == 8)
        return RS_ERR_LIMIT_EXCEEDED;
    snprintf(l->v[l->n++], 16, "%s", name);
    return 0;
}

/* Feeds tags with times `when` (newest first) until the callback stops. */
static int feed(rs_acr_listing *l, const int64_t *when, int n)
{
    static const char *names[] = {"t0", "t1", "t2", "t3", "t4", "t5"};
    for (int i = 0; i < n; i++) {
        rs_acr_tag t = {names[i], D1, when[i]};
        int rc = rs_coord_acr_take(&t, l);
        if (rc)
            return rc;
    }
    return 0;
}

static void test_take(void)
{
    const int64_t when[] = {300, 200, 100, 100, 50, 10};
    struct names got = {0};
    rs_acr_listing l = {.full = 0, .since = 100, .newest = INT64_MIN, .add = add, .opaque = &got};
    RS_CHECK_INT(feed(&l, when, 6), RS_ACR_STOP);
    RS_CHECK_INT(got.n, 4); /* both tags at the stored time are listed again */
    RS_CHECK_STR(got.v[3], "t3");
    RS_CHECK_INT(l.listed, 4);
    RS_CHECK_INT(l.newest, 300);
    RS_CHECK_INT(l.stopped, 1);

    struct names all = {0};
    rs_acr_listing f = {.full = 1, .since = INT64_MIN, .newest = INT64_MIN, .add = add,
                        .opaque = &all};
    RS_CHECK_INT(feed(&f, when, 6), 0);
    RS_CHECK_INT(all.n, 6);
    RS_CHECK_INT(f.stopped, 0);
    RS_CHECK_INT(f.newest, 300);

    /* nothing newer than the stored time: the first tag ends the listing */
    struct names none = {0};
    rs_acr_listing q = {.since = 400, .newest = INT64_MIN, .add = add, .opaque = &none};
    RS_CHECK_INT(feed(&q, when, 6), RS_ACR_STOP);
    RS_CHECK_INT(none.n, 0);
    RS_CHECK_INT(q.newest, INT64_MIN);

    /* the caller's error passes through */
    struct names small = {.n = 8};
    rs_acr_listing e = {.full = 1, .newest = INT64_MIN, .add = add, .opaque = &small};
    RS_CHECK_INT(feed(&e, when, 1), RS_ERR_LIMIT_EXCEEDED);
}

static void test_tagtime(const char *url)
{
    char errstr[512], prefix[64];
    snprintf(prefix, sizeof prefix, "rstest-acr:%d:", (int)getpid());
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    RS_REQUIRE(st != NULL);
    rs_tagtime t;
    int found = -1;
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(found, 0);
    /* a full listing with nothing listed writes nothing */
    rs_acr_listing l = {.full = 1, .newest = INT64_MIN};
    RS_CHECK_INT(rs_coord_acr_commit(st, "t", "r:1", "team/web", &l, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(found, 0);
    /* a full listing: the newest time, no incremental listing counted */
    l.newest = 1767225600;
    RS_CHECK_INT(rs_coord_acr_commit(st, "t", "r:1", "team/web", &l, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(found, 1);
    RS_CHECK_INT(t.newest, 1767225600);
    RS_CHECK_INT(t.partial, 0);
    /* two incremental listings, the first finding nothing new */
    rs_acr_listing inc = {.full = 0, .newest = INT64_MIN, .prev = t, .prev_found = 1};
    RS_CHECK_INT(rs_coord_acr_commit(st, "t", "r:1", "team/web", &inc, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &inc.prev, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(inc.prev.newest, 1767225600);
    RS_CHECK_INT(inc.prev.partial, 1);
    inc.newest = 1767225700;
    RS_CHECK_INT(rs_coord_acr_commit(st, "t", "r:1", "team/web", &inc, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(t.newest, 1767225700);
    RS_CHECK_INT(t.partial, 2);
    /* a malformed entry reads as none */
    rs_redis_url u;
    RS_REQUIRE(rs_redis_url_parse(url, &u, errstr, sizeof errstr) == 0);
    redisContext *raw = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
    RS_REQUIRE(raw && !raw->err);
    if (u.password[0])
        freeReplyObject(u.user[0] ? redisCommand(raw, "AUTH %s %s", u.user, u.password)
                                  : redisCommand(raw, "AUTH %s", u.password));
    freeReplyObject(redisCommand(raw, "SELECT %d", u.db));
    freeReplyObject(
        redisCommand(raw, "HSET %stagtime:t:r:1/team/web newest 12x partial 1", prefix));
    RS_CHECK_INT(rs_state_tagtime_get(st, "t", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), 0);
    RS_CHECK_INT(found, 0);
    freeReplyObject(redisCommand(raw, "DEL %stagtime:t:r:1/team/web", prefix));
    redisFree(raw);
    RS_CHECK_INT(rs_state_tagtime_get(st, "", "r:1", "team/web", &t, &found, errstr,
                                      sizeof errstr), RS_ERR_INVALID);
    rs_state_destroy(st);
}

int main(void)
{
    test_full();
    test_take();
    const char *url = getenv("REGSCAN_TEST_REDIS_URL");
    if (!url || !*url) {
        printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
        if (rs_test_failed)
            return 1;
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set: tagtime: not checked");
    }
    test_tagtime(url);
    return RS_TEST_RESULT();
}
