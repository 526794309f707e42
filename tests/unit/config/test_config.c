/* test_config.c - the tenants file, settings from the environment, globs. */
#include "config.h"
#include "base.h"
#include "rs_test.h"

#include <dirent.h>
#include <unistd.h>

static char *slurp_line(const char *path)
{
    static char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    if (!fgets(line, sizeof line, f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return line;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every bad/<case>.json fails with exactly bad/<case>.expected. */
static void test_bad_files(void)
{
    DIR *d = opendir("bad");
    RS_REQUIRE(d != NULL);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    RS_CHECK(n >= 30);
    for (size_t i = 0; i < n; i++) {
        char path[512], exp_path[512], errstr[512] = "";
        snprintf(path, sizeof path, "bad/%s", names[i]);
        snprintf(exp_path, sizeof exp_path, "bad/%.*s.expected", (int)strlen(names[i]) - 5,
                 names[i]);
        const char *expected = slurp_line(exp_path);
        RS_CHECK(expected != NULL);
        rs_config *c = (rs_config *)1;
        int rc = rs_config_load(path, &c, errstr, sizeof errstr);
        RS_CHECK_INT(rc, RS_ERR_CONFIG);
        RS_CHECK(c == NULL);
        if (expected)
            RS_CHECK_STR(errstr, expected);
        /* secrets never reach a message */
        RS_CHECK(strstr(errstr, "s3cret") == NULL);
        RS_CHECK(strstr(errstr, "tok-from-file") == NULL);
        free(names[i]);
    }
}

static void test_valid(void)
{
    char errstr[512] = "";
    rs_config *c = NULL;
    int rc = rs_config_load("valid.json", &c, errstr, sizeof errstr);
    RS_CHECK_INT(rc, 0);
    RS_CHECK_STR(errstr, "");
    RS_REQUIRE(c != NULL);
    RS_REQUIRE(c->n_tenants == 2);
    const rs_tenant *t = &c->tenants[0];
    RS_CHECK_STR(t->name, "contoso");
    RS_CHECK_STR(t->policy, "policies/contoso.json");
    RS_REQUIRE(t->n_registries == 4);

    const rs_registry_conf *r = &t->registries[0];
    RS_CHECK_STR(r->url, "https://contoso.azurecr.io");
    RS_CHECK_STR(r->host, "contoso.azurecr.io");
    RS_CHECK_INT(r->insecure, 0);
    RS_CHECK_INT(r->auth.type, RS_AUTH_BASIC);
    RS_CHECK_STR(r->auth.username, "app-id");
    RS_CHECK_STR(r->auth.password, "s3cret-pw");
    RS_CHECK_INT(r->n_repositories, 1);
    RS_CHECK_STR(r->repositories[0], "*");
    RS_CHECK_INT(r->n_exclude, 1);
    RS_CHECK_STR(r->exclude[0], "sandbox/*");
    RS_CHECK_INT(r->n_platforms, 1);
    RS_CHECK_STR(r->platforms[0], "linux/*");
    RS_CHECK_INT(r->n_tags_include, 1);
    RS_CHECK_INT(r->n_tags_exclude, 1);
    RS_CHECK_STR(r->tags_exclude[0], "*-dev");
    RS_CHECK_INT(r->tags_newest, 20);

    r = &t->registries[1];
    RS_CHECK_STR(r->url, "http://127.0.0.1:5000");
    RS_CHECK_STR(r->host, "127.0.0.1:5000");
    RS_CHECK_INT(r->insecure, 1);
    RS_CHECK_INT(r->auth.type, RS_AUTH_NONE);
    RS_CHECK_INT(r->n_repositories, 0);
    RS_CHECK_INT(r->tags_newest, 0);

    r = &t->registries[2];
    RS_CHECK_STR(r->host, "static.example.test:8443");
    RS_CHECK_INT(r->auth.type, RS_AUTH_BEARER);
    RS_CHECK_STR(r->auth.token, "tok-from-file"); /* trailing newline trimmed */

    /* an azure auth inherits what it does not set from the tenant's block */
    r = &t->registries[3];
    RS_CHECK_INT(r->auth.type, RS_AUTH_AZURE);
    RS_CHECK_STR(r->auth.azure.client_id, "own-client");
    RS_CHECK_STR(r->auth.azure.tenant_id, "tid-1");
    RS_CHECK_STR(r->auth.azure.client_secret, "azure-secret-file");
    RS_CHECK_STR(r->auth.azure.authority, "https://login.microsoftonline.com");
    RS_CHECK_STR(r->auth.azure.resource_manager, "http://127.0.0.1:7000");

    RS_REQUIRE(t->azure != NULL);
    RS_CHECK_STR(t->azure->tenant_id, "tid-1");
    RS_CHECK_STR(t->azure->client_id, "cid-1");
    RS_CHECK_STR(t->azure->client_secret, "azure-secret-file"); /* \r\n trimmed */
    RS_CHECK_INT(t->azure->n_subscriptions, 2);
    RS_CHECK_STR(t->azure->subscriptions[1], "sub-*");
    RS_CHECK(t->azure->federated_token_file == NULL);

    t = &c->tenants[1];
    RS_CHECK_STR(t->name, "fabrikam_2");
    RS_CHECK(t->policy == NULL);
    RS_CHECK(t->azure == NULL);
    RS_CHECK_STR(t->registries[0].host, "[::1]:5001");
    RS_CHECK_STR(t->registries[0].url, "http://[::1]:5001");

    /* base repositories: globs over "repository" or "host/repository" */
    const rs_tenant *ct = &c->tenants[0];
    RS_CHECK_INT(ct->n_base_repositories, 2);
    RS_CHECK(rs_config_is_base_repository(ct, "127.0.0.1:5000", "base/alpine"));
    RS_CHECK(rs_config_is_base_repository(ct, "contoso.azurecr.io", "base/debian/12"));
    RS_CHECK(rs_config_is_base_repository(ct, "127.0.0.1:5000", "golden/ubi"));
    RS_CHECK(!rs_config_is_base_repository(ct, "contoso.azurecr.io", "golden/ubi"));
    RS_CHECK(!rs_config_is_base_repository(ct, "127.0.0.1:5000", "team/base/x"));
    RS_CHECK(!rs_config_is_base_repository(&c->tenants[1], "127.0.0.1:5000", "base/alpine"));
    RS_CHECK(!rs_config_is_base_repository(NULL, "127.0.0.1:5000", "base/alpine"));

    RS_CHECK(rs_config_tenant(c, "contoso") == &c->tenants[0]);
    RS_CHECK(rs_config_tenant(c, "nobody") == NULL);
    RS_CHECK(rs_config_registry(&c->tenants[0], "127.0.0.1:5000") == &c->tenants[0].registries[1]);
    RS_CHECK(rs_config_registry(&c->tenants[0], "CONTOSO.azurecr.io") ==
             &c->tenants[0].registries[0]);
    RS_CHECK(rs_config_registry(&c->tenants[0], "127.0.0.1:5001") == NULL);

    /* settings come from the environment: defaults here */
    RS_CHECK_STR(c->settings.kafka_brokers, "127.0.0.1:9092");
    RS_CHECK_STR(c->settings.redis_url, "redis://127.0.0.1:6379/0");
    rs_config_free(c);
}

static const char *const env_names[] = {"REGSCAN_KAFKA_BROKERS",
                                        "REGSCAN_KAFKA_PROPERTIES",
                                        "REGSCAN_KAFKA_PROPERTIES_FILE",
                                        "REGSCAN_REDIS_URL",
                                        "REGSCAN_CACHE_REDIS_URL",
                                        "REGSCAN_REDIS_PREFIX",
                                        "REGSCAN_TOPIC_REQUESTS",
                                        "REGSCAN_TOPIC_BATCH",
                                        "REGSCAN_TOPIC_FINDINGS",
                                        "REGSCAN_TOPIC_INVENTORY",
                                        "REGSCAN_TOPIC_DEAD_LETTER",
                                        "REGSCAN_GROUP",
                                        "REGSCAN_LOG",
                                        "REGSCAN_LOG_LEVEL",
                                        "REGSCAN_HTTP_PORT",
                                        NULL};

static void clear_env(void)
{
    for (size_t i = 0; env_names[i]; i++)
        unsetenv(env_names[i]);
}

static void test_settings(void)
{
    char errstr[512] = "";
    rs_config *c = NULL;
    clear_env();
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), 0);
    RS_REQUIRE(c != NULL);
    const rs_settings *s = &c->settings;
    RS_CHECK_INT(c->n_tenants, 0);
    RS_CHECK_STR(s->kafka_brokers, "127.0.0.1:9092");
    RS_CHECK_INT(s->n_kafka_props, 0);
    RS_CHECK_STR(s->redis_url, "redis://127.0.0.1:6379/0");
    RS_CHECK_STR(s->cache_redis_url, "redis://127.0.0.1:6379/0");
    RS_CHECK_STR(s->redis_prefix, "regscan:");
    RS_CHECK_STR(s->topic_requests, "regscan.scan-requests");
    RS_CHECK_STR(s->topic_batch, "regscan.scan-requests.batch");
    RS_CHECK_STR(s->topic_findings, "regscan.findings");
    RS_CHECK_STR(s->topic_inventory, "regscan.inventory");
    RS_CHECK_STR(s->topic_dead_letter, "regscan.dead-letter");
    RS_CHECK_STR(s->group, "regscan-workers");
    RS_CHECK(s->log_format == NULL);
    RS_CHECK_STR(s->log_level, "info");
    RS_CHECK_INT(s->http_port, 0);
    RS_CHECK_INT(rs_config_add_kafka_prop(c, "security.protocol=SASL_SSL", errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(c->settings.n_kafka_props, 1);
    RS_CHECK_INT(rs_config_add_kafka_prop(c, "=x", errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_INT(rs_config_add_kafka_prop(c, "novalue", errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK(strstr(errstr, "novalue") == NULL);
    RS_CHECK_INT(rs_config_set(&c->settings.group, "other"), 0);
    RS_CHECK_STR(c->settings.group, "other");
    rs_config_free(c);

    setenv("REGSCAN_KAFKA_BROKERS", "k1:9092,k2:9092", 1);
    setenv("REGSCAN_KAFKA_PROPERTIES", " sasl.mechanism=PLAIN , sasl.password=a\\,b=c,, ", 1);
    setenv("REGSCAN_REDIS_URL", "redis://:pw@r:6380/2", 1);
    setenv("REGSCAN_REDIS_PREFIX", "", 1);
    setenv("REGSCAN_TOPIC_FINDINGS", "findings.{tenant}", 1);
    setenv("REGSCAN_GROUP", "g", 1);
    setenv("REGSCAN_LOG", "json", 1);
    setenv("REGSCAN_LOG_LEVEL", "debug", 1);
    setenv("REGSCAN_HTTP_PORT", "9100", 1);
    c = NULL;
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), 0);
    RS_REQUIRE(c != NULL);
    s = &c->settings;
    RS_CHECK_STR(s->kafka_brokers, "k1:9092,k2:9092");
    RS_REQUIRE(s->n_kafka_props == 2);
    RS_CHECK_STR(s->kafka_props[0], "sasl.mechanism=PLAIN");
    RS_CHECK_STR(s->kafka_props[1], "sasl.password=a,b=c");
    RS_CHECK_STR(s->redis_url, "redis://:pw@r:6380/2");
    RS_CHECK_STR(s->cache_redis_url, "redis://:pw@r:6380/2");
    RS_CHECK_STR(s->redis_prefix, "");
    RS_CHECK_STR(s->topic_findings, "findings.{tenant}");
    RS_CHECK_STR(s->group, "g");
    RS_CHECK_STR(s->log_format, "json");
    RS_CHECK_STR(s->log_level, "debug");
    RS_CHECK_INT(s->http_port, 9100);
    rs_config_free(c);

    setenv("REGSCAN_CACHE_REDIS_URL", "redis://cache:6379/0", 1);
    c = NULL;
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), 0);
    RS_REQUIRE(c != NULL);
    RS_CHECK_STR(c->settings.cache_redis_url, "redis://cache:6379/0");
    rs_config_free(c);

    struct {
        const char *name, *value, *expected;
    } bad[] = {
        {"REGSCAN_HTTP_PORT", "70000", "REGSCAN_HTTP_PORT: '70000' is not a port number"},
        {"REGSCAN_HTTP_PORT", "80x", "REGSCAN_HTTP_PORT: '80x' is not a port number"},
        {"REGSCAN_LOG", "xml", "REGSCAN_LOG: 'xml' is neither json nor text"},
        {"REGSCAN_LOG_LEVEL", "loud",
         "REGSCAN_LOG_LEVEL: 'loud' is not debug, info, warn or error"},
        {"REGSCAN_KAFKA_PROPERTIES", "a=b,s3cret",
         "REGSCAN_KAFKA_PROPERTIES: kafka property 2 is not k=v (a ',' in a value is written "
         "'\\,')"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        clear_env();
        setenv(bad[i].name, bad[i].value, 1);
        c = (rs_config *)1;
        RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), RS_ERR_CONFIG);
        RS_CHECK(c == NULL);
        RS_CHECK_STR(errstr, bad[i].expected);
    }
    clear_env();
}

static void write_bytes(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    RS_REQUIRE(f != NULL);
    RS_REQUIRE(fwrite(text, 1, len, f) == len);
    fclose(f);
}

/* REGSCAN_KAFKA_PROPERTIES_FILE: an Event Hubs connection string (',', '=',
 * ';', '+', '/') passes unchanged; the list and --kafka-prop come after it;
 * errors name the file and the line, never a value. */
static void test_props_file(void)
{
    static const char good[] =
        "# Event Hubs\n\n security.protocol = SASL_SSL\r\nsasl.mechanisms=PLAIN\n"
        "sasl.username=$ConnectionString\n"
        "sasl.password=Endpoint=sb://127.0.0.1:9094/;SharedAccessKeyName=a,b;"
        "SharedAccessKey=k+y/Z==  \n"
        "\tssl.ca.location=/ca.pem";
    const char *path = "/tmp/regscan-test-kafka.properties";
    char errstr[512] = "";
    rs_config *c = NULL;
    clear_env();
    write_bytes(path, good, sizeof good - 1);
    setenv("REGSCAN_KAFKA_PROPERTIES_FILE", path, 1);
    setenv("REGSCAN_KAFKA_PROPERTIES", "sasl.mechanisms=SCRAM-SHA-256", 1);
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), 0);
    RS_REQUIRE(c != NULL);
    const rs_settings *s = &c->settings;
    RS_REQUIRE(s->n_kafka_props == 6);
    RS_CHECK_STR(s->kafka_props[0], "security.protocol=SASL_SSL");
    RS_CHECK_STR(s->kafka_props[1], "sasl.mechanisms=PLAIN");
    RS_CHECK_STR(s->kafka_props[2], "sasl.username=$ConnectionString");
    RS_CHECK_STR(s->kafka_props[3], "sasl.password=Endpoint=sb://127.0.0.1:9094/;"
                                    "SharedAccessKeyName=a,b;SharedAccessKey=k+y/Z==");
    RS_CHECK_STR(s->kafka_props[4], "ssl.ca.location=/ca.pem");
    RS_CHECK_STR(s->kafka_props[5], "sasl.mechanisms=SCRAM-SHA-256"); /* the list wins */
    rs_config_free(c);

    struct {
        const char *text;
        size_t len;
        const char *expected;
    } bad[] = {
        {"a=b\nsasl.password s3cret\n", 25, "line 2 is not key=value"},
        {"a=b\n=s3cret\n", 12, "line 2 is not key=value"},
        {"my key=s3cret\n", 14, "line 1 is not key=value"},
        {"a=s3cret\001\n", 10, "line 1: a control character"},
        {"a=s3cret\0x\n", 11, "is not UTF-8 text"},
        {"a=s3cret\xff\n", 10, "is not UTF-8 text"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        clear_env();
        write_bytes(path, bad[i].text, bad[i].len);
        setenv("REGSCAN_KAFKA_PROPERTIES_FILE", path, 1);
        c = (rs_config *)1;
        RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), RS_ERR_CONFIG);
        RS_CHECK(c == NULL);
        RS_CHECK(strstr(errstr, bad[i].expected) != NULL);
        RS_CHECK(strstr(errstr, path) != NULL);
        RS_CHECK(strstr(errstr, "s3cret") == NULL);
    }
    /* larger than the bound */
    char *big = malloc(70000);
    RS_REQUIRE(big != NULL);
    memset(big, '#', 70000);
    write_bytes(path, big, 70000);
    free(big);
    c = (rs_config *)1;
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, "kafka properties file '/tmp/regscan-test-kafka.properties': larger "
                         "than 65536 bytes");
    unlink(path);
    c = (rs_config *)1;
    RS_CHECK_INT(rs_config_defaults(&c, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, "kafka properties file '/tmp/regscan-test-kafka.properties': cannot "
                         "open: No such file or directory");
    clear_env();
}

