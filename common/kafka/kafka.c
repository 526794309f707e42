/* kafka.c - librdkafka configuration, a synchronous idempotent producer and
 * a metadata check (DESIGN.md §2, §6).
 *
 * rs_producer_send_sync waits for the delivery report of exactly the message
 * it produced: each message carries a heap-allocated delivery record that the
 * delivery callback fills, or frees when the sender gave up waiting (so a
 * late report never writes into a returned stack frame). Values of
 * properties are never written into messages, and librdkafka log lines that
 * may carry a credential are withheld. */
#include "kafka.h"
#include "base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define TOPIC_CACHE 64
#define TOPIC_OK_MS 60000  /* a topic seen is trusted this long */
#define TOPIC_BAD_MS 10000 /* a missing or forbidden one is asked again after this */

struct topic_seen {
    char name[256];
    int status; /* 0, RS_ERR_CONFIG (missing), RS_ERR_UNAUTHORIZED */
    long long at_ms;
};

struct rs_producer {
    rd_kafka_t *rk;
    size_t max_message_bytes;
    char brokers[512];
    pthread_mutex_t lock; /* guards every struct delivery */
    pthread_mutex_t topics_lock;
    struct topic_seen topics[TOPIC_CACHE];
    size_t next_topic; /* the slot replaced next when the cache is full */
};

struct delivery {
    int done;
    int abandoned; /* the sender timed out: the callback frees the record */
    rd_kafka_resp_err_t err;
};

/* an Event Hubs connection string (the SASL password) holds "SharedAccessKey=" */
static const char *const secret_words[] = {"password", "secret",  "jaas",          "token",
                                           "sasl.oauthbearer", "ssl.key", "sharedaccess", NULL};

/* 1 when a property name or a log line may carry a credential. */
static int may_hold_secret(const char *s)
{
    for (size_t i = 0; secret_words[i]; i++)
        if (strcasestr(s, secret_words[i]))
            return 1;
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    rs_log_level l = level <= 3   ? RS_LOG_ERROR
                     : level == 4 ? RS_LOG_WARN
                     : level <= 6 ? RS_LOG_INFO
                                  : RS_LOG_DEBUG;
    /* a withheld line tells nothing to act on (the caller's error names the
     * cause, e.g. refused SASL credentials): it is noted at debug level only */
    int withhold = may_hold_secret(buf);
    if (withhold)
        l = RS_LOG_DEBUG;
    if (!rs_log_enabled(l))
        return;
    if (withhold)
        rs_log(l, "kafka %s: (a line that may hold a credential was withheld)", fac);
    else
        rs_log(l, "kafka %s: %s", fac, buf);
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                    size_t errstr_size)
{
    char rderr[512];
    if (rd_kafka_conf_set(conf, key, value, rderr, sizeof rderr) == RD_KAFKA_CONF_OK)
        return 0;
    if (may_hold_secret(key))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "invalid kafka property '%s' (value not shown)", key);
    return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "invalid kafka property '%s': %s", key,
                   rderr);
}

/* gzip: the one codec Azure Event Hubs' Kafka endpoint documents (docs/azure.md) */
static const char *const producer_defaults[] = {"compression.type", "gzip", "linger.ms", "5",
                                                /* a mistyped topic is an error, not a new topic */
                                                "allow.auto.create.topics", "false", NULL};
/* at-least-once delivery depends on these (DESIGN.md §6) */
static const char *const producer_forced[] = {"acks", "all", "enable.idempotence", "true", NULL};

/* RS_ERR_CONFIG when the user's `key`=`value` would change one of the
 * `forced` properties (also through an alias, such as request.required.acks
 * for acks): the property is set to its forced value on a scratch
 * configuration, the user's one on top, and the forced property read back. */
