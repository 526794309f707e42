/* kafka.h - librdkafka configuration from the shared settings, a producer
 * that waits for each message's acknowledgement, and a start-up check.
 *
 * The consumer loop lives in worker.c; its configuration is built here.
 * librdkafka's own log lines go to rs_log; lines that may carry a SASL
 * password are withheld. */
#ifndef RS_KAFKA_H
#define RS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config.h"

/* A new configuration with bootstrap.servers, client.id, the log callback
 * and every k=v of s->kafka_props (which win over the defaults). Returns
 * NULL with errstr set (naming the property, never its value). The caller
 * owns the result (rd_kafka_new takes it). */
rd_kafka_conf_t *rs_kafka_conf_new(const rs_settings *s, char *errstr, size_t errstr_size);

/* The worker's consumer configuration: rs_kafka_conf_new's, group.id from
 * s->group, group.instance.id when instance_id is set (static membership),
 * cooperative-sticky assignment and a commit every second unless the
 * properties say otherwise. The properties that at-least-once delivery
 * depends on (rs_kafka_forced_properties) cannot be changed: a property that
 * tries, or group.id / group.instance.id given as a property, is
 * RS_ERR_CONFIG naming it. NULL with errstr set on error. */
rd_kafka_conf_t *rs_kafka_consumer_conf_new(const rs_settings *s, const char *instance_id,
                                            char *errstr, size_t errstr_size);
/* The NULL-terminated key, value pairs regscan forces on the consumer
 * (consumer = 1) or the producer (0); static. */
const char *const *rs_kafka_forced_properties(int consumer);

typedef struct rs_producer rs_producer;

/* An idempotent producer (acks=all, enable.idempotence=true; compression.type
 * zstd and linger.ms 5 unless the properties say otherwise). Returns NULL
 * with errstr set. Thread-safe. */
rs_producer *rs_producer_new(const rs_settings *s, char *errstr, size_t errstr_size);

/* 0 when `topic` exists and is not denied to us, RS_ERR_CONFIG when it does
 * not exist, RS_ERR_UNAUTHORIZED when access is denied, RS_ERR_BROKER when
 * Kafka gave no metadata. Answers are cached (a topic seen for 60 s, a missing
 * one for 10 s), so a call per request costs nothing. Thread-safe. */
int rs_producer_topic_check(rs_producer *p, const char *topic, char *errstr, size_t errstr_size);

/* Produces one message and waits up to timeout_ms for its delivery report.
 * Returns 0 only when the brokers acknowledged it; RS_ERR_BROKER on
 * timeout or when the brokers are down, RS_ERR_LIMIT_EXCEEDED when the
 * message is too large, RS_ERR_CONFIG for an unknown topic,
 * RS_ERR_UNAUTHORIZED when refused. `key` may be NULL. */
int rs_producer_send_sync(rs_producer *p, const char *topic, const char *key, const void *value,
                          size_t len, int timeout_ms, char *errstr, size_t errstr_size);

/* The producer's message.max.bytes (librdkafka's default 1000000). */
size_t rs_producer_max_message_bytes(const rs_producer *p);

/* Waits up to timeout_ms for every queued message. Returns 0 or
 * RS_ERR_BROKER when messages are still queued. */
int rs_producer_flush(rs_producer *p, int timeout_ms);

/* Flushes briefly, then drops what is left. NULL is fine. */
void rs_producer_destroy(rs_producer *p);

/* Fetches cluster metadata: RS_ERR_BROKER naming the brokers when Kafka
 * cannot be reached within timeout_ms, RS_ERR_CONFIG when `topic` (may be
 * NULL: not checked) does not exist, RS_ERR_UNAUTHORIZED when its access is
 * denied, else 0. Never creates the topic. */
int rs_kafka_check(const rs_settings *s, const char *topic, int timeout_ms, char *errstr,
                   size_t errstr_size);

#endif