static void test_globs(void)
{
    RS_CHECK_INT(rs_glob_match("*", ""), 1);
    RS_CHECK_INT(rs_glob_match("*", "team/web"), 1);
    RS_CHECK_INT(rs_glob_match("sandbox/*", "sandbox/a/b"), 1); /* '*' crosses '/' */
    RS_CHECK_INT(rs_glob_match("sandbox/*", "sandbox"), 0);
    RS_CHECK_INT(rs_glob_match("*-dev", "1.0-dev"), 1);
    RS_CHECK_INT(rs_glob_match("*-dev", "1.0-dev1"), 0);
    RS_CHECK_INT(rs_glob_match("v?.*", "v1.2"), 1);
    RS_CHECK_INT(rs_glob_match("v?.*", "v12.2"), 0);
    RS_CHECK_INT(rs_glob_match("a*b*c", "axxbyybzc"), 1);
    RS_CHECK_INT(rs_glob_match("a*b*c", "axxbyyc"), 1);
    RS_CHECK_INT(rs_glob_match("a*b*c", "axxcyyb"), 0);
    RS_CHECK_INT(rs_glob_match("", ""), 1);
    RS_CHECK_INT(rs_glob_match("", "a"), 0);
    RS_CHECK_INT(rs_glob_match("abc", "abc"), 1);
    RS_CHECK_INT(rs_glob_match("abc", "abcd"), 0);
    RS_CHECK_INT(rs_glob_match("**", "x"), 1);
    RS_CHECK_INT(rs_glob_match("*a", "aaa"), 1);
    char *pats[] = {"team/*", "base"};
    RS_CHECK_INT(rs_glob_any(pats, 2, "team/web", 0), 1);
    RS_CHECK_INT(rs_glob_any(pats, 2, "base", 0), 1);
    RS_CHECK_INT(rs_glob_any(pats, 2, "other", 1), 0);
    RS_CHECK_INT(rs_glob_any(NULL, 0, "other", 1), 1);
    RS_CHECK_INT(rs_glob_any(NULL, 0, "other", 0), 0);

    char *t = NULL;
    RS_CHECK_INT(rs_topic_for_tenant("regscan.findings.{tenant}", "contoso", &t), 0);
    RS_CHECK_STR(t, "regscan.findings.contoso");
    free(t);
    RS_CHECK_INT(rs_topic_for_tenant("{tenant}.x.{tenant}", "ab", &t), 0);
    RS_CHECK_STR(t, "ab.x.ab");
    free(t);
    RS_CHECK_INT(rs_topic_for_tenant("regscan.findings", "contoso", &t), 0);
    RS_CHECK_STR(t, "regscan.findings");
    free(t);
}

