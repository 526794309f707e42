/* window.h - the consumer's in-flight window: which requests of which
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
#ifndef RS_WINDOW_H
#define RS_WINDOW_H

#include <stdatomic.h>
#include <stdint.h>

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
