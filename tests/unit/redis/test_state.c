/* test_state.c - Redis URL parsing (always) and every state/cache operation
 * against the Redis named by REGSCAN_TEST_REDIS_URL (skipped when unset). */
#include "base.h"
#include "rs_test.h"
#include "redis.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <unistd.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void test_url(void)
{
    rs_redis_url u;
    char errstr[256];
    RS_CHECK_INT(rs_redis_url_parse("redis://127.0.0.1:6379/0", &u, errstr, sizeof errstr), 0);
    RS_CHECK_STR(u.host, "127.0.0.1");
    RS_CHECK_INT(u.port, 6379);
    RS_CHECK_INT(u.db, 0);
    RS_CHECK_STR(u.password, "");
    RS_CHECK_STR(u.user, "");

    RS_CHECK_INT(
        rs_redis_url_parse("redis://:p%40ss@redis.local:6380/12", &u, errstr, sizeof errstr), 0);
    RS_CHECK_STR(u.host, "redis.local");
    RS_CHECK_INT(u.port, 6380);
    RS_CHECK_INT(u.db, 12);
    RS_CHECK_STR(u.password, "p@ss");
    RS_CHECK_STR(u.user, "");

    /* an unencoded '@' in the password: the last '@' ends the userinfo */
    RS_CHECK_INT(rs_redis_url_parse("redis://app:a@b@h", &u, errstr, sizeof errstr), 0);
    RS_CHECK_STR(u.user, "app");
    RS_CHECK_STR(u.password, "a@b");
    RS_CHECK_STR(u.host, "h");
    RS_CHECK_INT(u.port, 6379);
    RS_CHECK_INT(u.db, 0);

    RS_CHECK_INT(rs_redis_url_parse("redis://[::1]:7000/", &u, errstr, sizeof errstr), 0);
    RS_CHECK_STR(u.host, "::1");
    RS_CHECK_INT(u.port, 7000);

    RS_CHECK_INT(rs_redis_url_parse("unix:///run/redis.sock?db=4", &u, errstr, sizeof errstr), 0);
    RS_CHECK_STR(u.path, "/run/redis.sock");
    RS_CHECK_STR(u.host, "");
    RS_CHECK_INT(u.db, 4);

    struct {
        const char *url, *err;
    } bad[] = {
        {"", "redis url: empty"},
        {"http://h:1", "redis url: must start with redis:// or unix://"},
        {"rediss://:pw@h:1", "redis url: rediss:// (TLS) is not supported by hiredis 0.14, use a "
                             "local TLS proxy such as stunnel"},
        {"redis://h:0", "redis url: bad port"},
        {"redis://h:65536", "redis url: bad port"},
        {"redis://h:x", "redis url: bad port"},
        {"redis://:s3cret@:6379", "redis url: bad host"},
        {"redis://s3cret@h", "redis url: credentials must be :password@ or user:password@"},
        {"redis://:s3cret%zz@h", "redis url: bad or too long user or password"},
        {"redis://h/abc", "redis url: the path must be a database number"},
        {"redis://h/1?timeout=3", "redis url: the path must be a database number"},
        {"redis://h?db=1", "redis url: unexpected query or fragment"},
        {"unix://relative.sock", "redis url: unix:// needs an absolute socket path"},
        {"unix:///s.sock?password=x", "redis url: unix socket options must be ?db=N"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        errstr[0] = '\0';
        RS_CHECK_INT(rs_redis_url_parse(bad[i].url, &u, errstr, sizeof errstr), RS_ERR_CONFIG);
        RS_CHECK_STR(errstr, bad[i].err);
    }
}

static rs_redis_url server;
static char prefix[64];

static redisContext *raw_connect(void)
{
    redisContext *c =
        server.path[0] ? redisConnectUnix(server.path) : redisConnect(server.host, server.port);
    RS_REQUIRE(c && !c->err);
    if (server.password[0]) {
        redisReply *r = server.user[0] ? redisCommand(c, "AUTH %s %s", server.user, server.password)
                                       : redisCommand(c, "AUTH %s", server.password);
        freeReplyObject(r);
    }
    redisReply *r = redisCommand(c, "SELECT %d", server.db);
    freeReplyObject(r);
    return c;
}

static long long raw_int(redisContext *c, const char *fmt, const char *key)
{
    redisReply *r = redisCommand(c, fmt, key);
    RS_REQUIRE(r != NULL);
    long long v = r->type == REDIS_REPLY_INTEGER  ? r->integer
                  : r->type == REDIS_REPLY_STRING ? atoll(r->str)
                                                  : -999;
    freeReplyObject(r);
    return v;
}

static char *k(const char *rest)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s%s", prefix, rest);
    return buf[i];
}

