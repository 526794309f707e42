/* test_window.c - the consumer's in-flight window (common/kafka/window.c): exact
 * offsets, pauses and resumes for hand-made sequences, a revoke that waits
 * for running jobs and resumes a paused partition, and thousands of requests
 * over four partitions finished in random order by four job threads while a
 * fifth adds them (run under ThreadSanitizer too: label tsan). */
#include "rs_test.h"
#include "kafka.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

/* What the window asked for, in order: "store p0 3", "pause p0", ... */
struct log {
    pthread_mutex_t lock;
    char lines[64][48];
    int n;
    int released;
};

/* One line: "<what> <topic>/<partition>" and " <v>" when v >= 0. */
static void log_add(struct log *l, const char *what, const char *topic, int32_t p, long long v)
{
    pthread_mutex_lock(&l->lock);
    if (l->n < 64) {
        if (v >= 0)
            snprintf(l->lines[l->n++], sizeof l->lines[0], "%s %s/%d %lld", what, topic, p, v);
        else
            snprintf(l->lines[l->n++], sizeof l->lines[0], "%s %s/%d", what, topic, p);
    }
    pthread_mutex_unlock(&l->lock);
}

static void op_store(void *o, const char *topic, int32_t p, int64_t next)
{
    log_add(o, "store", topic, p, (long long)next);
}

static void op_pause(void *o, const char *topic, int32_t p, int pause)
{
    log_add(o, pause ? "pause" : "resume", topic, p, -1);
}

static void op_release(void *o, void *payload)
{
    struct log *l = o;
    (void)payload;
    pthread_mutex_lock(&l->lock);
    l->released++;
    pthread_mutex_unlock(&l->lock);
}

/* The log as one string, lines joined by ", ", then cleared. */
static const char *log_take(struct log *l)
{
    static char out[2048];
    size_t len = 0;
    out[0] = '\0';
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->n && len < sizeof out; i++) {
        int w = snprintf(out + len, sizeof out - len, "%s%s", i ? ", " : "", l->lines[i]);
        len += w > 0 ? (size_t)w : 0;
    }
    l->n = 0;
    pthread_mutex_unlock(&l->lock);
    return out;
}