static int forced_check(const char *key, const char *value, const char *const *forced, char *errstr,
                        size_t errstr_size)
{
    for (size_t i = 0; forced && forced[i]; i += 2) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        char rderr[256], before[256] = "", after[256] = "";
        size_t bs = sizeof before, as = sizeof after;
        int changed = 0;
        if (!c)
            return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        if (rd_kafka_conf_set(c, forced[i], forced[i + 1], rderr, sizeof rderr) ==
                RD_KAFKA_CONF_OK &&
            rd_kafka_conf_get(c, forced[i], before, &bs) == RD_KAFKA_CONF_OK &&
            rd_kafka_conf_set(c, key, value, rderr, sizeof rderr) == RD_KAFKA_CONF_OK &&
            rd_kafka_conf_get(c, forced[i], after, &as) == RD_KAFKA_CONF_OK)
            changed = strcmp(before, after) != 0;
        rd_kafka_conf_destroy(c);
        if (changed)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "kafka property '%s' cannot be changed: regscan's delivery guarantee "
                           "needs %s=%s",
                           key, forced[i], forced[i + 1]);
    }
    return 0;
}

/* The common configuration: `defaults` (key, value pairs, NULL-terminated)
 * before the user's properties, `forced` after them; a user property that
 * would change a forced one is an error. */
static rd_kafka_conf_t *conf_build(const rs_settings *s, const char *const *defaults,
                                   const char *const *forced, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char host[256] = "", client_id[300];
    int rc = 0;
    if (!conf) {
        rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    snprintf(client_id, sizeof client_id, "regscan%s%s", host[0] ? "-" : "", host);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if ((rc = conf_set(conf, "bootstrap.servers",
                       s->kafka_brokers ? s->kafka_brokers : "127.0.0.1:9092", errstr,
                       errstr_size)) ||
        (rc = conf_set(conf, "client.id", client_id, errstr, errstr_size)))
        goto out;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if ((rc = conf_set(conf, defaults[i], defaults[i + 1], errstr, errstr_size)))
            goto out;
    for (size_t i = 0; i < s->n_kafka_props; i++) {
        const char *kv = s->kafka_props[i];
        const char *eq = strchr(kv, '=');
        char key[256];
        if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key) {
            rc =
                rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "kafka property %zu is not k=v", i + 1);
            goto out;
        }
        memcpy(key, kv, (size_t)(eq - kv));
        key[eq - kv] = '\0';
        if ((rc = conf_set(conf, key, eq + 1, errstr, errstr_size)) ||
            (rc = forced_check(key, eq + 1, forced, errstr, errstr_size)))
            goto out;
    }
    for (size_t i = 0; forced && forced[i]; i += 2)
        if ((rc = conf_set(conf, forced[i], forced[i + 1], errstr, errstr_size)))
            goto out;
out:
    if (rc) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

rd_kafka_conf_t *rs_kafka_conf_new(const rs_settings *s, char *errstr, size_t errstr_size)
{
    return conf_build(s, NULL, NULL, errstr, errstr_size);
}

static const char *const consumer_defaults[] = {"partition.assignment.strategy",
                                                "cooperative-sticky",
                                                "enable.auto.commit",
                                                "true",
                                                "auto.commit.interval.ms",
                                                "1000",
                                                "enable.partition.eof",
                                                "false",
                                                NULL};
/* at-least-once delivery depends on these (DESIGN.md §6): offsets are stored
 * by the worker only past finished requests, and a new group starts from the
 * oldest request, never from the newest */
static const char *const consumer_forced[] = {"enable.auto.offset.store", "false",
                                              "auto.offset.reset", "earliest", NULL};

rd_kafka_conf_t *rs_kafka_consumer_conf_new(const rs_settings *s, const char *instance_id,
                                            char *errstr, size_t errstr_size)
{
    for (size_t i = 0; i < s->n_kafka_props; i++)
        if (!strncmp(s->kafka_props[i], "group.id=", 9) ||
            !strncmp(s->kafka_props[i], "group.instance.id=", 18)) {
            rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                    "kafka property '%.*s' cannot be set: use REGSCAN_GROUP or --instance-id",
                    (int)strcspn(s->kafka_props[i], "="), s->kafka_props[i]);
            return NULL;
        }
    rd_kafka_conf_t *conf = conf_build(s, consumer_defaults, consumer_forced, errstr, errstr_size);
    if (conf && (conf_set(conf, "group.id", s->group, errstr, errstr_size) ||
                 (instance_id && *instance_id &&
                  conf_set(conf, "group.instance.id", instance_id, errstr, errstr_size)))) {
        rd_kafka_conf_destroy(conf);
        conf = NULL;
    }
    return conf;
}