/* rate_limit of a registry and of a tenant's azure block; ACR's SKU table */
static void test_rate_limit(void)
{
    char errstr[512] = "";
    rs_config *c = NULL;
    RS_CHECK_INT(rs_config_load("ratelimit.json", &c, errstr, sizeof errstr), 0);
    RS_CHECK_STR(errstr, "");
    RS_REQUIRE(c != NULL && c->n_tenants == 1 && c->tenants[0].n_registries == 2);
    RS_CHECK_INT(c->tenants[0].registries[0].rate_per_second, 5);
    RS_CHECK_INT(c->tenants[0].registries[1].rate_per_second, 0);
    RS_REQUIRE(c->tenants[0].azure != NULL);
    RS_CHECK_INT(c->tenants[0].azure->rate_per_second, 16);
    rs_config_free(c);
    RS_CHECK_INT(rs_acr_sku_rate_per_minute("Basic"), 1000);
    RS_CHECK_INT(rs_acr_sku_rate_per_minute("standard"), 3000);
    RS_CHECK_INT(rs_acr_sku_rate_per_minute("Premium"), 10000);
    RS_CHECK_INT(rs_acr_sku_rate_per_minute("Classic"), 0);
    RS_CHECK_INT(rs_acr_sku_rate_per_minute(NULL), 0);
    RS_CHECK_INT(rs_acr_sku_rate_per_second("Basic"), 16);
    RS_CHECK_INT(rs_acr_sku_rate_per_second("Standard"), 50);
    RS_CHECK_INT(rs_acr_sku_rate_per_second("PREMIUM"), 166);
    RS_CHECK_INT(rs_acr_sku_rate_per_second(""), 0);
}