static rs_window *window(struct log *l, int per)
{
    memset(l, 0, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    rs_window_ops ops = {.opaque = l, .store = op_store, .pause = op_pause, .release = op_release};
    rs_window *w = rs_window_new(per, &ops);
    RS_REQUIRE(w != NULL);
    return w;
}

/* Offsets move only past what is done, in order; the window pauses and resumes. */
static void test_sequence(void)
{
    struct log l;
    rs_window *w = window(&l, 2);
    RS_CHECK_INT(rs_window_add(w, "t", 0, 10, NULL), 0);
    RS_CHECK_STR(log_take(&l), "");
    RS_CHECK_INT(rs_window_add(w, "t", 0, 11, NULL), 0);
    RS_CHECK_STR(log_take(&l), "pause t/0");
    RS_CHECK_INT(rs_window_add(w, "t", 1, 5, NULL), 0);
    RS_CHECK_INT(rs_window_busy(w, 0), 3);
    rs_window_job *a = rs_window_take(w), *b = rs_window_take(w), *c = rs_window_take(w);
    RS_REQUIRE(a && b && c);
    RS_CHECK_INT(a->offset, 10);
    RS_CHECK_INT(b->offset, 11);
    RS_CHECK_INT(c->offset, 5);
    RS_CHECK_INT(a->seq, 1);
    RS_CHECK_INT(c->seq, 3);
    RS_CHECK_INT(rs_window_busy(w, 1), 3);
    rs_window_finish(w, b, 1); /* 11 done before 10: nothing to store yet */
    RS_CHECK_STR(log_take(&l), "");
    rs_window_finish(w, a, 1);
    RS_CHECK_STR(log_take(&l), "store t/0 12, resume t/0");
    RS_CHECK_INT(l.released, 2);
    rs_window_finish(w, c, 0); /* abandoned: the offset of t/1 never moves past it */
    RS_CHECK_STR(log_take(&l), "");
    RS_CHECK_INT(rs_window_add(w, "t", 1, 6, NULL), 0);
    rs_window_job *d = rs_window_take(w);
    RS_REQUIRE(d != NULL);
    rs_window_finish(w, d, 1);
    RS_CHECK_STR(log_take(&l), "pause t/1");
    RS_CHECK_INT(rs_window_busy(w, 0), 0);
    /* the revoke forgets it and resumes the paused partition: it may come back */
    rs_window_revoke(w, "t", 1);
    RS_CHECK_STR(log_take(&l), "resume t/1");
    RS_CHECK_INT(l.released, 4);
    rs_window_revoke(w, "t", 9); /* unknown: nothing */
    RS_CHECK_STR(log_take(&l), "");
    RS_CHECK_INT(rs_window_add(w, "t", 1, 6, NULL), 0); /* redelivered where it stopped */
    rs_window_stop(w);
    d = rs_window_take(w); /* stopping: what is queued is still handed out */
    RS_REQUIRE(d != NULL);
    RS_CHECK_INT(d->offset, 6);
    rs_window_finish(w, d, 1);
    RS_CHECK_STR(log_take(&l), "store t/1 7");
    RS_CHECK(rs_window_take(w) == NULL);
    rs_window_destroy(w);
    pthread_mutex_destroy(&l.lock);
}

/* cancel_all: queued jobs are dropped unstarted, running ones asked to stop. */
static void test_cancel_all(void)
{
    struct log l;
    rs_window *w = window(&l, 4);
    for (int i = 0; i < 3; i++)
        RS_CHECK_INT(rs_window_add(w, "t", 0, i, NULL), 0);
    rs_window_job *a = rs_window_take(w);
    RS_REQUIRE(a != NULL);
    RS_CHECK_INT(rs_window_cancel_all(w), 3);
    RS_CHECK_INT(atomic_load(&a->cancel), 1);
    RS_CHECK_INT(atomic_load(&a->scan_stop), 1);
    RS_CHECK(rs_window_take(w) == NULL);
    RS_CHECK_INT(rs_window_busy(w, 0), 1);
    rs_window_finish(w, a, 0);
    RS_CHECK_INT(rs_window_busy(w, 0), 0);
    RS_CHECK_STR(log_take(&l), "");
    rs_window_destroy(w);
    RS_CHECK_INT(l.released, 3);
    /* fail: job threads return at once, even with work queued */
    w = window(&l, 4);
    RS_CHECK_INT(rs_window_add(w, "t", 0, 0, NULL), 0);
    rs_window_fail(w);
    RS_CHECK(rs_window_take(w) == NULL);
    rs_window_destroy(w);
    RS_CHECK_INT(l.released, 1);
}

/* ---- a revoke while jobs of the partition run ---- */

struct runner {
    rs_window *w;
    atomic_int saw_cancel;
};

static void *run_until_cancelled(void *arg)
{
    struct runner *r = arg;
    rs_window_job *j = rs_window_take(r->w);
    if (!j)
        return NULL;
    while (!atomic_load(&j->cancel))
        usleep(1000);
    atomic_fetch_add(&r->saw_cancel, 1);
    rs_window_finish(r->w, j, 0);
    return NULL;
}

static void test_revoke_waits(void)
{
    struct log l;
    rs_window *w = window(&l, 2);
    for (int i = 0; i < 3; i++)
        RS_CHECK_INT(rs_window_add(w, "t", 0, 100 + i, NULL), 0);
    RS_CHECK_STR(log_take(&l), "pause t/0");
    struct runner r = {.w = w};
    atomic_init(&r.saw_cancel, 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        RS_REQUIRE(pthread_create(&t[i], NULL, run_until_cancelled, &r) == 0);
    while (rs_window_busy(w, 1) < 2)
        usleep(1000);
    rs_window_revoke(w, "t", 0); /* returns once both have finished */
    RS_CHECK_INT(atomic_load(&r.saw_cancel), 2);
    RS_CHECK_INT(rs_window_busy(w, 0), 0);
    RS_CHECK_STR(log_take(&l), "resume t/0");
    RS_CHECK_INT(l.released, 3);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    rs_window_destroy(w);
}

/* ---- many requests, four job threads, finished in random order ---- */

enum { PARTS = 4, PER_PART = 1500, WINDOW = 4 };

struct shared {
    rs_window *w;
    atomic_int done[PARTS][PER_PART]; /* set before a job is finished */
    pthread_mutex_t lock;
    int64_t stored[PARTS]; /* the last offset stored */
    int bad_store, bad_pause, stores, inflight_max;
    int paused[PARTS];
};

static void s_store(void *o, const char *topic, int32_t p, int64_t next)
{
    struct shared *s = o;
    (void)topic;
    int bad = next <= s->stored[p] || next > PER_PART;
    for (int64_t k = s->stored[p] < 0 ? 0 : s->stored[p]; !bad && k < next; k++)
        bad = !atomic_load(&s->done[p][k]); /* every request before it is done */
    pthread_mutex_lock(&s->lock);
    s->bad_store += bad;
    s->stores++;
    s->stored[p] = next;
    pthread_mutex_unlock(&s->lock);
}

static void s_pause(void *o, const char *topic, int32_t p, int pause)
{
    struct shared *s = o;
    (void)topic;
    pthread_mutex_lock(&s->lock);
    s->bad_pause += s->paused[p] == pause; /* only changes are reported */
    s->paused[p] = pause;
    pthread_mutex_unlock(&s->lock);
}

static void *s_job_thread(void *arg)
{
    struct shared *s = arg;
    unsigned seed = (unsigned)(uintptr_t)&seed;
    rs_window_job *j;
    while ((j = rs_window_take(s->w))) {
        usleep((unsigned)rand_r(&seed) % 200);
        atomic_store(&s->done[j->partition][j->offset], 1);
        rs_window_finish(s->w, j, 1);
    }
    return NULL;
}

static void *s_poll_thread(void *arg)
{
    struct shared *s = arg;
    for (int k = 0; k < PER_PART; k++)
        for (int p = 0; p < PARTS; p++) {
            /* the consumer delivers nothing of a paused partition */
            for (;;) {
                pthread_mutex_lock(&s->lock);
                int paused = s->paused[p];
                pthread_mutex_unlock(&s->lock);
                if (!paused)
                    break;
                usleep(50);
            }
            if (rs_window_add(s->w, "topic", p, k, NULL) != 0)
                return NULL;
        }
    return NULL;
}

static void test_threads(void)
{
    static struct shared s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    for (int p = 0; p < PARTS; p++)
        s.stored[p] = -1;
    rs_window_ops ops = {.opaque = &s, .store = s_store, .pause = s_pause};
    s.w = rs_window_new(WINDOW, &ops);
    RS_REQUIRE(s.w != NULL);
    pthread_t jobs[4], poll;
    for (int i = 0; i < 4; i++)
        RS_REQUIRE(pthread_create(&jobs[i], NULL, s_job_thread, &s) == 0);
    RS_REQUIRE(pthread_create(&poll, NULL, s_poll_thread, &s) == 0);
    pthread_join(poll, NULL);
    while (rs_window_busy(s.w, 0) > 0)
        usleep(1000);
    rs_window_stop(s.w);
    for (int i = 0; i < 4; i++)
        pthread_join(jobs[i], NULL);
    RS_CHECK_INT(s.bad_store, 0);
    RS_CHECK_INT(s.bad_pause, 0);
    for (int p = 0; p < PARTS; p++) {
        RS_CHECK_INT(s.stored[p], PER_PART); /* everything done: stored to the end */
        RS_CHECK_INT(s.paused[p], 0);
    }
    RS_CHECK(s.stores >= PARTS);
    rs_window_destroy(s.w);
    pthread_mutex_destroy(&s.lock);
}

int main(void)
{
    test_sequence();
    test_cancel_all();
    test_revoke_waits();
    test_threads();
    printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed);
    return rs_test_failed ? 1 : 0;
}
