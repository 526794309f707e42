/* window.c - the consumer's in-flight window (see window.h).
 *
 * Jobs sit on two lists: the FIFO of those not started (next_queued) and
 * their partition's list in offset order (next_in_part). Partitions live in
 * a growing array; a job never points at its partition, so the array may
 * move. */
#include "kafka.h"
#include "base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { JOB_QUEUED = 0, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

struct part {
    char topic[256];
    int32_t partition;
    rs_window_job *head, *tail;
    int inflight; /* jobs on the list, whatever their state */
    int paused;
};

struct rs_window {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* a job was queued or ended, or the window stops */
    rs_window_ops ops;
    int per_partition;
    struct part *parts;
    size_t n_parts, cap_parts;
    rs_window_job *q_head, *q_tail;
    int running;
    int stopping, failed;
    unsigned long seq;
    uint64_t last_activity_ms;
};

rs_window *rs_window_new(int per_partition, const rs_window_ops *ops)
{
    rs_window *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->ops = *ops;
    w->per_partition = per_partition > 0 ? per_partition : 1;
    w->last_activity_ms = rs_now_ms();
    return w;
}

static void job_drop(rs_window *w, rs_window_job *j)
{
    if (w->ops.release)
        w->ops.release(w->ops.opaque, j->payload);
    free(j);
}

/* Drops the jobs of p and removes it from the array. */
static void part_forget(rs_window *w, struct part *p)
{
    for (rs_window_job *j = p->head, *next; j; j = next) {
        next = j->next_in_part;
        job_drop(w, j);
    }
    size_t i = (size_t)(p - w->parts);
    memmove(&w->parts[i], &w->parts[i + 1], (w->n_parts - i - 1) * sizeof *w->parts);
    w->n_parts--;
}