/* The azure block's discovery keys: a tenant with only an azure block
 * discovers; "discover": true adds discovery to listed registries; the
 * block's selection keys and full_listing_every (default 24) apply to what
 * is found, with an auth of type azure carrying the block's identity. */
static void test_discovery(void)
{
    char errstr[512] = "";
    rs_config *c = NULL;
    RS_CHECK_INT(rs_config_load("discovery.json", &c, errstr, sizeof errstr), 0);
    RS_CHECK_STR(errstr, "");
    RS_REQUIRE(c != NULL && c->n_tenants == 3);
    const rs_tenant *t = &c->tenants[0];
    RS_CHECK_INT(t->discover, 1);
    RS_CHECK_INT(t->n_registries, 0);
    const rs_registry_conf *d = &t->discovered;
    RS_CHECK(d->url == NULL && d->host == NULL);
    RS_CHECK_INT(d->auth.type, RS_AUTH_AZURE);
    RS_CHECK_STR(d->auth.azure.tenant_id, "tid-1");
    RS_CHECK_STR(d->auth.azure.client_id, "cid-1");
    RS_CHECK_STR(d->auth.azure.client_secret, "azure-secret-file");
    RS_REQUIRE(d->n_repositories == 1 && d->n_exclude == 1 && d->n_platforms == 1);
    RS_CHECK_STR(d->repositories[0], "team/*");
    RS_CHECK_STR(d->exclude[0], "team/tmp*");
    RS_CHECK_STR(d->platforms[0], "linux/amd64");
    RS_REQUIRE(d->n_tags_exclude == 1);
    RS_CHECK_STR(d->tags_exclude[0], "*-dev");
    RS_CHECK_INT(d->tags_newest, 5);
    RS_CHECK_INT(d->full_listing_every, 6);
    t = &c->tenants[1];
    RS_CHECK_INT(t->discover, 1);
    RS_CHECK_INT(t->n_registries, 1);
    RS_CHECK_INT(t->registries[0].full_listing_every, 2);
    RS_CHECK_INT(t->discovered.full_listing_every, 24);
    RS_CHECK_INT(t->discovered.n_repositories, 0);
    t = &c->tenants[2];
    RS_CHECK_INT(t->discover, 0);
    RS_CHECK_INT(t->registries[0].full_listing_every, 24);
    rs_config_free(c);
}

