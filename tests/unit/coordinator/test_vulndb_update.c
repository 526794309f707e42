/* test_vulndb_update.c - `vulndb update` (rs_vulndb_update) against the Redis
 * named by REGSCAN_TEST_REDIS_URL (skipped when unset), under a key prefix of
 * its own: two updates at once publish two versions, each in a file of its
 * own; after vulndb:current is deleted the next version continues above the
 * store's files; a vulndb:current ahead of the files wins. Runs under
 * ThreadSanitizer too (label tsan). */
#include "config.h"
#include "base.h"
#include "rs_test.h"
#include "redis.h"
#include "coordinator.h"

#include <dirent.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

static char store[512], source[1024], key[128];
static rs_config *cfg;
static rs_state *st;
static redisContext *raw;

static redisContext *raw_connect(const char *url)
{
    rs_redis_url u;
    char err[256];
    RS_REQUIRE(rs_redis_url_parse(url, &u, err, sizeof err) == 0);
    redisContext *c = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
    RS_REQUIRE(c && !c->err);
    if (u.password[0])
        freeReplyObject(u.user[0] ? redisCommand(c, "AUTH %s %s", u.user, u.password)
                                  : redisCommand(c, "AUTH %s", u.password));
    freeReplyObject(redisCommand(c, "SELECT %d", u.db));
    return c;
}

/* Deletes this test's vulndb:current, as a Redis that lost its data would. */
static void forget_current(void)
{
    redisReply *r = redisCommand(raw, "DEL %s", key);
    RS_REQUIRE(r != NULL);
    freeReplyObject(r);
}

static int update(rs_vulndb_update_result *res, char *err, size_t errsz)
{
    const char *src[] = {source};
    return rs_vulndb_update(cfg, src, 1, store, NULL, res, err, errsz);
}

static void check_current(int64_t version, const rs_vulndb_update_result *res)
{
    char err[256];
    rs_vulndb_current cur;
    int found = 0;
    RS_REQUIRE(rs_state_vulndb_get(st, &cur, &found, err, sizeof err) == 0);
    RS_CHECK_INT(found, 1);
    RS_CHECK_INT(cur.version, version);
    RS_CHECK_STR(cur.location, res->path);
    RS_CHECK_STR(cur.sha256, res->sha256);
}

/* The file of one result: named after its version and content, loadable, at
 * that version, hashing to the sha256 reported. */
static void check_file(const rs_vulndb_update_result *res)
{
    char want[1100], err[512], sha[RS_DIGEST_SIZE] = "";
    snprintf(want, sizeof want, "%s/vulndb-%06lld-%.16s.jsonl", store, (long long)res->version,
             res->sha256 + 7);
    RS_CHECK_STR(res->path, want);
    rs_vulndb *db = NULL;
    RS_CHECK_INT(rs_vulndb_load(res->path, &db, NULL, err, sizeof err), 0);
    if (db) {
        RS_CHECK_INT(rs_vulndb_version(db), res->version);
        RS_CHECK_INT(rs_vulndb_count(db), 26);
        rs_vulndb_destroy(db);
    }
    FILE *f = fopen(res->path, "rb");
    RS_REQUIRE(f != NULL);
    rs_sha256 *h = rs_sha256_new();
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        rs_sha256_update(h, buf, n);
    fclose(f);
    rs_sha256_final(h, sha);
    rs_sha256_destroy(h);
    RS_CHECK_STR(sha, res->sha256);
}

/* Counts the store's entries: snapshot files (a bit per version 1..63 in
 * *versions) and anything else but the cache directory. */
static void scan_store(int *snapshots, unsigned long long *versions, int *others)
{
    *snapshots = *others = 0;
    *versions = 0;
    DIR *d = opendir(store);
    RS_REQUIRE(d != NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        int64_t v = 0;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "cache"))
            continue;
        if (rs_vulndb_name_version(e->d_name, &v) && v > 0 && v < 64) {
            (*snapshots)++;
            *versions |= 1ull << v;
        } else {
            (*others)++;
        }
    }
    closedir(d);
}

struct racer {
    pthread_barrier_t *go;
    rs_vulndb_update_result res;
    int rc;
    char err[512];
};

static void *racer_main(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->go);
    r->rc = update(&r->res, r->err, sizeof r->err);
    return NULL;
}

/* Two updates at once, one run in two threads: both succeed, with versions N+1
 * and N+2 in two distinct files, and vulndb:current at N+2. Returns how many
 * times one of them lost the race for a version and retried. */
static int race_once(int64_t n)
{
    pthread_barrier_t go;
    RS_REQUIRE(pthread_barrier_init(&go, NULL, 2) == 0);
    struct racer r[2];
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i].go = &go;
        RS_REQUIRE(pthread_create(&t[i], NULL, racer_main, &r[i]) == 0);
    }
    for (int i = 0; i < 2; i++)
        RS_REQUIRE(pthread_join(t[i], NULL) == 0);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < 2; i++) {
        if (r[i].rc)
            fprintf(stderr, "update: %s\n", r[i].err);
        RS_CHECK_INT(r[i].rc, 0);
        check_file(&r[i].res);
    }
    const rs_vulndb_update_result *lo = &r[0].res, *hi = &r[1].res;
    if (lo->version > hi->version) {
        lo = &r[1].res;
        hi = &r[0].res;
    }
    RS_CHECK_INT(lo->version, n + 1);
    RS_CHECK_INT(hi->version, n + 2);
    RS_CHECK(strcmp(lo->path, hi->path) != 0);
    check_current(n + 2, hi);
    return r[0].res.races_lost + r[1].res.races_lost;
}