void rs_window_destroy(rs_window *w)
{
    if (!w)
        return;
    while (w->n_parts)
        part_forget(w, &w->parts[w->n_parts - 1]);
    free(w->parts);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static struct part *part_find(rs_window *w, const char *topic, int32_t partition, int create)
{
    for (size_t i = 0; i < w->n_parts; i++)
        if (w->parts[i].partition == partition && !strcmp(w->parts[i].topic, topic))
            return &w->parts[i];
    if (!create)
        return NULL;
    if (RS_GROW(w->parts, w->n_parts + 1, w->cap_parts))
        return NULL;
    struct part *p = &w->parts[w->n_parts++];
    memset(p, 0, sizeof *p);
    p->partition = partition;
    snprintf(p->topic, sizeof p->topic, "%s", topic);
    return p;
}

/* Stores past the done jobs at p's head and frees them; pauses or resumes p
 * by its window. Caller holds the lock. */
static void part_advance(rs_window *w, struct part *p)
{
    int64_t store = -1;
    while (p->head && p->head->state == JOB_DONE) {
        rs_window_job *j = p->head;
        store = j->offset + 1;
        p->head = j->next_in_part;
        if (!p->head)
            p->tail = NULL;
        p->inflight--;
        job_drop(w, j);
    }
    if (store >= 0 && w->ops.store)
        w->ops.store(w->ops.opaque, p->topic, p->partition, store);
    int want_pause = p->inflight >= w->per_partition;
    if (want_pause != p->paused) {
        if (w->ops.pause)
            w->ops.pause(w->ops.opaque, p->topic, p->partition, want_pause);
        p->paused = want_pause;
    }
}

static void advance_all(rs_window *w)
{
    for (size_t i = 0; i < w->n_parts; i++)
        part_advance(w, &w->parts[i]);
}

int rs_window_add(rs_window *w, const char *topic, int32_t partition, int64_t offset, void *payload)
{
    rs_window_job *j = calloc(1, sizeof *j);
    if (!j)
        return -1;
    j->payload = payload;
    snprintf(j->topic, sizeof j->topic, "%s", topic);
    j->partition = partition;
    j->offset = offset;
    atomic_init(&j->cancel, 0);
    atomic_init(&j->scan_stop, 0);
    pthread_mutex_lock(&w->lock);
    struct part *p = part_find(w, topic, partition, 1);
    if (!p) {
        pthread_mutex_unlock(&w->lock);
        free(j);
        return -1;
    }
    j->seq = ++w->seq;
    if (p->tail)
        p->tail->next_in_part = j;
    else
        p->head = j;
    p->tail = j;
    p->inflight++;
    if (w->q_tail)
        w->q_tail->next_queued = j;
    else
        w->q_head = j;
    w->q_tail = j;
    w->last_activity_ms = rs_now_ms();
    part_advance(w, p);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

rs_window_job *rs_window_take(rs_window *w)
{
    rs_window_job *j = NULL;
    pthread_mutex_lock(&w->lock);
    while (!w->q_head && !w->stopping && !w->failed)
        pthread_cond_wait(&w->cond, &w->lock);
    if (!w->failed && w->q_head) {
        j = w->q_head;
        w->q_head = j->next_queued;
        if (!w->q_head)
            w->q_tail = NULL;
        j->next_queued = NULL;
        j->state = JOB_RUNNING;
        w->running++;
    }
    pthread_mutex_unlock(&w->lock);
    return j;
}

void rs_window_finish(rs_window *w, rs_window_job *j, int done)
{
    pthread_mutex_lock(&w->lock);
    w->running--;
    w->last_activity_ms = rs_now_ms();
    j->state = done ? JOB_DONE : JOB_ABANDONED;
    advance_all(w);
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Unlinks the queued jobs that were asked to stop from the FIFO. */
static void unqueue_cancelled(rs_window *w)
{
    rs_window_job **pp = &w->q_head;
    w->q_tail = NULL;
    while (*pp) {
        if (atomic_load(&(*pp)->cancel)) {
            (*pp)->state = JOB_ABANDONED;
            *pp = (*pp)->next_queued;
            continue;
        }
        w->q_tail = *pp;
        pp = &(*pp)->next_queued;
    }
}

static int part_running(const rs_window *w, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < w->n_parts; i++)
        if (w->parts[i].partition == partition && !strcmp(w->parts[i].topic, topic))
            for (const rs_window_job *j = w->parts[i].head; j; j = j->next_in_part)
                if (j->state == JOB_RUNNING)
                    return 1;
    return 0;
}

void rs_window_revoke(rs_window *w, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&w->lock);
    struct part *p = part_find(w, topic, partition, 0);
    if (p) {
        for (rs_window_job *j = p->head; j; j = j->next_in_part) {
            atomic_store(&j->cancel, 1);
            atomic_store(&j->scan_stop, 1);
        }
        unqueue_cancelled(w);
        while (part_running(w, topic, partition))
            pthread_cond_wait(&w->cond, &w->lock);
        p = part_find(w, topic, partition, 0); /* the array may have moved meanwhile */
        part_advance(w, p);
        if (p->paused && w->ops.pause)
            w->ops.pause(w->ops.opaque, p->topic, p->partition, 0);
        part_forget(w, p);
    }
    pthread_mutex_unlock(&w->lock);
}

void rs_window_stop(rs_window *w)
{
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int rs_window_cancel_all(rs_window *w)
{
    int n = 0;
    pthread_mutex_lock(&w->lock);
    for (size_t i = 0; i < w->n_parts; i++)
        for (rs_window_job *j = w->parts[i].head; j; j = j->next_in_part) {
            n += j->state == JOB_RUNNING || j->state == JOB_QUEUED;
            atomic_store(&j->cancel, 1);
            atomic_store(&j->scan_stop, 1);
        }
    unqueue_cancelled(w);
    w->stopping = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return n;
}

void rs_window_fail(rs_window *w)
{
    pthread_mutex_lock(&w->lock);
    w->failed = 1;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int rs_window_busy(rs_window *w, int running_only)
{
    int n = 0;
    pthread_mutex_lock(&w->lock);
    if (running_only) {
        n = w->running;
    } else {
        for (size_t i = 0; i < w->n_parts; i++)
            for (const rs_window_job *j = w->parts[i].head; j; j = j->next_in_part)
                n += j->state == JOB_QUEUED || j->state == JOB_RUNNING;
    }
    pthread_mutex_unlock(&w->lock);
    return n;
}

uint64_t rs_window_last_activity(rs_window *w)
{
    pthread_mutex_lock(&w->lock);
    uint64_t t = w->last_activity_ms;
    pthread_mutex_unlock(&w->lock);
    return t;
}

void rs_window_advance(rs_window *w)
{
    pthread_mutex_lock(&w->lock);
    advance_all(w);
    pthread_mutex_unlock(&w->lock);
}