const char *const *rs_kafka_forced_properties(int consumer)
{
    return consumer ? consumer_forced : producer_forced;
}

/* ---- producer ----------------------------------------------------------- */

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    rs_producer *p = opaque;
    struct delivery *d = m->_private;
    if (!d)
        return;
    pthread_mutex_lock(&p->lock);
    if (d->abandoned) {
        free(d);
    } else {
        d->err = m->err;
        d->done = 1;
    }
    pthread_mutex_unlock(&p->lock);
}

rs_producer *rs_producer_new(const rs_settings *s, char *errstr, size_t errstr_size)
{
    rs_producer *p = calloc(1, sizeof *p);
    if (!p) {
        rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_mutex_init(&p->topics_lock, NULL);
    snprintf(p->brokers, sizeof p->brokers, "%s",
             s->kafka_brokers ? s->kafka_brokers : "127.0.0.1:9092");
    rd_kafka_conf_t *conf = conf_build(s, producer_defaults, producer_forced, errstr, errstr_size);
    if (!conf)
        goto fail;
    char v[64];
    size_t vs = sizeof v;
    p->max_message_bytes = 1000000;
    if (rd_kafka_conf_get(conf, "message.max.bytes", v, &vs) == RD_KAFKA_CONF_OK)
        p->max_message_bytes = (size_t)strtoull(v, NULL, 10);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_opaque(conf, p);
    char rderr[512];
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof rderr);
    if (!p->rk) {
        rd_kafka_conf_destroy(conf);
        rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "cannot create kafka producer: %s", rderr);
        goto fail;
    }
    return p; /* rd_kafka_new took conf */
fail:
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->topics_lock);
    free(p);
    return NULL;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int map_err(const rs_producer *p, rd_kafka_resp_err_t err, const char *topic, char *errstr,
                   size_t errstr_size)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return 0;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        return rs_errf(errstr, errstr_size, RS_ERR_LIMIT_EXCEEDED,
                       "message too large for kafka topic '%s' (limit %zu bytes): %s", topic,
                       p->max_message_bytes, rd_kafka_err2str(err));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "kafka topic '%s' does not exist on '%s'", topic, p->brokers);
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        return rs_errf(errstr, errstr_size, RS_ERR_UNAUTHORIZED,
                       "kafka refused to write to topic '%s': %s", topic, rd_kafka_err2str(err));
    case RD_KAFKA_RESP_ERR__FATAL: {
        char fe[256] = "";
        rd_kafka_fatal_error(p->rk, fe, sizeof fe);
        return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                       "kafka producer failed for good on '%s': %s", p->brokers, fe);
    }
    default:
        return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                       "cannot deliver to kafka topic '%s' on '%s': %s", topic, p->brokers,
                       rd_kafka_err2str(err));
    }
}

int rs_producer_send_sync(rs_producer *p, const char *topic, const char *key, const void *value,
                          size_t len, int timeout_ms, char *errstr, size_t errstr_size)
{
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    struct delivery *d = calloc(1, sizeof *d);
    if (!d)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    rd_kafka_resp_err_t err;
    for (;;) {
        err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
            RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || now_ms() >= deadline)
            break;
        rd_kafka_poll(p->rk, 50);
    }
    if (err) {
        free(d); /* not enqueued: no delivery report will come */
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                           "kafka producer queue stayed full for %d ms ('%s')", timeout_ms,
                           p->brokers);
        return map_err(p, err, topic, errstr, errstr_size);
    }
    for (;;) {
        pthread_mutex_lock(&p->lock);
        int done = d->done;
        err = d->err;
        long long left = deadline - now_ms();
        if (!done && left <= 0)
            d->abandoned = 1; /* the delivery callback frees it */
        pthread_mutex_unlock(&p->lock);
        if (done) {
            free(d);
            return map_err(p, err, topic, errstr, errstr_size);
        }
        if (left <= 0)
            return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                           "no acknowledgement from kafka '%s' for topic '%s' within %d ms",
                           p->brokers, topic, timeout_ms);
        rd_kafka_poll(p->rk, (int)(left < 50 ? left : 50));
    }
}

