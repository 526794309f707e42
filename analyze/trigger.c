/* trigger.c - test builds only (RS_TEST_HOOKS): an analyzer that makes the
 * child misbehave on purpose when a layer holds "/regscan-test/crash", so
 * that tests can show what the sandbox does with a crash, a forbidden system
 * call, executable memory, an abort, an endless loop and an allocation past
 * the limit. */
#include "analyze.h"
#include "base.h"

#ifdef RS_TEST_HOOKS
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

static int wants(const char *path)
{
    return !strcmp(path, "/regscan-test/crash");
}

/* Allocates and touches 64 MiB blocks until malloc fails (RLIMIT_AS); at
 * most 4 GiB, 256 MiB under AddressSanitizer (which has no RLIMIT_AS). */
static int alloc_all(char *errstr, size_t errsz)
{
#ifdef RS_ASAN
    size_t max_blocks = 4;
#else
    size_t max_blocks = 64;
#endif
    for (size_t i = 0; i < max_blocks; i++) {
        char *p = malloc((size_t)64 << 20);
        if (!p)
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        memset(p, 1, (size_t)64 << 20); /* kept: the process ends soon */
    }
    return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory (test cap)");
}

/* A store through a null pointer, uninstrumented: the sanitizers would report
 * it themselves (and need system calls the filter forbids) instead of letting
 * SIGSEGV end the process as it does in a build for users. */
__attribute__((no_sanitize("address", "undefined"))) static void segv(void)
{
    volatile int *volatile null = NULL;
    *null = 1;
}

static int parse(const char *path, const char *data, size_t len, rs_analysis *out, char *errstr,
                 size_t errsz)
{
    (void)path;
    (void)out;
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
        len--;
    volatile unsigned long spin = 0;
    if (len == 4 && !memcmp(data, "segv", 4))
        segv();
    else if (len == 6 && !memcmp(data, "socket", 6))
        return socket(AF_INET, SOCK_STREAM, 0) < 0 ? RS_ERR_INTERNAL : 0;
    else if (len == 4 && !memcmp(data, "exec", 4))
        return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
                       MAP_FAILED
                   ? RS_ERR_INTERNAL
                   : 0;
    else if (len == 5 && !memcmp(data, "abort", 5))
        abort();
    else if (len == 4 && !memcmp(data, "spin", 4))
        for (;;)
            spin++;
    else if (len == 5 && !memcmp(data, "alloc", 5))
        return alloc_all(errstr, errsz);
    return 0;
}

const rs_analyzer rs_analyze_test_trigger = {
    RS_ANALYZER_ID("regscan-test-trigger", 1),
    .wants = wants,
    .max_file_size = 64,
    .parse = parse,
};
#endif