static void cleanup(redisContext *c)
{
    redisReply *r = redisCommand(c, "KEYS %s*", prefix);
    for (size_t i = 0; r && i < r->elements; i++)
        freeReplyObject(redisCommand(c, "DEL %s", r->element[i]->str));
    freeReplyObject(r);
}

static void test_done(rs_state *st, redisContext *raw)
{
    char errstr[256];
    rs_done d, out;
    int found = -1;
    RS_CHECK_INT(rs_state_done_get(st, "contoso", DA, &out, &found, errstr, sizeof errstr), 0);
    RS_CHECK_INT(found, 0);
    memset(&d, 0, sizeof d);
    snprintf(d.analyzer_version, sizeof d.analyzer_version, "regscan-0.1.0");
    d.vulndb_version = 42;
    snprintf(d.policy_version, sizeof d.policy_version, "pol-1");
    snprintf(d.report_id, sizeof d.report_id, "%064d", 7);
    snprintf(d.status, sizeof d.status, "error");
    snprintf(d.error_code, sizeof d.error_code, "UNAUTHORIZED");
    snprintf(d.scanned_at, sizeof d.scanned_at, "2026-11-27T10:00:05Z");
    d.last_seen_pass = 3;
    snprintf(d.findings, sizeof d.findings, "sha256:%064d", 9);
    snprintf(d.platform, sizeof d.platform, "linux/arm64/v8");
    RS_CHECK_INT(rs_state_done_set(st, "contoso", DA, &d, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("done:contoso:" DA)), 1);
    RS_CHECK_INT(raw_int(raw, "HLEN %s", k("done:contoso:" DA)), 10); /* + findings, platform */
    RS_CHECK_INT(rs_state_done_get(st, "contoso", DA, &out, &found, errstr, sizeof errstr), 0);
    RS_CHECK_STR(out.platform, "linux/arm64/v8");
    RS_CHECK_STR(out.findings,
                 "sha256:0000000000000000000000000000000000000000000000000000000000000009");
    RS_CHECK_INT(found, 1);
    RS_CHECK_STR(out.analyzer_version, "regscan-0.1.0");
    RS_CHECK_INT(out.vulndb_version, 42);
    RS_CHECK_STR(out.policy_version, "pol-1");
    RS_CHECK_STR(out.report_id, d.report_id);
    RS_CHECK_STR(out.status, "error");
    RS_CHECK_STR(out.error_code, "UNAUTHORIZED");
    RS_CHECK_STR(out.scanned_at, "2026-11-27T10:00:05Z");
    RS_CHECK_INT(out.last_seen_pass, 3);
    /* another tenant does not see it */
    RS_CHECK_INT(rs_state_done_get(st, "fabrikam", DA, &out, &found, errstr, sizeof errstr), 0);
    RS_CHECK_INT(found, 0);

    d.vulndb_version = 7;
    snprintf(d.status, sizeof d.status, "ok");
    d.error_code[0] = '\0';
    RS_CHECK_INT(rs_state_done_set(st, "contoso", DC, &d, errstr, sizeof errstr), 0);

    const char *digests[3] = {DA, DB, DC};
    rs_done outs[3];
    int f[3] = {-1, -1, -1};
    RS_CHECK_INT(rs_state_done_get_many(st, "contoso", digests, 3, outs, f, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(f[0], 1);
    RS_CHECK_INT(f[1], 0);
    RS_CHECK_INT(f[2], 1);
    RS_CHECK_INT(outs[0].vulndb_version, 42);
    RS_CHECK_STR(outs[1].analyzer_version, "");
    RS_CHECK_INT(outs[2].vulndb_version, 7);
    RS_CHECK_STR(outs[2].status, "ok");
    RS_CHECK_STR(outs[2].error_code, "");

    /* with a pass number: values from before, then last_seen_pass moved on
     * existing entries only */
    RS_CHECK_INT(
        rs_state_done_get_many_pass(st, "contoso", digests, 3, 9, outs, f, errstr, sizeof errstr),
        0);
    RS_CHECK_INT(outs[0].last_seen_pass, 3);
    RS_CHECK_INT(f[1], 0);
    RS_CHECK_INT(rs_state_done_get(st, "contoso", DA, &out, &found, errstr, sizeof errstr), 0);
    RS_CHECK_INT(out.last_seen_pass, 9);
    RS_CHECK_INT(out.vulndb_version, 42);
    int ex[3] = {-1, -1, -1};
    RS_CHECK_INT(rs_state_done_exists_many(st, "contoso", digests, 3, ex, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(ex[0], 1);
    RS_CHECK_INT(ex[1], 0); /* not created by the pass update */
    RS_CHECK_INT(ex[2], 1);

    /* queued marks: set with an expiry, seen in one pipeline, cleared */
    int q[3] = {-1, -1, -1};
    RS_CHECK_INT(rs_state_queued_set(st, "contoso", DB, 600, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_queued_exists_many(st, "contoso", digests, 3, q, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(q[0], 0);
    RS_CHECK_INT(q[1], 1);
    RS_CHECK_INT(q[2], 0);
    long long qttl = raw_int(raw, "TTL %s", k("queued:contoso:" DB));
    RS_CHECK(qttl > 590 && qttl <= 600);
    RS_CHECK_INT(rs_state_queued_set(st, "contoso", DB, 0, errstr, sizeof errstr), RS_ERR_INVALID);
    RS_CHECK_INT(rs_state_queued_clear(st, "contoso", DB, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("queued:contoso:" DB)), 0);

    RS_CHECK_INT(rs_state_done_delete(st, "contoso", DC, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("done:contoso:" DC)), 0);

    /* a large batch in one pipeline */
    enum { N = 2000 };
    static char names[N][RS_DIGEST_SIZE];
    static const char *many[N];
    static rs_done mouts[N];
    static int mf[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "sha256:%064d", i);
        many[i] = names[i];
    }
    RS_CHECK_INT(rs_state_done_set(st, "contoso", names[1234], &d, errstr, sizeof errstr), 0);
    RS_CHECK_INT(
        rs_state_done_get_many_pass(st, "contoso", many, N, 10, mouts, mf, errstr, sizeof errstr),
        0);
    int n_found = 0;
    for (int i = 0; i < N; i++)
        n_found += mf[i];
    RS_CHECK_INT(n_found, 1);
    RS_CHECK_INT(mf[1234], 1);

    RS_CHECK_INT(rs_state_done_get(st, "", DA, &out, &found, errstr, sizeof errstr),
                 RS_ERR_INVALID);
}

static void test_attempts(rs_state *st, redisContext *raw);

static void test_lease(rs_state *st, redisContext *raw)
{
    char errstr[256];
    int ok = -1;
    long long ttl = 0;
    RS_CHECK_INT(rs_state_lease_ttl(st, DA, &ttl, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ttl, -2);
    RS_CHECK_INT(rs_state_lease_acquire(st, DA, "worker-a", 20000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 1);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("lease:" DA)), 1);
    RS_CHECK_INT(rs_state_lease_acquire(st, DA, "worker-b", 20000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 0);
    RS_CHECK_INT(rs_state_lease_ttl(st, DA, &ttl, errstr, sizeof errstr), 0);
    RS_CHECK(ttl > 15000 && ttl <= 20000);
    RS_CHECK_INT(rs_state_lease_renew(st, DA, "worker-b", 60000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 0);
    RS_CHECK_INT(rs_state_lease_renew(st, DA, "worker-a", 60000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 1);
    RS_CHECK_INT(rs_state_lease_ttl(st, DA, &ttl, errstr, sizeof errstr), 0);
    RS_CHECK(ttl > 55000 && ttl <= 60000);
    RS_CHECK_INT(rs_state_lease_release(st, DA, "worker-b", &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("lease:" DA)), 1);
    RS_CHECK_INT(rs_state_lease_release(st, DA, "worker-a", &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 1);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("lease:" DA)), 0);
    RS_CHECK_INT(rs_state_lease_renew(st, DA, "worker-a", 60000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 0);
    /* an expired lease can be taken by someone else */
    RS_CHECK_INT(rs_state_lease_acquire(st, DB, "worker-a", 50, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 1);
    usleep(150 * 1000);
    RS_CHECK_INT(rs_state_lease_acquire(st, DB, "worker-b", 1000, &ok, errstr, sizeof errstr), 0);
    RS_CHECK_INT(ok, 1);
    RS_CHECK_INT(rs_state_lease_acquire(st, DB, "worker-b", 0, &ok, errstr, sizeof errstr),
                 RS_ERR_INVALID);

    test_attempts(st, raw);
}

/* attempts:{analyzer}:{digest}: counted per analyzer version, with an expiry,
 * cancellations taken back, a new batch (forced rescan) starting again. */
static void test_attempts(rs_state *st, redisContext *raw)
{
    char errstr[256];
    long long n = 0;
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, NULL, 3600, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, "", 3600, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 2);
    RS_CHECK_INT(raw_int(raw, "HGET %s count", k("attempts:a1:" DA)), 2);
    long long ttl = raw_int(raw, "TTL %s", k("attempts:a1:" DA));
    RS_CHECK(ttl > 3590 && ttl <= 3600);
    /* another analyzer version counts apart */
    RS_CHECK_INT(rs_state_attempts_start(st, "a2", DA, NULL, 3600, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 1);
    /* a cancellation is no attempt; never below zero */
    RS_CHECK_INT(rs_state_attempts_cancel(st, "a1", DA, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "HGET %s count", k("attempts:a1:" DA)), 1);
    RS_CHECK_INT(rs_state_attempts_cancel(st, "a1", DA, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_attempts_cancel(st, "a1", DA, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "HGET %s count", k("attempts:a1:" DA)), 0);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, NULL, 3600, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 1);
    /* a forced batch starts again once; its redeliveries keep counting */
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, NULL, 3600, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 2);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, "batch-1", 3600, &n, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, "batch-1", 3600, &n, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(n, 2);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, "batch-2", 3600, &n, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_INT(rs_state_attempts_clear(st, "a1", DA, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("attempts:a1:" DA)), 0);
    RS_CHECK_INT(rs_state_attempts_cancel(st, "a1", DA, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("attempts:a1:" DA)), 0);
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DA, NULL, 0, &n, errstr, sizeof errstr),
                 RS_ERR_INVALID);
}

static void test_refs_tags(rs_state *st, redisContext *raw)
{
    char errstr[256];
    int added = -1;
    RS_CHECK_INT(rs_state_refs_add(st, "contoso", DA, "contoso.azurecr.io", "team/web", "latest",
                                   &added, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(added, 1);
    RS_CHECK_INT(rs_state_refs_add(st, "contoso", DA, "contoso.azurecr.io", "team/web", "latest",
                                   &added, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(added, 0);
    RS_CHECK_INT(rs_state_refs_add(st, "contoso", DA, "contoso.azurecr.io", "team/web", "1.4",
                                   &added, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(rs_state_refs_add(st, "contoso", DA, "127.0.0.1:5000", "mirror/web", "1.4", &added,
                                   errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(rs_state_refs_add(st, "contoso", DA, "contoso.azurecr.io", "team/api", "v2",
                                   &added, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(raw_int(raw, "SCARD %s", k("refs:contoso:" DA)), 4);
    RS_CHECK_INT(raw_int(raw, "SISMEMBER %s 127.0.0.1:5000/mirror/web:1.4", k("refs:contoso:" DA)),
                 1);

    rs_refs refs = {0};
    RS_CHECK_INT(rs_state_refs_get(st, "contoso", DA, &refs, errstr, sizeof errstr), 0);
    RS_REQUIRE(refs.n == 3);
    RS_CHECK_STR(refs.items[0].registry, "127.0.0.1:5000");
    RS_CHECK_STR(refs.items[0].repository, "mirror/web");
    RS_CHECK_STR(refs.items[1].registry, "contoso.azurecr.io");
    RS_CHECK_STR(refs.items[1].repository, "team/api");
    RS_CHECK_STR(refs.items[2].repository, "team/web");
    RS_REQUIRE(refs.items[2].n_tags == 2);
    RS_CHECK_STR(refs.items[2].tags[0], "1.4");
    RS_CHECK_STR(refs.items[2].tags[1], "latest");

    int removed = -1;
    RS_CHECK_INT(rs_state_refs_remove(st, "contoso", DA, "contoso.azurecr.io", "team/web", "1.4",
                                      &removed, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(removed, 1);
    RS_CHECK_INT(rs_state_refs_get(st, "contoso", DA, &refs, errstr, sizeof errstr), 0);
    RS_REQUIRE(refs.n == 3);
    RS_CHECK_INT(refs.items[2].n_tags, 1);
    RS_CHECK_INT(
        rs_state_refs_remove(st, "contoso", DA, NULL, NULL, NULL, &removed, errstr, sizeof errstr),
        0);
    RS_CHECK_INT(removed, 1);
    RS_CHECK_INT(rs_state_refs_get(st, "contoso", DA, &refs, errstr, sizeof errstr), 0);
    RS_CHECK_INT(refs.n, 0);
    rs_refs_clear(&refs);

    char digest[RS_DIGEST_SIZE];
    int found = -1;
    RS_CHECK_INT(rs_state_tag_get(st, "contoso", "contoso.azurecr.io", "team/web", "latest", digest,
                                  &found, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(found, 0);
    RS_CHECK_STR(digest, "");
    RS_CHECK_INT(rs_state_tag_set(st, "contoso", "contoso.azurecr.io", "team/web", "latest", DB,
                                  errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("tag:contoso:contoso.azurecr.io/team/web:latest")), 1);
    RS_CHECK_INT(rs_state_tag_get(st, "contoso", "contoso.azurecr.io", "team/web", "latest", digest,
                                  &found, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(found, 1);
    RS_CHECK_STR(digest, DB);
}

static int collect_tag(const char *tag, void *opaque)
{
    rs_refs *r = opaque; /* a sorted list of names, borrowed for the test */
    return rs_refs_add(r, "x", "y", tag);
}

static int stop_tag(const char *tag, void *opaque)
{
    (void)tag;
    ++*(int *)opaque;
    return RS_ERR_INTERNAL;
}

/* rs_state_tag_record moves a tag's ref from the images it pointed to to the
 * new ones in one pipeline; rs_state_tag_forget takes it off; tags: lists
 * what was recorded. */
static void test_tag_record(rs_state *st, redisContext *raw)
{
    char errstr[256], digest[RS_DIGEST_SIZE];
    int found = 0;
    const char *a[] = {DA}, *bc[] = {DB, DC}, *ab[] = {DA, DB};
    const char *ref = "r.example.test/team/app:t";
    RS_CHECK_INT(rs_state_tag_record(st, "acme", "r.example.test", "team/app", "t", DA, a, 1, NULL,
                                     0, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(raw_int(raw, "SCARD %s", k("refs:acme:" DA)), 1);
    RS_CHECK_INT(rs_state_tag_get(st, "acme", "r.example.test", "team/app", "t", digest, &found,
                                  errstr, sizeof errstr),
                 0);
    RS_CHECK_STR(digest, DA);
    /* t moves to an "index" whose images are B and C; A and B are removed
     * first, so B (in both lists) keeps it */
    RS_CHECK_INT(rs_state_tag_record(st, "acme", "r.example.test", "team/app", "t", DC, bc, 2, ab,
                                     2, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("refs:acme:" DA)), 0);
    redisReply *r = redisCommand(raw, "SISMEMBER %s %s", k("refs:acme:" DB), ref);
    RS_CHECK_INT(r->integer, 1);
    freeReplyObject(r);
    r = redisCommand(raw, "SISMEMBER %s %s", k("refs:acme:" DC), ref);
    RS_CHECK_INT(r->integer, 1);
    freeReplyObject(r);
    RS_CHECK_INT(rs_state_tag_get(st, "acme", "r.example.test", "team/app", "t", digest, &found,
                                  errstr, sizeof errstr),
                 0);
    RS_CHECK_STR(digest, DC);
    RS_CHECK_INT(rs_state_tag_record(st, "acme", "r.example.test", "team/app", "u", DA, a, 1, NULL,
                                     0, errstr, sizeof errstr),
                 0);
    rs_refs names = {0};
    RS_CHECK_INT(rs_state_tags_list(st, "acme", "r.example.test", "team/app", collect_tag, &names,
                                    errstr, sizeof errstr),
                 0);
    RS_REQUIRE(names.n == 1 && names.items[0].n_tags == 2);
    RS_CHECK_STR(names.items[0].tags[0], "t");
    RS_CHECK_STR(names.items[0].tags[1], "u");
    rs_refs_clear(&names);
    RS_CHECK_INT(raw_int(raw, "SCARD %s", k("tags:acme:r.example.test/team/app")), 2);

    RS_CHECK_INT(rs_state_tag_forget(st, "acme", "r.example.test", "team/app", "t", bc, 2, errstr,
                                     sizeof errstr),
                 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("refs:acme:" DB)), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("refs:acme:" DC)), 0);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("tag:acme:r.example.test/team/app:t")), 0);
    RS_CHECK_INT(raw_int(raw, "SCARD %s", k("tags:acme:r.example.test/team/app")), 1);
    RS_CHECK_INT(raw_int(raw, "SCARD %s", k("refs:acme:" DA)), 1); /* u */
    /* a callback's error stops the walk and is returned; no callback is invalid */
    RS_CHECK_INT(rs_state_tag_record(st, "acme", "r.example.test", "team/app", "v", DA, a, 1, NULL,
                                     0, errstr, sizeof errstr),
                 0);
    int calls = 0;
    RS_CHECK_INT(rs_state_tags_list(st, "acme", "r.example.test", "team/app", stop_tag, &calls,
                                    errstr, sizeof errstr),
                 RS_ERR_INTERNAL);
    RS_CHECK_INT(calls, 1);
    RS_CHECK_INT(rs_state_tags_list(st, "acme", "r.example.test", "team/app", NULL, NULL, errstr,
                                    sizeof errstr),
                 RS_ERR_INVALID);
    const char *bad[] = {""};
    RS_CHECK_INT(rs_state_tag_record(st, "acme", "r.example.test", "team/app", "t", DA, bad, 1,
                                     NULL, 0, errstr, sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK_INT(raw_int(raw, "EXISTS %s", k("tag:acme:r.example.test/team/app:t")), 0);
}

/* A digest with more tags than RS_REFS_MAX_TAGS: the first 100 in order, the
 * other 30 counted. */
static void test_refs_cap(rs_state *st)
{
    char errstr[256], tag[16];
    rs_refs refs = {0};
    for (int i = 129; i >= 0; i--) {
        snprintf(tag, sizeof tag, "t%03d", i);
        RS_CHECK_INT(rs_state_refs_add(st, "contoso", DC, "r.example.test", "team/web", tag, NULL,
                                       errstr, sizeof errstr),
                     0);
    }
    RS_CHECK_INT(rs_state_refs_get(st, "contoso", DC, &refs, errstr, sizeof errstr), 0);
    RS_REQUIRE(refs.n == 1 && refs.items[0].n_tags == 100);
    RS_CHECK_STR(refs.items[0].tags[0], "t000");
    RS_CHECK_STR(refs.items[0].tags[99], "t099");
    RS_CHECK_INT(refs.omitted, 30);
    /* exactly the cap: nothing omitted */
    for (int i = 100; i < 130; i++) {
        snprintf(tag, sizeof tag, "t%03d", i);
        RS_CHECK_INT(rs_state_refs_remove(st, "contoso", DC, "r.example.test", "team/web", tag,
                                          NULL, errstr, sizeof errstr),
                     0);
    }
    RS_CHECK_INT(rs_state_refs_get(st, "contoso", DC, &refs, errstr, sizeof errstr), 0);
    RS_CHECK_INT(refs.items[0].n_tags, 100);
    RS_CHECK_INT(refs.omitted, 0);
    rs_refs_clear(&refs);
}

static void test_cache(rs_state *st, redisContext *raw)
{
    char errstr[256];
    const char bin[] = {'z', 0, 's', 't', 0, (char)0xff};
    char *data = (char *)1;
    size_t len = 99;
    int found = -1;
    RS_CHECK_INT(rs_state_cache_get(st, "inv", DA, &data, &len, &found, errstr, sizeof errstr), 0);
    RS_CHECK_INT(found, 0);
    RS_CHECK(data == NULL);
    RS_CHECK_INT(len, 0);
    RS_CHECK_INT(rs_state_cache_set(st, "inv", DA, bin, sizeof bin, 0, errstr, sizeof errstr), 0);
    RS_CHECK_INT(raw_int(raw, "TTL %s", k("inv:" DA)), -1);
    RS_CHECK_INT(rs_state_cache_get(st, "inv", DA, &data, &len, &found, errstr, sizeof errstr), 0);
    RS_CHECK_INT(found, 1);
    RS_CHECK_INT(len, sizeof bin);
    RS_CHECK(data && memcmp(data, bin, sizeof bin) == 0);
    free(data);
    RS_CHECK_INT(rs_state_cache_set(st, "layer", "regscan-0.1.0:" DB ":" DC, "L", 1, 3600, errstr,
                                    sizeof errstr),
                 0);
    long long ttl = raw_int(raw, "TTL %s", k("layer:regscan-0.1.0:" DB ":" DC));
    RS_CHECK(ttl > 3500 && ttl <= 3600);
    RS_CHECK_INT(rs_state_cache_set(st, "index", DB, "", 0, 0, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_state_cache_get(st, "index", DB, &data, &len, &found, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(found, 1);
    RS_CHECK_INT(len, 0);
    RS_CHECK_STR(data, "");
    free(data);
    RS_CHECK_INT(rs_state_cache_set(st, "blob", DB, "x", 1, 0, errstr, sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK_INT(rs_state_cache_get(st, "done", DB, &data, &len, &found, errstr, sizeof errstr),
                 RS_ERR_INVALID);
}

/* Kills the connections rs_state named "regscan-<pid>" (only ours, as the
 * server may be shared). Returns how many were killed. */
static int kill_ours(redisContext *raw)
{
    char name[64];
    snprintf(name, sizeof name, " name=regscan-%ld ", (long)getpid());
    redisReply *r = redisCommand(raw, "CLIENT LIST");
    RS_REQUIRE(r && r->type == REDIS_REPLY_STRING);
    int killed = 0;
    for (char *line = r->str; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (strstr(line, name) && !strncmp(line, "id=", 3)) {
            redisReply *kr = redisCommand(raw, "CLIENT KILL ID %lld", atoll(line + 3));
            if (kr && kr->type == REDIS_REPLY_INTEGER)
                killed += (int)kr->integer;
            freeReplyObject(kr);
        }
        line = end ? end + 1 : NULL;
    }
    freeReplyObject(r);
    return killed;
}

/* The server drops our connection: the next call reconnects once and works. */
static void test_reconnect(rs_state *st, redisContext *raw)
{
    char errstr[256] = "";
    RS_CHECK_INT(kill_ours(raw), 1);
    long long n = 0;
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DC, NULL, 60, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 1);
    RS_CHECK_STR(errstr, "");
    /* and a pipeline too */
    RS_CHECK_INT(kill_ours(raw), 1);
    const char *digests[2] = {DA, DB};
    rs_done outs[2];
    int f[2];
    RS_CHECK_INT(rs_state_done_get_many(st, "contoso", digests, 2, outs, f, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(f[0], 1);
}

struct incr_arg {
    rs_state *st;
    int fails;
};

static void *incr_thread(void *p)
{
    struct incr_arg *a = p;
    char errstr[256];
    for (int i = 0; i < 200; i++) {
        long long n;
        if (rs_state_attempts_start(a->st, "a1", DB, NULL, 60, &n, errstr, sizeof errstr))
            a->fails++;
    }
    return NULL;
}

static void test_threads(rs_state *st)
{
    pthread_t t[4];
    struct incr_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i].st = st;
        a[i].fails = 0;
        pthread_create(&t[i], NULL, incr_thread, &a[i]);
    }
    int fails = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        fails += a[i].fails;
    }
    RS_CHECK_INT(fails, 0);
    long long n = 0;
    char errstr[256];
    RS_CHECK_INT(rs_state_attempts_start(st, "a1", DB, NULL, 60, &n, errstr, sizeof errstr), 0);
    RS_CHECK_INT(n, 801);
}

static void test_connect_errors(const char *url)
{
    char errstr[512] = "";
    int err = 0;
    RS_CHECK(rs_state_new_err("redis://127.0.0.1:1/0", "x:", &err, errstr, sizeof errstr) == NULL);
    RS_CHECK_INT(err, RS_ERR_STORE);
    RS_CHECK(strncmp(errstr, "cannot connect to redis at '127.0.0.1:1/0': ", 44) == 0);

    /* a password the server refuses never shows in the message */
    char bad[512];
    if (!server.path[0]) {
        snprintf(bad, sizeof bad, "redis://:wrong-s3cret-pw@%s:%d/%d", server.host, server.port,
                 server.db);
        RS_CHECK(rs_state_new_err(bad, "x:", &err, errstr, sizeof errstr) == NULL);
        RS_CHECK_INT(err, RS_ERR_UNAUTHORIZED);
        RS_CHECK(strstr(errstr, "AUTH refused") != NULL);
        RS_CHECK(strstr(errstr, "s3cret") == NULL);
    }
    RS_CHECK(rs_state_new_err("redis://h:99999", "x:", &err, errstr, sizeof errstr) == NULL);
    RS_CHECK_INT(err, RS_ERR_CONFIG);
    (void)url;
}

int main(void)
{
    test_url();
    const char *url = getenv("REGSCAN_TEST_REDIS_URL");
    if (!url || !*url) {
        printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
        if (rs_test_failed)
            return 1;
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set");
    }
    char errstr[512];
    RS_REQUIRE(rs_redis_url_parse(url, &server, errstr, sizeof errstr) == 0);
    snprintf(prefix, sizeof prefix, "rstest:%d:", (int)getpid());
    rs_state *st = rs_state_new(url, prefix, errstr, sizeof errstr);
    if (!st)
        fprintf(stderr, "%s\n", errstr);
    RS_REQUIRE(st != NULL);
    redisContext *raw = raw_connect();
    cleanup(raw);

    test_done(st, raw);
    test_lease(st, raw);
    test_refs_tags(st, raw);
    test_refs_cap(st);
    test_tag_record(st, raw);
    test_cache(st, raw);
    test_reconnect(st, raw);
    test_threads(st);
    test_connect_errors(url);

    cleanup(raw);
    redisFree(raw);
    rs_state_destroy(st);
    return RS_TEST_RESULT();
}
