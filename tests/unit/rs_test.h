/* rs_test.h - a tiny assert header for unit tests (after libuv's test/task.h).
 *
 * Each failed check prints the expression and both values and counts a
 * failure; RS_TEST_MAIN's return value is non-zero when anything failed, and
 * the last line printed is "N passed, N failed". RS_SKIP() exits 77. */
#ifndef RS_TEST_H
#define RS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rs_test_passed, rs_test_failed;

#define RS_CHECK(expr)                                                                           \
    do {                                                                                         \
        if (expr) {                                                                              \
            rs_test_passed++;                                                                    \
        } else {                                                                                 \
            rs_test_failed++;                                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #expr);             \
        }                                                                                        \
    } while (0)

#define RS_CHECK_INT(a, b)                                                                       \
    do {                                                                                         \
        long long rs_a_ = (long long)(a), rs_b_ = (long long)(b);                                \
        if (rs_a_ == rs_b_) {                                                                    \
            rs_test_passed++;                                                                    \
        } else {                                                                                 \
            rs_test_failed++;                                                                    \
            fprintf(stderr, "%s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b,       \
                    rs_a_, rs_b_);                                                               \
        }                                                                                        \
    } while (0)

#define RS_CHECK_STR(a, b)                                                                       \
    do {                                                                                         \
        const char *rs_a_ = (a), *rs_b_ = (b);                                                   \
        if ((rs_a_ == NULL && rs_b_ == NULL) ||                                                  \
            (rs_a_ != NULL && rs_b_ != NULL && strcmp(rs_a_, rs_b_) == 0)) {                     \
            rs_test_passed++;                                                                    \
        } else {                                                                                 \
            rs_test_failed++;                                                                    \
            fprintf(stderr, "%s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b,   \
                    rs_a_ ? rs_a_ : "(null)", rs_b_ ? rs_b_ : "(null)");                         \
        }                                                                                        \
    } while (0)

/* Stops the test at once when a precondition fails (later checks would crash). */
#define RS_REQUIRE(expr)                                                                         \
    do {                                                                                         \
        if (!(expr)) {                                                                           \
            fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__, #expr);                 \
            printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed + 1);                \
            exit(1);                                                                             \
        }                                                                                        \
    } while (0)

#define RS_SKIP(why)                                                                             \
    do {                                                                                         \
        printf("skipped: %s\n", why);                                                            \
        exit(77);                                                                                \
    } while (0)

#define RS_TEST_RESULT()                                                                         \
    (printf("%d passed, %d failed\n", rs_test_passed, rs_test_failed), rs_test_failed ? 1 : 0)

/* Path of a file under tests/data (RS_TEST_DATA set by ctest). */
static inline const char *rs_test_data(const char *rel, char *out, size_t out_size)
{
    const char *base = getenv("RS_TEST_DATA");
    snprintf(out, out_size, "%s/%s", base ? base : "tests/data", rel);
    return out;
}

#endif
