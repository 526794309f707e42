/* kafka.h - librdkafka configuration from the shared settings, a producer
 * that waits for each message's acknowledgement, and a start-up check.
 *
 * The consumer loop lives in worker.c and uses rs_kafka_conf_new directly.
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

typedef struct rs_producer rs_producer;

/* An idempotent producer (acks=all, enable.idempotence=true; compression.type
 * zstd and linger.ms 5 unless the properties say otherwise). Returns NULL
 * with errstr set. Thread-safe. */
rs_producer *rs_producer_new(const rs_settings *s, char *errstr, size_t errstr_size);

/* Produces one message and waits up to timeout_ms for its delivery report.
 * Returns 0 only when the brokers acknowledged it; RS_ERR_UNREACHABLE on
 * timeout or when the brokers are down, RS_ERR_LIMIT_EXCEEDED when the
 * message is too large, RS_ERR_CONFIG for an unknown topic,
 * RS_ERR_UNAUTHORIZED when refused. `key` may be NULL. */
int rs_producer_send_sync(rs_producer *p, const char *topic, const char *key, const void *value,
                          size_t len, int timeout_ms, char *errstr, size_t errstr_size);

/* The producer's message.max.bytes (librdkafka's default 1000000). */
size_t rs_producer_max_message_bytes(const rs_producer *p);

/* Waits up to timeout_ms for every queued message. Returns 0 or
 * RS_ERR_UNREACHABLE when messages are still queued. */
int rs_producer_flush(rs_producer *p, int timeout_ms);

/* Flushes briefly, then drops what is left. NULL is fine. */
void rs_producer_destroy(rs_producer *p);

/* Fetches cluster metadata: RS_ERR_UNREACHABLE naming the brokers when Kafka
 * cannot be reached within timeout_ms, RS_ERR_CONFIG when `topic` (may be
 * NULL: not checked) does not exist, RS_ERR_UNAUTHORIZED when its access is
 * denied, else 0. Never creates the topic. */
int rs_kafka_check(const rs_settings *s, const char *topic, int timeout_ms, char *errstr,
                   size_t errstr_size);

#endif
