/* retry.c - steps that Redis or Kafka could not take are tried again within
 * the outage budget (DESIGN.md §6); past it, or for a failure that means the
 * worker cannot go on, the worker stops for good. */
#include "base.h"
#include "worker_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void worker_set_fatal(struct worker *w, int rc, const char *msg)
{
    pthread_mutex_lock(&w->lock);
    if (!atomic_load(&w->fatal)) {
        snprintf(w->fatal_msg, sizeof w->fatal_msg, "%s", msg);
        w->fatal_rc = rc;
        atomic_store(&w->fatal, 1);
    }
    pthread_mutex_unlock(&w->lock);
    rs_window_fail(w->win);
}

/* Sleeps ms milliseconds, waking early when the job is cancelled or the
 * worker stops for good. */
void worker_nap(struct worker *w, const job_t *jb, unsigned ms)
{
    while (ms > 0 && !(jb && atomic_load(&jb->cancel)) && !atomic_load(&w->fatal)) {
        unsigned step = ms < 100 ? ms : 100;
        usleep(step * 1000u);
        ms -= step;
    }
}

/* 1 when the step that returned rc is to be tried again (after a pause);
 * 0 for any other result, past the budget, or once the job was cancelled. */
int worker_backoff_again(struct worker *w, const job_t *jb, struct backoff *b, int rc)
{
    if (!rs_err_is_infra(rc))
        return 0;
    uint64_t now = rs_now_ms();
    if (!b->deadline) {
        b->deadline = now + (uint64_t)w->o->outage_budget_s * 1000u;
        b->delay_ms = 200;
        b->seed = (unsigned)now ^ (unsigned)(uintptr_t)b;
    }
    if (now >= b->deadline || (jb && atomic_load(&jb->cancel)) || atomic_load(&w->fatal))
        return 0;
    unsigned d = b->delay_ms / 2 + (unsigned)rand_r(&b->seed) % (b->delay_ms / 2 + 1);
    if (now + d > b->deadline)
        d = (unsigned)(b->deadline - now);
    worker_nap(w, jb, d);
    b->delay_ms = b->delay_ms >= 5000 ? 10000 : b->delay_ms * 2;
    return 1;
}
