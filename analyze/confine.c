/* confine.c - the child's confinement: resource limits, no new privileges
 * and a seccomp filter (libseccomp) that kills the process on any system
 * call outside a short list. It does not load anything: the caller loads
 * first (analyzers, Hyperscan's database), then confines, then reads. */
#include "analyze.h"
#include "base.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

static int set_limit(int what, rlim_t v)
{
    /* CPU: SIGXCPU at the soft limit; the hard one (SIGKILL) a second later
     * for a process that would ignore it (the kernel sends only SIGKILL when
     * both are reached at once) */
    struct rlimit rl = {v, what == RLIMIT_CPU ? v + 1 : v};
    return setrlimit(what, &rl);
}

/* Address space (not under AddressSanitizer, whose shadow memory reserves
 * terabytes of virtual space), CPU seconds (SIGXCPU at the limit), no file
 * descriptors past 0-2, no bytes written to files (pipes are not files),
 * no core dump. */
static int limits(uint64_t memory_bytes, unsigned cpu_s, char *errstr, size_t errsz)
{
#ifndef RS_ASAN
    if (memory_bytes && set_limit(RLIMIT_AS, (rlim_t)memory_bytes))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot limit the address space: %s",
                       strerror(errno));
#else
    (void)memory_bytes;
#endif
    if (cpu_s && set_limit(RLIMIT_CPU, (rlim_t)cpu_s))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot limit CPU time: %s",
                       strerror(errno));
    if (set_limit(RLIMIT_NOFILE, 3) || set_limit(RLIMIT_FSIZE, 0) || set_limit(RLIMIT_CORE, 0))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot set resource limits: %s",
                       strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot set no_new_privs: %s",
                       strerror(errno));
    return 0;
}

#define ALLOW(name) seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), 0)

/* The allow list; every other call kills the process (SIGSYS). */
static int rules(scmp_filter_ctx ctx)
{
    int rc = 0;
    /* the pipes: bytes in on 0, the result out on 1, the error line on 2 */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1, SCMP_A0(SCMP_CMP_EQ, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 1));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 2));
    /* memory: malloc's heap and its large blocks, realloc of large blocks,
     * free's trimming; mprotect for glibc's heap growth past the first arena */
    rc |= ALLOW(brk) | ALLOW(munmap) | ALLOW(mremap) | ALLOW(madvise);
    /* never executable memory: nothing the child runs is loaded or made after
     * confinement, so code injected through a parser bug cannot be mapped to run */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    /* glibc's qsort asks sysinfo for the physical memory before it sorts a large array
     * (sysconf(_SC_PHYS_PAGES)); it reads counters, no resource */
    rc |= ALLOW(sysinfo);
    /* the sanitizers' runtimes (ASan, UBSan) check the alternate signal stack at exit;
     * it touches only this process' own signal delivery */
    rc |= ALLOW(sigaltstack);
    /* the end, and a return from a signal handler (sanitizers install some) */
    rc |= ALLOW(exit) | ALLOW(exit_group) | ALLOW(rt_sigreturn);
    /* abort() (a failed assertion in a library) must end as SIGABRT, not as
     * SIGSYS: it blocks signals and sends SIGABRT to this very process */
    rc |= ALLOW(rt_sigprocmask) | ALLOW(getpid) | ALLOW(gettid);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()),
                           SCMP_A2(SCMP_CMP_EQ, SIGABRT));
    return rc;
}

int rs_analyze_confine(uint64_t memory_bytes, unsigned cpu_s, char *errstr, size_t errsz)
{
    int rc = limits(memory_bytes, cpu_s, errstr, errsz);
    if (rc)
        return rc;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot create the seccomp filter");
    if (rules(ctx) != 0) {
        seccomp_release(ctx);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot add the seccomp rules");
    }
    int lrc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (lrc)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot load the seccomp filter: %s",
                       strerror(-lrc));
    return 0;
}
