/* teststep.c - test-only stops at named steps (base.h, "teststep"): a test
 * names a step in REGSCAN_TEST_STOP_AT or REGSCAN_TEST_KILL_AT and the process
 * stops (SIGSTOP) or dies (SIGKILL) the moment it gets there. Compiled only
 * with RS_TEST_HOOKS (-DREGSCAN_TEST_HOOKS=ON); nothing of it is in a user's
 * build. */
#include "base.h"

#ifdef RS_TEST_HOOKS

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct trigger {
    char step[64];
    long nth; /* fire on this hit of the step (1: the first) */
    int sig;  /* SIGSTOP or SIGKILL; 0: no trigger */
};

static struct trigger trig;
static atomic_long hits;
static pthread_once_t trig_once = PTHREAD_ONCE_INIT;

/* "step" or "step:N" (N >= 1); anything else names no step. */
static void parse_trigger(const char *v, int sig)
{
    if (!v || !*v || trig.sig)
        return;
    size_t n = strcspn(v, ":");
    long nth = 1;
    if (v[n] == ':') {
        char *end = NULL;
        nth = strtol(v + n + 1, &end, 10);
        if (!end || *end || nth < 1)
            return;
    }
    if (n == 0 || n >= sizeof trig.step)
        return;
    memcpy(trig.step, v, n);
    trig.step[n] = '\0';
    trig.nth = nth;
    trig.sig = sig;
}

static void load_trigger(void)
{
    parse_trigger(getenv("REGSCAN_TEST_STOP_AT"), SIGSTOP);
    parse_trigger(getenv("REGSCAN_TEST_KILL_AT"), SIGKILL);
}

void rs_test_step(const char *step)
{
    pthread_once(&trig_once, load_trigger);
    if (!trig.sig || strcmp(step, trig.step) != 0)
        return;
    if (atomic_fetch_add(&hits, 1) + 1 != trig.nth)
        return;
    rs_log(RS_LOG_WARN, "test hook: process %d %s at step '%s'", (int)getpid(),
           trig.sig == SIGSTOP ? "stopped" : "killed", step);
    /* to this thread: it stops (or dies) right here, not after another thread
     * took a signal sent to the process; SIGSTOP then stops every thread */
    raise(trig.sig);
}

#else

typedef int rs_teststep_unused; /* ISO C wants a translation unit to declare something */

#endif
