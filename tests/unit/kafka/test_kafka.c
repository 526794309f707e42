/* test_kafka.c - configuration and failure paths that need no broker
 * (always), then delivery, metadata checks and size limits against the Kafka
 * named by REGSCAN_TEST_KAFKA_BROKERS (skipped when unset). */
#include "config.h"
#include "base.h"
#include "kafka.h"
#include "rs_test.h"

#include <openssl/rand.h>
#include <time.h>
#include <unistd.h>

static rs_config *settings(const char *brokers, const char *const *props)
{
    rs_config *c = NULL;
    char errstr[256];
    unsetenv("REGSCAN_KAFKA_PROPERTIES");
    RS_REQUIRE(rs_config_defaults(&c, errstr, sizeof errstr) == 0);
    RS_REQUIRE(rs_config_set(&c->settings.kafka_brokers, brokers) == 0);
    for (size_t i = 0; props && props[i]; i++)
        RS_REQUIRE(rs_config_add_kafka_prop(c, props[i], errstr, sizeof errstr) == 0);
    return c;
}

static const char *conf_get(rd_kafka_conf_t *conf, const char *key)
{
    static char v[512];
    size_t n = sizeof v;
    if (rd_kafka_conf_get(conf, key, v, &n) != RD_KAFKA_CONF_OK)
        return NULL;
    return v;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_conf(void)
{
    char errstr[256] = "";
    const char *props[] = {"socket.timeout.ms=1234", "client.id=custom", NULL};
    rs_config *c = settings("k1:9092,k2:9092", props);
    rd_kafka_conf_t *conf = rs_kafka_conf_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(conf != NULL);
    RS_CHECK_STR(conf_get(conf, "bootstrap.servers"), "k1:9092,k2:9092");
    RS_CHECK_STR(conf_get(conf, "socket.timeout.ms"), "1234");
    RS_CHECK_STR(conf_get(conf, "client.id"), "custom"); /* properties win */
    rd_kafka_conf_destroy(conf);
    rs_config_free(c);

    c = settings("k1:9092", NULL);
    conf = rs_kafka_conf_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(conf != NULL);
    RS_CHECK(strncmp(conf_get(conf, "client.id"), "regscan", 7) == 0);
    rd_kafka_conf_destroy(conf);
    rs_config_free(c);

    const char *bad[] = {"no.such.property=1", NULL};
    c = settings("k1:9092", bad);
    RS_CHECK(rs_kafka_conf_new(&c->settings, errstr, sizeof errstr) == NULL);
    RS_CHECK(strncmp(errstr, "invalid kafka property 'no.such.property': ", 43) == 0);
    rs_config_free(c);

    /* the value of a property that looks like a credential is never shown */
    const char *secret[] = {"my.password=s3cret-value", NULL};
    c = settings("k1:9092", secret);
    RS_CHECK(rs_kafka_conf_new(&c->settings, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr, "invalid kafka property 'my.password' (value not shown)");
    rs_config_free(c);

    const char *badval[] = {"socket.timeout.ms=abc", NULL};
    c = settings("k1:9092", badval);
    RS_CHECK(rs_kafka_conf_new(&c->settings, errstr, sizeof errstr) == NULL);
    RS_CHECK(strncmp(errstr, "invalid kafka property 'socket.timeout.ms': ", 44) == 0);
    rs_config_free(c);
}

/* The properties at-least-once delivery depends on cannot be changed, by
 * their name or an alias; setting them to the forced value is fine. */
static void test_forced(void)
{
    char errstr[256] = "";
    const char *store[] = {"enable.auto.offset.store=true", NULL};
    rs_config *c = settings("k1:9092", store);
    RS_CHECK(rs_kafka_consumer_conf_new(&c->settings, NULL, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr, "kafka property 'enable.auto.offset.store' cannot be changed: regscan's "
                         "delivery guarantee needs enable.auto.offset.store=false");
    /* the generic configuration does not force it (the coordinator has no consumer) */
    rd_kafka_conf_t *conf = rs_kafka_conf_new(&c->settings, errstr, sizeof errstr);
    RS_CHECK(conf != NULL);
    rd_kafka_conf_destroy(conf);
    rs_config_free(c);

    const char *reset[] = {"auto.offset.reset=latest", NULL};
    c = settings("k1:9092", reset);
    RS_CHECK(rs_kafka_consumer_conf_new(&c->settings, NULL, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr, "kafka property 'auto.offset.reset' cannot be changed: regscan's "
                         "delivery guarantee needs auto.offset.reset=earliest");
    rs_config_free(c);

    const char *group[] = {"group.id=other", NULL};
    c = settings("k1:9092", group);
    RS_CHECK(rs_kafka_consumer_conf_new(&c->settings, NULL, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr,
                 "kafka property 'group.id' cannot be set: use REGSCAN_GROUP or --instance-id");
    rs_config_free(c);

    const char *same[] = {"enable.auto.offset.store=false", "auto.commit.interval.ms=500", NULL};
    c = settings("k1:9092", same);
    conf = rs_kafka_consumer_conf_new(&c->settings, "pod-7", errstr, sizeof errstr);
    RS_REQUIRE(conf != NULL);
    RS_CHECK_STR(conf_get(conf, "enable.auto.offset.store"), "false");
    RS_CHECK_STR(conf_get(conf, "auto.commit.interval.ms"), "500");
    RS_CHECK_STR(conf_get(conf, "group.instance.id"), "pod-7");
    RS_CHECK_STR(conf_get(conf, "group.id"), c->settings.group);
    RS_CHECK_STR(conf_get(conf, "partition.assignment.strategy"), "cooperative-sticky");
    rd_kafka_conf_destroy(conf);
    rs_config_free(c);

    /* the producer's acks, also through its alias */
    const char *acks[] = {"request.required.acks=1", NULL};
    c = settings("k1:9092", acks);
    RS_CHECK(rs_producer_new(&c->settings, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr, "kafka property 'request.required.acks' cannot be changed: regscan's "
                         "delivery guarantee needs acks=all");
    rs_config_free(c);
    const char *idem[] = {"enable.idempotence=false", NULL};
    c = settings("k1:9092", idem);
    RS_CHECK(rs_producer_new(&c->settings, errstr, sizeof errstr) == NULL);
    RS_CHECK_STR(errstr, "kafka property 'enable.idempotence' cannot be changed: regscan's "
                         "delivery guarantee needs enable.idempotence=true");
    rs_config_free(c);
    const char *acks_all[] = {"acks=-1", NULL};
    c = settings("k1:9092", acks_all);
    rs_producer *p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_CHECK(p != NULL);
    rs_producer_destroy(p);
    rs_config_free(c);
}

/* Nothing listens on 127.0.0.1:1. */
static void test_unreachable(void)
{
    char errstr[512] = "";
    const char *props[] = {"message.max.bytes=20000", NULL};
    rs_config *c = settings("127.0.0.1:1", props);

    long long t0 = now_ms();
    RS_CHECK_INT(rs_kafka_check(&c->settings, "regscan.findings", 1000, errstr, sizeof errstr),
                 RS_ERR_BROKER);
    RS_CHECK(strncmp(errstr, "cannot reach kafka at '127.0.0.1:1' within 1000 ms: ", 52) == 0);
    RS_CHECK(now_ms() - t0 < 5000);

    rs_producer *p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    RS_CHECK_INT(rs_producer_max_message_bytes(p), 20000);
    t0 = now_ms();
    RS_CHECK_INT(
        rs_producer_send_sync(p, "regscan.findings", "k", "v", 1, 1500, errstr, sizeof errstr),
        RS_ERR_BROKER);
    long long took = now_ms() - t0;
    RS_CHECK(took >= 1400 && took < 4000);
    RS_CHECK_STR(errstr, "no acknowledgement from kafka '127.0.0.1:1' for topic 'regscan.findings' "
                         "within 1500 ms");

    /* over message.max.bytes: refused before anything is queued */
    char *big = calloc(1, 30000);
    RS_REQUIRE(big != NULL);
    RS_CHECK_INT(
        rs_producer_send_sync(p, "regscan.findings", "k", big, 30000, 1500, errstr, sizeof errstr),
        RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(errstr, "(limit 20000 bytes)") != NULL);
    free(big);
    RS_CHECK_INT(rs_producer_flush(p, 100), RS_ERR_BROKER); /* the first message waits */
    rs_producer_destroy(p); /* purges it and frees its delivery record */
    rs_config_free(c);

    c = settings("127.0.0.1:1", NULL);
    p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    RS_CHECK_INT(rs_producer_max_message_bytes(p), 1000000);
    RS_CHECK_INT(rs_producer_flush(p, 100), 0); /* nothing queued */
    rs_producer_destroy(p);
    rs_config_free(c);

    /* parts are cut under Azure Event Hubs' request limit whatever message.max.bytes says */
    const char *large[] = {"message.max.bytes=8000000", NULL};
    c = settings("127.0.0.1:1", large);
    p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    RS_CHECK_INT(rs_producer_max_message_bytes(p), RS_KAFKA_MESSAGE_MAX);
    RS_CHECK_INT(RS_KAFKA_MESSAGE_MAX, 1046528);
    rs_producer_destroy(p);
    rs_config_free(c);
}

/* Consumes `topic` from the offsets in *start (one per partition) until a
 * message with `key` arrives; copies its value. Returns 1 when found. */
static int find_message(const char *brokers, const char *topic, int n_parts, const int64_t *start,
                        const char *key, char *value, size_t value_size)
{
    char errstr[512];
    rs_config *c = settings(brokers, NULL);
    rd_kafka_conf_t *conf = rs_kafka_conf_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(conf != NULL);
    RS_REQUIRE(rd_kafka_conf_set(conf, "group.id", "regscan-test-kafka", errstr, sizeof errstr) ==
               RD_KAFKA_CONF_OK);
    RS_REQUIRE(rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof errstr) ==
               RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    RS_REQUIRE(rk != NULL);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n_parts);
    for (int i = 0; i < n_parts; i++)
        rd_kafka_topic_partition_list_add(l, topic, i)->offset = start[i];
    RS_REQUIRE(rd_kafka_assign(rk, l) == RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(l);
    int found = 0;
    long long deadline = now_ms() + 15000;
    while (!found && now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (!m->err && m->key_len == strlen(key) && !memcmp(m->key, key, m->key_len)) {
            snprintf(value, value_size, "%.*s", (int)m->len, (const char *)m->payload);
            found = 1;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    rs_config_free(c);
    return found;
}

static void test_live(const char *brokers)
{
    char errstr[512] = "";
    const char *topic = getenv("REGSCAN_TEST_KAFKA_TOPIC");
    if (!topic || !*topic)
        topic = "regscan.findings";
    rs_config *c = settings(brokers, NULL);
    RS_CHECK_INT(rs_kafka_check(&c->settings, topic, 10000, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_kafka_check(&c->settings, NULL, 10000, errstr, sizeof errstr), 0);
    char missing[128];
    snprintf(missing, sizeof missing, "regscan.test-missing-%d", (int)getpid());
    RS_CHECK_INT(rs_kafka_check(&c->settings, missing, 10000, errstr, sizeof errstr),
                 RS_ERR_CONFIG);
    char expected[512];
    snprintf(expected, sizeof expected,
             "kafka topic '%s' does not exist on '%s' (or is not visible to us)", missing, brokers);
    RS_CHECK_STR(errstr, expected);

    /* the partitions' ends before we produce */
    rd_kafka_conf_t *conf = rs_kafka_conf_new(&c->settings, errstr, sizeof errstr);
    rd_kafka_t *admin = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    RS_REQUIRE(admin != NULL);
    const struct rd_kafka_metadata *md = NULL;
    RS_REQUIRE(rd_kafka_metadata(admin, 1, NULL, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR);
    int n_parts = 0;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic))
            n_parts = md->topics[i].partition_cnt;
    rd_kafka_metadata_destroy(md);
    RS_REQUIRE(n_parts > 0 && n_parts <= 256);
    int64_t start[256];
    for (int i = 0; i < n_parts; i++) {
        int64_t lo = 0, hi = 0;
        RS_REQUIRE(rd_kafka_query_watermark_offsets(admin, topic, i, &lo, &hi, 10000) ==
                   RD_KAFKA_RESP_ERR_NO_ERROR);
        start[i] = hi;
    }
    rd_kafka_destroy(admin);

    rs_producer *p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    char key[96], value[128];
    unsigned char rnd[8];
    RAND_bytes(rnd, sizeof rnd);
    snprintf(key, sizeof key, "regscan-test/%d-%02x%02x%02x%02x", (int)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3]);
    snprintf(value, sizeof value, "{\"schema\":\"test\",\"key\":\"%s\"}", key);
    RS_CHECK_INT(
        rs_producer_send_sync(p, topic, key, value, strlen(value), 15000, errstr, sizeof errstr),
        0);
    char got[256] = "";
    RS_CHECK_INT(find_message(brokers, topic, n_parts, start, key, got, sizeof got), 1);
    RS_CHECK_STR(got, value);

    /* larger than the broker accepts (1 MiB by default), incompressible */
    size_t big_len = 3 * 1024 * 1024;
    unsigned char *big = malloc(big_len);
    RS_REQUIRE(big != NULL);
    RAND_bytes(big, (int)big_len);
    rs_producer_destroy(p);
    rs_config_free(c);
    const char *props[] = {"message.max.bytes=8000000", NULL};
    c = settings(brokers, props);
    p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    RS_CHECK_INT(rs_producer_send_sync(p, topic, key, big, big_len, 20000, errstr, sizeof errstr),
                 RS_ERR_LIMIT_EXCEEDED);
    free(big);
    rs_producer_destroy(p);
    rs_config_free(c);

    /* an unknown topic is a configuration error, and is not created */
    const char *fast[] = {"topic.metadata.propagation.max.ms=1000", NULL};
    c = settings(brokers, fast);
    p = rs_producer_new(&c->settings, errstr, sizeof errstr);
    RS_REQUIRE(p != NULL);
    RS_CHECK_INT(rs_producer_topic_check(p, topic, errstr, sizeof errstr), 0);
    RS_CHECK_INT(rs_producer_topic_check(p, missing, errstr, sizeof errstr), RS_ERR_CONFIG);
    snprintf(expected, sizeof expected, "kafka topic '%s' does not exist on '%s'", missing,
             brokers);
    RS_CHECK_STR(errstr, expected);
    /* answered from the cache the second time, with the same words */
    errstr[0] = '\0';
    RS_CHECK_INT(rs_producer_topic_check(p, missing, errstr, sizeof errstr), RS_ERR_CONFIG);
    RS_CHECK_STR(errstr, expected);
    RS_CHECK_INT(rs_producer_send_sync(p, missing, key, "x", 1, 15000, errstr, sizeof errstr),
                 RS_ERR_CONFIG);
    rs_producer_destroy(p);
    RS_CHECK_INT(rs_kafka_check(&c->settings, missing, 10000, errstr, sizeof errstr),
                 RS_ERR_CONFIG);
    rs_config_free(c);
}

int main(void)
{
    test_conf();
    test_forced();
    test_unreachable();
    const char *brokers = getenv("REGSCAN_TEST_KAFKA_BROKERS");
    if (!brokers || !*brokers) {
        printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
        if (rs_test_failed)
            return 1;
        RS_SKIP("REGSCAN_TEST_KAFKA_BROKERS is not set");
    }
    test_live(brokers);
    return RS_TEST_RESULT();
}