size_t rs_producer_max_message_bytes(const rs_producer *p)
{
    return p->max_message_bytes < RS_KAFKA_MESSAGE_MAX ? p->max_message_bytes
                                                        : RS_KAFKA_MESSAGE_MAX;
}

int rs_producer_flush(rs_producer *p, int timeout_ms)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : RS_ERR_BROKER;
}

void rs_producer_destroy(rs_producer *p)
{
    if (!p)
        return;
    if (rd_kafka_flush(p->rk, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* serves the delivery reports of purged messages, freeing their records */
        rd_kafka_flush(p->rk, 1000);
    }
    rd_kafka_destroy(p->rk);
    pthread_mutex_destroy(&p->lock);
    pthread_mutex_destroy(&p->topics_lock);
    free(p);
}

/* The status metadata gives `topic`: 0, RS_ERR_CONFIG, RS_ERR_UNAUTHORIZED;
 * RS_ERR_BROKER when no metadata came. */
static int topic_status(rs_producer *p, const char *topic, char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    /* all topics: asking for one by name could make the broker create it */
    rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 1, NULL, &md, 10000);
    if (err)
        return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                       "cannot get metadata from kafka '%s': %s", p->brokers,
                       rd_kafka_err2str(err));
    int rc = RS_ERR_CONFIG;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic))
            rc = md->topics[i].err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED
                     ? RS_ERR_UNAUTHORIZED
                 : md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? RS_ERR_CONFIG
                                                                                : 0;
    rd_kafka_metadata_destroy(md);
    return rc;
}

int rs_producer_topic_check(rs_producer *p, const char *topic, char *errstr, size_t errstr_size)
{
    if (!topic || !*topic || strlen(topic) >= sizeof p->topics[0].name)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "invalid kafka topic name '%.255s'",
                       topic ? topic : "");
    long long now = now_ms();
    int rc = 1; /* 1: not cached */
    pthread_mutex_lock(&p->topics_lock);
    struct topic_seen *slot = NULL;
    for (size_t i = 0; i < TOPIC_CACHE && !slot; i++)
        if (!strcmp(p->topics[i].name, topic))
            slot = &p->topics[i];
    if (slot && now - slot->at_ms < (slot->status ? TOPIC_BAD_MS : TOPIC_OK_MS))
        rc = slot->status;
    if (rc == 1) {
        rc = topic_status(p, topic, errstr, errstr_size);
        if (rc != RS_ERR_BROKER) {
            if (!slot)
                slot = &p->topics[p->next_topic++ % TOPIC_CACHE];
            snprintf(slot->name, sizeof slot->name, "%s", topic);
            slot->status = rc;
            slot->at_ms = now;
        }
    }
    pthread_mutex_unlock(&p->topics_lock);
    if (rc == RS_ERR_CONFIG)
        return rs_errf(errstr, errstr_size, rc, "kafka topic '%s' does not exist on '%s'", topic,
                       p->brokers);
    if (rc == RS_ERR_UNAUTHORIZED)
        return rs_errf(errstr, errstr_size, rc, "kafka topic '%s' on '%s': access denied", topic,
                       p->brokers);
    return rc;
}

/* ---- start-up check ----------------------------------------------------- */

/* What librdkafka's error callback saw while rs_kafka_check waited: SASL
 * refused, or the TLS handshake failed (its reason names no credential). */
struct check_seen {
    atomic_int auth_failed;
    atomic_int tls_failed;
    atomic_int closing; /* the failure is reported: the client is torn down */
};

/* The check client's log lines, less those of its teardown after a failure
 * that its error already reports (such as an authentication cut short by the
 * destroy, "Broker handle destroyed"). */
static void check_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct check_seen *seen = rd_kafka_opaque(rk);
    if (seen && atomic_load(&seen->closing))
        return;
    log_cb(rk, level, fac, buf);
}