/* Snapshot 1, then pairs of concurrent updates until one of them has lost a
 * race (at least 3 pairs, at most 20). Returns the highest version. */
static int64_t test_concurrent(void)
{
    rs_vulndb_update_result first;
    char err[512] = "";
    RS_CHECK_INT(update(&first, err, sizeof err), 0);
    RS_CHECK_INT(first.version, 1);
    RS_CHECK_INT(first.races_lost, 0);
    check_file(&first);
    check_current(1, &first);
    int lost = 0, pairs = 0;
    while (pairs < 20 && (pairs < 3 || lost == 0))
        lost += race_once(1 + 2 * pairs++);
    printf("%d pairs of concurrent updates, %d races lost and retried\n", pairs, lost);
    RS_CHECK(lost >= 1);
    /* versions 1 to 1 + 2 * pairs, one file each, nothing else left behind */
    int snapshots = 0, others = 0;
    unsigned long long versions = 0;
    scan_store(&snapshots, &versions, &others);
    RS_CHECK_INT(snapshots, 1 + 2 * pairs);
    RS_CHECK_INT(versions, (1ull << (2 + 2 * pairs)) - 2);
    RS_CHECK_INT(others, 0);
    return 1 + 2 * pairs;
}

static void touch(const char *name)
{
    char p[1100];
    snprintf(p, sizeof p, "%s/%s", store, name);
    FILE *f = fopen(p, "w");
    RS_REQUIRE(f != NULL);
    fclose(f);
}

/* vulndb:current deleted: the next version is one above the store's files
 * (the highest is `top`; names of other shapes ignored); a vulndb:current
 * ahead of them wins. */
static void test_state_lost(int64_t top)
{
    rs_vulndb_update_result res;
    char err[512] = "";
    forget_current();
    RS_CHECK_INT(update(&res, err, sizeof err), 0);
    RS_CHECK_INT(res.version, top + 1);
    check_file(&res);
    check_current(top + 1, &res);

    /* an older name counts (version 100); decoys do not */
    touch("vulndb-000100.jsonl");
    touch("vulndb-000900-0123456789ABCDEF.jsonl");
    touch("vulndb-00901.jsonl");
    touch("vulndb-000902.jsonl.tmp.4242");
    touch(".vulndb-tmp-x903xx");
    touch("vulndb-000904-0123456789abcdef0.jsonl");
    touch("old-vulndb-000905.jsonl");
    touch("vulndb-000906-0123456789abcdef.json");
    forget_current();
    RS_CHECK_INT(update(&res, err, sizeof err), 0);
    RS_CHECK_INT(res.version, 101);
    check_file(&res);
    check_current(101, &res);

    /* Redis ahead of the files */
    rs_vulndb_current ahead;
    memset(&ahead, 0, sizeof ahead);
    ahead.version = 200;
    snprintf(ahead.location, sizeof ahead.location, "%s", res.path);
    snprintf(ahead.sha256, sizeof ahead.sha256, "%s", res.sha256);
    int applied = 0;
    RS_REQUIRE(rs_state_vulndb_set(st, &ahead, &applied, err, sizeof err) == 0 && applied);
    RS_CHECK_INT(update(&res, err, sizeof err), 0);
    RS_CHECK_INT(res.version, 201);
    check_current(201, &res);
}

/* Removes the store and what is in it (one level, and the cache). */
static void remove_store(void)
{
    char p[1100];
    DIR *d = opendir(store);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "cache"))
            continue;
        snprintf(p, sizeof p, "%s/%s", store, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    snprintf(p, sizeof p, "%s/cache", store);
    rmdir(p);
    rmdir(store);
}

int main(void)
{
    const char *url = getenv("REGSCAN_TEST_REDIS_URL");
    if (!url || !*url)
        RS_SKIP("REGSCAN_TEST_REDIS_URL is not set");
    char prefix[64], err[512];
    snprintf(prefix, sizeof prefix, "rstest-vulndb-update:%d:", (int)getpid());
    snprintf(key, sizeof key, "%svulndb:current", prefix);
    rs_test_data("osv/records", source, sizeof source);
    snprintf(store, sizeof store, "%s/rs-test-vulndb-update-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    RS_REQUIRE(mkdtemp(store) != NULL);
    RS_REQUIRE(rs_config_defaults(&cfg, err, sizeof err) == 0);
    RS_REQUIRE(rs_config_set(&cfg->settings.redis_url, url) == 0);
    RS_REQUIRE(rs_config_set(&cfg->settings.redis_prefix, prefix) == 0);
    st = rs_state_new(url, prefix, err, sizeof err);
    if (!st)
        fprintf(stderr, "%s\n", err);
    RS_REQUIRE(st != NULL);
    raw = raw_connect(url);
    forget_current();

    test_state_lost(test_concurrent());

    forget_current();
    redisFree(raw);
    rs_state_destroy(st);
    rs_config_free(cfg);
    remove_store();
    return RS_TEST_RESULT();
}