static rs_config *load_text(const char *text, char *errstr, size_t errsz)
{
    char path[] = "/tmp/test_config_azure_XXXXXX";
    int fd = mkstemp(path);
    RS_REQUIRE(fd >= 0);
    RS_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    rs_config *c = NULL;
    errstr[0] = '\0';
    rs_config_load(path, &c, errstr, errsz);
    unlink(path);
    return c;
}

/* auth type azure: workload identity from the environment as the Azure SDKs
 * read it, the file's keys first; a certificate; no inheritance across kinds */
static void test_azure_env(void)
{
    char err[512];
    setenv("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token", 1);
    setenv("AZURE_CLIENT_ID", "env-client", 1);
    setenv("AZURE_TENANT_ID", "env-tenant", 1);
    setenv("AZURE_AUTHORITY_HOST", "https://login.example.test/", 1);
    rs_config *c = load_text("{\"tenants\":[{\"name\":\"a\",\"registries\":[{\"url\":"
                             "\"https://r.test\",\"auth\":{\"type\":\"azure\"}}]}]}",
                             err, sizeof err);
    RS_REQUIRE(c != NULL);
    const rs_azure_conf *a = &c->tenants[0].registries[0].auth.azure;
    RS_CHECK_STR(a->federated_token_file, "/var/run/secrets/azure/tokens/azure-identity-token");
    RS_CHECK_STR(a->client_id, "env-client");
    RS_CHECK_STR(a->tenant_id, "env-tenant");
    RS_CHECK_STR(a->authority, "https://login.example.test");
    RS_CHECK_STR(a->acr_audience, "https://containerregistry.azure.net");
    RS_CHECK(a->client_secret == NULL && a->client_certificate_file == NULL);
    rs_config_free(c);
    /* the file's keys win; a configured secret keeps the token file of the env out */
    c = load_text("{\"tenants\":[{\"name\":\"a\",\"azure\":{\"tenant_id\":\"t\",\"client_id\":"
                  "\"c\",\"client_secret_file\":\"secrets/azure.txt\",\"authority\":"
                  "\"https://127.0.0.1:1\"},\"registries\":[{\"url\":\"https://r.test\",\"auth\":"
                  "{\"type\":\"azure\",\"client_certificate_file\":\"/c.pem\",\"acr_audience\":"
                  "\"https://acr.example.test\"}},{\"url\":\"https://s.test\",\"auth\":{"
                  "\"type\":\"azure\",\"federated_token_file\":\"/own\"}}]}]}",
                  err, sizeof err);
    if (!c)
        fprintf(stderr, "  %s\n", err);
    RS_REQUIRE(c != NULL);
    const rs_azure_conf *t = c->tenants[0].azure;
    RS_CHECK_STR(t->tenant_id, "t");
    RS_CHECK_STR(t->client_secret, "azure-secret-file");
    RS_CHECK(t->federated_token_file == NULL);
    RS_CHECK_STR(t->authority, "https://127.0.0.1:1");
    a = &c->tenants[0].registries[0].auth.azure;
    RS_CHECK_STR(a->client_certificate_file, "/c.pem");
    RS_CHECK(a->client_secret == NULL && a->federated_token_file == NULL);
    RS_CHECK_STR(a->client_id, "c");
    RS_CHECK_STR(a->authority, "https://127.0.0.1:1");
    RS_CHECK_STR(a->acr_audience, "https://acr.example.test");
    a = &c->tenants[0].registries[1].auth.azure;
    RS_CHECK_STR(a->federated_token_file, "/own");
    RS_CHECK(a->client_secret == NULL && a->client_certificate_file == NULL);
    rs_config_free(c);
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
    unsetenv("AZURE_CLIENT_ID");
    unsetenv("AZURE_TENANT_ID");
    unsetenv("AZURE_AUTHORITY_HOST");
}

