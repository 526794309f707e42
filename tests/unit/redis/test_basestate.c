/* test_basestate.c - the base image key families (basechain:, basetags:,
 * basevulns:) against the Redis named by REGSCAN_TEST_REDIS_URL (skipped
 * when unset): exact keys and values, the longest prefix in one look-up, an
 * image not naming itself, hostile entries, tags moving and leaving. */
#include "base.h"
#include "redis.h"
#include "report.h"
#include "rs_test.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static char prefix[64];

static redisReply *raw_cmd(redisContext *c, const char *fmt, const char *a, const char *b)
{
    char key[512];
    snprintf(key, sizeof key, "%s%s", prefix, a);
    redisReply *r = redisCommand(c, fmt, key, b);
    RS_REQUIRE(r != NULL);
    return r;
}

static void cleanup(redisContext *c)
{
    redisReply *r = redisCommand(c, "KEYS %s*", prefix);
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(c, "DEL %s", r->element[i]->str));
    freeReplyObject(r);
}

static void record(rs_state *st, const char *chain, const char *digest, long n, const char *created)
{
    rs_basechain b = {.n_layers = n};
    char err[256];
    snprintf(b.registry, sizeof b.registry, "%s", "r:5000");
    snprintf(b.repository, sizeof b.repository, "%s", "base/alpine");
    snprintf(b.digest, sizeof b.digest, "%s", digest);
    snprintf(b.created, sizeof b.created, "%s", created);
    RS_CHECK_INT(rs_state_basechain_set(st, "t", chain, &b, err, sizeof err), 0);
}

static void test_chain(rs_state *st, redisContext *raw)
{
    char *layers[3] = {DA, DB, DC};
    char chains[3][65];
    RS_REQUIRE(rs_base_chain_ids(layers, 3, chains) == 0);
    record(st, chains[0], D1, 1, "2023-01-01T00:00:00Z");
    record(st, chains[1], D2, 2, "");
    char key[128];
    snprintf(key, sizeof key, "basechain:t:%s", chains[1]);
    redisReply *r = raw_cmd(raw, "HGET %s %s", key, "repository");
    RS_CHECK_STR(r->str, "base/alpine");
    freeReplyObject(r);

    rs_basechain hit;
    size_t k = 9;
    char err[256];
    RS_CHECK_INT(rs_state_basechain_longest(st, "t", chains, 3, NULL, &hit, &k, err, sizeof err), 0);
    RS_CHECK_INT(k, 2);
    RS_CHECK_STR(hit.digest, D2);
    RS_CHECK_STR(hit.registry, "r:5000");
    RS_CHECK_INT(hit.n_layers, 2);
    RS_CHECK_STR(hit.created, "");
    /* the image itself is not its own base: the next shorter one is */
    RS_CHECK_INT(rs_state_basechain_longest(st, "t", chains, 3, D2, &hit, &k, err, sizeof err), 0);
    RS_CHECK_INT(k, 1);
    RS_CHECK_STR(hit.digest, D1);
    RS_CHECK_STR(hit.created, "2023-01-01T00:00:00Z");
    /* an entry that disagrees with its length, or lacks a field, does not count */
    freeReplyObject(raw_cmd(raw, "HSET %s n_layers %s", key, "3"));
    RS_CHECK_INT(rs_state_basechain_longest(st, "t", chains, 3, NULL, &hit, &k, err, sizeof err), 0);
    RS_CHECK_INT(k, 1);
    snprintf(key, sizeof key, "basechain:t:%s", chains[0]);
    freeReplyObject(raw_cmd(raw, "HDEL %s %s", key, "digest"));
    RS_CHECK_INT(rs_state_basechain_longest(st, "t", chains, 3, NULL, &hit, &k, err, sizeof err), 0);
    RS_CHECK_INT(k, 0);
    /* another tenant sees nothing */
    record(st, chains[2], DA, 3, "");
    RS_CHECK_INT(rs_state_basechain_longest(st, "u", chains, 3, NULL, &hit, &k, err, sizeof err), 0);
    RS_CHECK_INT(k, 0);
}

