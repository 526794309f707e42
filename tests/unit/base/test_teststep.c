/* test_teststep.c - the test hook (teststep.c), in children forked with the
 * trigger in their environment: REGSCAN_TEST_KILL_AT kills at the named step,
 * "step:N" only at its N-th hit, REGSCAN_TEST_STOP_AT stops the process (the
 * parent sees it stopped, then kills it); another step, or a malformed
 * trigger, does nothing. Built only with REGSCAN_TEST_HOOKS. */
#include "base.h"
#include "rs_test.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks a child with `var`=`value` that passes `step` `hits` times and then
 * exits 0; returns its wait status (a stopped child is killed after). */
static int run_child(const char *var, const char *value, const char *step, int hits)
{
    fflush(NULL);
    pid_t pid = fork();
    RS_REQUIRE(pid >= 0);
    if (pid == 0) {
        setenv(var, value, 1);
        for (int i = 0; i < hits; i++)
            rs_test_step(step);
        _exit(0);
    }
    int status = 0;
    RS_REQUIRE(waitpid(pid, &status, WUNTRACED) == pid);
    if (WIFSTOPPED(status)) {
        kill(pid, SIGKILL);
        int ignored;
        waitpid(pid, &ignored, 0);
    }
    return status;
}

static int killed(int status)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

static int exited_ok(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(void)
{
    RS_REQUIRE(rs_log_init("t", "text", "error") == 0); /* the hook's line is a warning */
    RS_CHECK(killed(run_child("REGSCAN_TEST_KILL_AT", "after_done", "after_done", 1)));
    RS_CHECK(exited_ok(run_child("REGSCAN_TEST_KILL_AT", "after_done", "after_publish", 3)));
    RS_CHECK(exited_ok(run_child("REGSCAN_TEST_KILL_AT", "download:3", "download", 2)));
    RS_CHECK(killed(run_child("REGSCAN_TEST_KILL_AT", "download:3", "download", 3)));
    RS_CHECK(exited_ok(run_child("REGSCAN_TEST_KILL_AT", "download:0", "download", 3)));
    RS_CHECK(exited_ok(run_child("REGSCAN_TEST_KILL_AT", "download:x", "download", 3)));
    RS_CHECK(exited_ok(run_child("REGSCAN_TEST_KILL_AT", "", "download", 3)));
    int st = run_child("REGSCAN_TEST_STOP_AT", "revoke", "revoke", 1);
    RS_CHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP);
    return RS_TEST_RESULT();
}
