/* kafka.h - Kafka for both programs: the producer, the consumer's
 * configuration with its forced properties, and the consumer's in-flight
 * window of offsets (what may be committed, which partitions are paused).
 *
 * The one public header of common/kafka. */
#ifndef RS_KAFKA_H
#define RS_KAFKA_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* ---- kafka: librdkafka configuration from the shared settings, a producer
 * that waits for each message's acknowledgement, and a start-up check.
 *
 * The consumer loop lives in worker.c; its configuration is built here.
 * librdkafka's own log lines go to rs_log; lines that may carry a SASL
 * password are withheld (noted at debug level only). */

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
 * gzip and linger.ms 5 unless the properties say otherwise). Returns NULL
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

/* The largest message regscan produces: Azure Event Hubs closes the connection
 * on a request larger than this (docs/azure.md); plain Kafka's default broker
 * limit (1048588) is above it. */
#define RS_KAFKA_MESSAGE_MAX 1046528

/* The producer's message.max.bytes (librdkafka's default 1000000), at most
 * RS_KAFKA_MESSAGE_MAX: the bound that report and inventory parts are cut to
 * (less a margin for key and headers). */
size_t rs_producer_max_message_bytes(const rs_producer *p);

/* Waits up to timeout_ms for every queued message. Returns 0 or
 * RS_ERR_BROKER when messages are still queued. */
int rs_producer_flush(rs_producer *p, int timeout_ms);

/* Flushes briefly, then drops what is left. NULL is fine. */
void rs_producer_destroy(rs_producer *p);

/* Fetches cluster metadata: RS_ERR_BROKER naming the brokers when Kafka
 * cannot be reached within timeout_ms (at once when the TLS handshake failed),
 * RS_ERR_UNAUTHORIZED at once when the SASL credentials are refused (the
 * message names no value) or when `topic`'s access is denied, RS_ERR_CONFIG
 * when `topic` (may be NULL: not checked) does not exist, else 0. Never
 * creates the topic. */
int rs_kafka_check(const rs_settings *s, const char *topic, int timeout_ms, char *errstr,
                   size_t errstr_size);

/* ---- window: the consumer's in-flight window: which requests of which
 * partition are queued, running or finished, and how far each partition's
 * offset may move (DESIGN.md §6).
 *
 * A request is added when the consumer polls it, taken by a job thread,
 * and finished (done: its offset may be stored) or abandoned (redelivered
 * later). A partition's offset is stored only past the requests at its head
 * that are done, so whatever is not done is redelivered whatever happens. A
 * partition with `window` requests in flight is paused, and resumed when one
 * is freed or when the partition is revoked (a revoked partition must not
 * come back paused). The Kafka calls themselves are the caller's: the window
 * only says when, through rs_window_ops, so it is tested without a broker.
 *
 * Thread-safe: one lock for everything; callbacks run under it and must not
 * call back into the window. Does not know Kafka, Redis or scans. */

typedef struct rs_window rs_window;

/* One request in the window. The fields above the line are the caller's to
 * read while it holds the job (between take and finish); the flags may be set
 * by the window at any time. */
typedef struct rs_window_job {
    void *payload; /* the message: freed by ops->release when the job is dropped */
    char topic[256];
    int32_t partition;
    int64_t offset;
    unsigned long seq;    /* a number unique in this window, from 1 */
    atomic_int cancel;    /* revoke or shutdown: hand the request back */
    atomic_int scan_stop; /* whatever runs for the job stops (set with cancel) */
    /* ---- the window's own ---- */
    int state;
    struct rs_window_job *next_queued, *next_in_part;
} rs_window_job;

typedef struct rs_window_ops {
    void *opaque;
    /* the offset to commit for a partition: every request before it is done */
    void (*store)(void *opaque, const char *topic, int32_t partition, int64_t next_offset);
    /* pause (1) or resume (0) fetching a partition */
    void (*pause)(void *opaque, const char *topic, int32_t partition, int pause);
    /* frees a job's payload (when the job is dropped) */
    void (*release)(void *opaque, void *payload);
} rs_window_ops;

/* A window of `per_partition` (>= 1) requests per partition; ops is copied.
 * NULL when out of memory. */
rs_window *rs_window_new(int per_partition, const rs_window_ops *ops);
/* Drops every job (their payloads released) and frees the window. The job
 * threads must have returned. NULL is fine. */
void rs_window_destroy(rs_window *w);

/* Queues a request polled from `topic` [partition] at `offset`; pauses the
 * partition when its window is full. 0, or -1 when out of memory (the
 * payload is then still the caller's). */
int rs_window_add(rs_window *w, const char *topic, int32_t partition, int64_t offset,
                  void *payload);
/* Blocks until a request is queued and returns it (now running), or returns
 * NULL when the window is stopping and nothing is queued, or failed. */
rs_window_job *rs_window_take(rs_window *w);
/* Ends a job taken with rs_window_take: done (1: its offset may be stored)
 * or abandoned (0: redelivered later). Stores what can be stored. */
void rs_window_finish(rs_window *w, rs_window_job *j, int done);

/* A partition was revoked or lost: its queued requests are dropped, its
 * running ones asked to stop (cancel); waits until none runs, stores the
 * offset of what is done, resumes it if paused, and forgets it. */
void rs_window_revoke(rs_window *w, const char *topic, int32_t partition);
/* Shutdown: job threads return once the queue is empty. */
void rs_window_stop(rs_window *w);
/* Shutdown past its drain timeout: every job is asked to stop and those not
 * started are dropped. Returns how many were in flight. */
int rs_window_cancel_all(rs_window *w);
/* Failure: job threads return at once (what runs is finished by them). */
void rs_window_fail(rs_window *w);
/* Requests queued or running (running_only: running). */
int rs_window_busy(rs_window *w, int running_only);
/* Milliseconds (rs_now_ms) of the last add or finish. */
uint64_t rs_window_last_activity(rs_window *w);
/* Stores the offsets that can be stored now (rs_window_finish does it too). */
void rs_window_advance(rs_window *w);

#endif