static void test_tags(rs_state *st, redisContext *raw)
{
    char err[256];
    const char *d1[] = {D1}, *d12[] = {D1, D2};
    int64_t c1[] = {100}, c12[] = {200, INT64_MIN};
    RS_CHECK_INT(rs_state_basetag_set(st, "t", "r:5000", "base/alpine", "3.18", d1, c1, 1, err,
                                      sizeof err), 0);
    RS_CHECK_INT(rs_state_basetag_set(st, "t", "r:5000", "base/alpine", "3.18.4", d1, c1, 1, err,
                                      sizeof err), 0);
    /* 3.18 moves to an index of two platforms: its old member goes */
    RS_CHECK_INT(rs_state_basetag_set(st, "t", "r:5000", "base/alpine", "3.18", d12, c12, 2, err,
                                      sizeof err), 0);
    rs_basetag *tags = NULL;
    size_t n = 0;
    RS_CHECK_INT(rs_state_basetags_get(st, "t", "r:5000", "base/alpine", &tags, &n, err,
                                       sizeof err), 0);
    RS_REQUIRE(n == 3);
    RS_CHECK_STR(tags[0].tag, "3.18");
    RS_CHECK_STR(tags[0].digest, D1);
    RS_CHECK_INT(tags[0].created, 200);
    RS_CHECK_STR(tags[1].tag, "3.18.4");
    RS_CHECK_INT(tags[1].created, 100);
    RS_CHECK_STR(tags[2].digest, D2);
    RS_CHECK(tags[2].created == INT64_MIN);
    free(tags);
    /* a member this code did not write is skipped; a gone tag leaves */
    freeReplyObject(raw_cmd(raw, "ZADD %s 5 %s", "basetags:t:r:5000/base/alpine", "junk"));
    RS_CHECK_INT(rs_state_basetag_set(st, "t", "r:5000", "base/alpine", "3.18", NULL, NULL, 0, err,
                                      sizeof err), 0);
    RS_CHECK_INT(rs_state_basetags_get(st, "t", "r:5000", "base/alpine", &tags, &n, err,
                                       sizeof err), 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_STR(n ? tags[0].tag : "", "3.18.4");
    free(tags);
    RS_CHECK_INT(rs_state_basetag_set(st, "t", "r:5000", "base/alpine", "a@b", d1, c1, 1, err,
                                      sizeof err), RS_ERR_INVALID);
}

static void test_vulns(rs_state *st)
{
    char err[256];
    RS_CHECK_INT(rs_state_basevulns_set(st, "t", D1, "{\"ids\":[]}", err, sizeof err), 0);
    const char *ds[] = {D1, D2};
    char *out[2];
    size_t len[2];
    RS_CHECK_INT(rs_state_basevulns_get_many(st, "t", ds, 2, out, len, err, sizeof err), 0);
    RS_CHECK_STR(out[0], "{\"ids\":[]}");
    RS_CHECK_INT(len[0], 10);
    RS_CHECK(out[1] == NULL);
    free(out[0]);
    free(out[1]);
}

int main(void)
{
    const char *url = getenv("REGSCAN_TEST_REDIS_URL");
    if (!url || !*url)
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set");
    char errstr[512];
    rs_redis_url server;
    RS_REQUIRE(rs_redis_url_parse(url, &server, errstr, sizeof errstr) == 0);
    snprintf(prefix, sizeof prefix, "rstest-base:%d:", (int)getpid());
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    RS_REQUIRE(st != NULL);
    redisContext *raw =
        server.path[0] ? redisConnectUnix(server.path) : redisConnect(server.host, server.port);
    RS_REQUIRE(raw && !raw->err);
    if (server.password[0])
        freeReplyObject(server.user[0]
                            ? redisCommand(raw, "AUTH %s %s", server.user, server.password)
                            : redisCommand(raw, "AUTH %s", server.password));
    freeReplyObject(redisCommand(raw, "SELECT %d", server.db));
    cleanup(raw);
    test_chain(st, raw);
    test_tags(st, raw);
    test_vulns(st);
    cleanup(raw);
    redisFree(raw);
    rs_state_destroy(st);
    return RS_TEST_RESULT();
}