static void check_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)reason;
    struct check_seen *seen = opaque;
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
        err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED)
        atomic_store(&seen->auth_failed, 1);
    else if (err == RD_KAFKA_RESP_ERR__SSL)
        atomic_store(&seen->tls_failed, 1);
}

/* The error of a failed start-up metadata request: the credentials or the TLS
 * handshake when the error callback saw them fail, else unreachable. */
static int check_failed(const char *brokers, rd_kafka_resp_err_t err,
                        const struct check_seen *seen, int timeout_ms, char *errstr,
                        size_t errstr_size)
{
    if (atomic_load(&seen->auth_failed))
        return rs_errf(errstr, errstr_size, RS_ERR_UNAUTHORIZED,
                       "kafka at '%s' refused our SASL credentials (sasl.username, "
                       "sasl.password): authentication failed",
                       brokers);
    if (atomic_load(&seen->tls_failed))
        return rs_errf(errstr, errstr_size, RS_ERR_BROKER,
                       "cannot reach kafka at '%s': the TLS handshake failed (is ssl.ca.location "
                       "the CA of the brokers' certificates?)",
                       brokers);
    return rs_errf(errstr, errstr_size, RS_ERR_BROKER, "cannot reach kafka at '%s' within %d ms: %s",
                   brokers, timeout_ms, rd_kafka_err2str(err));
}

/* All topics' metadata (asking for one by name could make the broker create
 * it), asked in slices of at most 500 ms so that refused credentials or a
 * failed TLS handshake (seen by the error callback, served between slices)
 * end the wait at once instead of after timeout_ms. */
static rd_kafka_resp_err_t metadata_until(rd_kafka_t *rk, const struct check_seen *seen,
                                          int timeout_ms, const struct rd_kafka_metadata **md)
{
    long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
    rd_kafka_resp_err_t err;
    for (;;) {
        long long left = deadline - now_ms();
        err = rd_kafka_metadata(rk, 1, NULL, md, (int)(left < 500 ? (left > 0 ? left : 1) : 500));
        if (!err)
            return err;
        rd_kafka_poll(rk, 0); /* serves the error callback */
        if (atomic_load(&seen->auth_failed) || atomic_load(&seen->tls_failed) ||
            now_ms() >= deadline ||
            (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT))
            return err;
    }
}

int rs_kafka_check(const rs_settings *s, const char *topic, int timeout_ms, char *errstr,
                   size_t errstr_size)
{
    const char *brokers = s->kafka_brokers ? s->kafka_brokers : "127.0.0.1:9092";
    rd_kafka_conf_t *conf = rs_kafka_conf_new(s, errstr, errstr_size);
    if (!conf)
        return RS_ERR_CONFIG;
    struct check_seen seen = {0};
    rd_kafka_conf_set_log_cb(conf, check_log_cb);
    rd_kafka_conf_set_error_cb(conf, check_error_cb);
    rd_kafka_conf_set_opaque(conf, &seen);
    char rderr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rderr, sizeof rderr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "cannot create kafka client: %s", rderr);
    }
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = metadata_until(rk, &seen, timeout_ms, &md);
    int rc = 0;
    if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
        err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
        err == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_UNAUTHORIZED, "kafka at '%s' refused us: %s",
                     brokers, rd_kafka_err2str(err));
        goto out;
    }
    if (err) {
        rc = check_failed(brokers, err, &seen, timeout_ms, errstr, errstr_size);
        goto out;
    }
    if (!topic)
        goto out;
    int i;
    for (i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic))
            break;
    if (i == md->topic_cnt) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                     "kafka topic '%s' does not exist on '%s' (or is not visible to us)", topic,
                     brokers);
    } else if (md->topics[i].err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_UNAUTHORIZED,
                     "kafka topic '%s' on '%s': access denied", topic, brokers);
    } else if (md->topics[i].err) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "kafka topic '%s' on '%s': %s", topic,
                     brokers, rd_kafka_err2str(md->topics[i].err));
    }
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rc)
        atomic_store(&seen.closing, 1);
    rd_kafka_destroy(rk); /* joins librdkafka's threads: `seen` outlives them */
    return rc;
}
