/* analyze.h - the sandboxed child `regscan-analyze`: one layer's compressed
 * bytes on stdin, its rs_layer_result as JSON on stdout, one error line on
 * stderr. The library holds the child's parts (arguments, confinement, the
 * test-only trigger); main.c runs them. It links only the index libraries:
 * no libcurl, librdkafka, hiredis or configuration (lint.link_deps). */
#ifndef RS_ANALYZE_H
#define RS_ANALYZE_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

/* AddressSanitizer reserves terabytes of virtual space: no RLIMIT_AS under it. */
#if defined(__SANITIZE_ADDRESS__)
#define RS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RS_ASAN 1
#endif
#endif

/* What the parent passes on the command line (rs_sandbox_analyze). */
typedef struct rs_analyze_args {
    const char *media_type;  /* NULL: detected from the bytes */
    rs_layer_limits limits;  /* analyzers: NULL (all) or `names` resolved; image: NULL */
    rs_index_budget image;   /* what is left of the image's budget (--limit max_image_*) */
    const char *names;       /* "dpkg,apk" from --analyzers; NULL: all */
    uint64_t memory_bytes;   /* RLIMIT_AS; 0: none */
    unsigned cpu_s;          /* RLIMIT_CPU; 0: none */
} rs_analyze_args;

/* Parses argv into a; RS_ERR_CONFIG naming the bad argument. */
int rs_analyze_parse_args(int argc, char **argv, rs_analyze_args *a, char *errstr,
                          size_t errstr_size);

/* The analyzers to run, NULL-terminated, malloc'd (free it; the analyzers are
 * static): `names` resolved against rs_analyzers_all() (NULL: all of them),
 * plus the test-only trigger in RS_TEST_HOOKS builds. RS_ERR_CONFIG for an
 * unknown name, RS_ERR_INTERNAL when out of memory. */
int rs_analyze_analyzers(const char *names, const rs_analyzer ***out, char *errstr,
                         size_t errstr_size);

/* Analyses a small built-in layer with `limits` (and its analyzers), so
 * that what the analyzers set up once is set up before confinement. */
int rs_analyze_warmup(const rs_layer_limits *limits, char *errstr, size_t errstr_size);

/* Confines the calling process for good: resource limits (address space,
 * CPU time, no new files, no file writes, no core), no new privileges, then
 * a seccomp filter allowing only reads of fd 0, writes to fds 1 and 2, memory
 * and exit. Call after everything is loaded, before the first byte is read.
 * Returns 0 or RS_ERR_INTERNAL naming the step that failed. */
int rs_analyze_confine(uint64_t memory_bytes, unsigned cpu_s, char *errstr, size_t errstr_size);

#ifdef RS_TEST_HOOKS
/* The test-only analyzer that acts on "/regscan-test/crash" ("segv",
 * "socket", "exec", "abort", "spin", "alloc"). */
extern const rs_analyzer rs_analyze_test_trigger;
#endif

#endif