/* serve's webhook secrets: top level and per tenant, from _env / _file. */
static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f != NULL);
    fputs(text, f);
    fclose(f);
}

static void test_webhook_secrets(void)
{
    char dir[] = "/tmp/rs-test-config-XXXXXX", path[256], secret[256], errstr[512] = "";
    RS_REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/tenants.json", dir);
    snprintf(secret, sizeof secret, "%s/secret", dir);
    write_file(secret, "wh-from-file\n");
    char json[1024];
    snprintf(json, sizeof json,
             "{\"webhook_secret_env\": \"RS_TEST_WH\", \"tenants\": ["
             "{\"name\": \"a\", \"registries\": [{\"url\": \"http://127.0.0.1:5000\"}],"
             " \"webhook_secret_file\": \"%s\"},"
             "{\"name\": \"b\", \"registries\": [{\"url\": \"http://127.0.0.1:5000\"}]}]}",
             secret);
    write_file(path, json);
    setenv("RS_TEST_WH", "wh-global", 1);
    rs_config *c = NULL;
    RS_CHECK_INT(rs_config_load(path, &c, errstr, sizeof errstr), 0);
    RS_REQUIRE(c != NULL);
    RS_CHECK_STR(c->webhook_secret, "wh-global");
    RS_CHECK_STR(c->tenants[0].webhook_secret, "wh-from-file");
    RS_CHECK(c->tenants[1].webhook_secret == NULL);
    rs_config_free(c);
    unsetenv("RS_TEST_WH");
    c = (rs_config *)1;
    RS_CHECK_INT(rs_config_load(path, &c, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, ".webhook_secret_env: variable 'RS_TEST_WH' is not set");
    RS_CHECK(c == NULL);
    unlink(secret);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    char dir[1024];
    RS_REQUIRE(chdir(rs_test_data("config", dir, sizeof dir)) == 0);
    clear_env();
    setenv("RS_TEST_PW", "s3cret-pw", 1);
    unsetenv("RS_TEST_UNSET_VAR");
    unsetenv("AZURE_FEDERATED_TOKEN_FILE");
    unsetenv("AZURE_CLIENT_ID");
    unsetenv("AZURE_TENANT_ID");
    unsetenv("AZURE_AUTHORITY_HOST");
    test_valid();
    test_rate_limit();
    test_azure_env();
    test_bad_files();
    test_settings();
    test_props_file();
    test_globs();
    test_discovery();
    test_webhook_secrets();
    return RS_TEST_RESULT();
}
