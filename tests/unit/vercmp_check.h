/* vercmp_check.h - the checks shared by the unit tests of the version orders
 * (test_vercmp_<scheme>.c), all on the scheme S that each test's main() sets.
 *
 * - CMP(a, b, want) and INVALID(v) (dpkg, apk, rpm): one check each; CMP
 *   compares both ways round, INVALID wants compare to refuse v on either side
 *   and valid() to reject it; a failure names the line of the test.
 * - LT(a, b), EQ(a, b) and BAD(v) (semver, go, nuget): RS_CHECK_INT on
 *   cmp_rc(), both ways round; BAD compares v with VERCMP_VALID, "1.0.0" unless
 *   the test defines it before including this header.
 * - cmp(a, b), check_order(), check_rejected() and check_equal() (maven,
 *   pep440, rubygems): cmp checks that a failed compare leaves its result
 *   alone, then answers CMP_INVALID.
 * Everything is static: each test gets its own copy. */
#ifndef VERCMP_CHECK_H
#define VERCMP_CHECK_H

#include "base.h"
#include "rs_test.h"
#include "match.h"

/* What cmp() and cmp_rc() answer when compare refuses a version. */
#define CMP_INVALID 99

static const rs_version_scheme *S;

/* a <op> b, checked both ways round. */
static inline void check_cmp(const char *a, const char *b, int want, int line)
{
    int c = 99, rc = S->compare(a, b, &c);
    if (rc != 0 || c != want) {
        fprintf(stderr, "line %d: compare('%s', '%s') = rc %d cmp %d, want %d\n", line, a, b, rc, c,
                want);
        rs_test_failed++;
        return;
    }
    c = 99;
    rc = S->compare(b, a, &c);
    if (rc != 0 || c != -want) {
        fprintf(stderr, "line %d: compare('%s', '%s') = rc %d cmp %d, want %d\n", line, b, a, rc, c,
                -want);
        rs_test_failed++;
        return;
    }
    rs_test_passed++;
}
#define CMP(a, b, want) check_cmp(a, b, want, __LINE__)

static inline void check_invalid(const char *v, int line)
{
    int c = 42;
    if (S->compare(v, "1.0", &c) != RS_ERR_INVALID || S->compare("1.0", v, &c) != RS_ERR_INVALID ||
        c != 42 || S->valid(v)) {
        fprintf(stderr, "line %d: '%s' should be invalid\n", line, v ? v : "(null)");
        rs_test_failed++;
        return;
    }
    rs_test_passed++;
}
#define INVALID(v) check_invalid(v, __LINE__)

/* Returns the comparison of a and b, or CMP_INVALID (98 for another error)
 * when compare fails. */
static inline int cmp_rc(const char *a, const char *b)
{
    int c = 42;
    int rc = S->compare(a, b, &c);
    if (rc != 0)
        return rc == RS_ERR_INVALID ? CMP_INVALID : 98;
    return c < 0 ? -1 : c > 0;
}

#ifndef VERCMP_VALID
#define VERCMP_VALID "1.0.0"
#endif

#define LT(a, b)                                                                                   \
    do {                                                                                           \
        RS_CHECK_INT(cmp_rc(a, b), -1);                                                            \
        RS_CHECK_INT(cmp_rc(b, a), 1);                                                             \
    } while (0)
#define EQ(a, b)                                                                                   \
    do {                                                                                           \
        RS_CHECK_INT(cmp_rc(a, b), 0);                                                             \
        RS_CHECK_INT(cmp_rc(b, a), 0);                                                             \
    } while (0)
#define BAD(v)                                                                                     \
    do {                                                                                           \
        RS_CHECK_INT(S->valid(v), 0);                                                              \
        RS_CHECK_INT(cmp_rc(v, VERCMP_VALID), CMP_INVALID);                                        \
        RS_CHECK_INT(cmp_rc(VERCMP_VALID, v), CMP_INVALID);                                        \
    } while (0)

/* -1, 0, 1, or CMP_INVALID after checking that compare left its result untouched. */
static inline int cmp(const char *a, const char *b)
{
    int c = 42;
    if (S->compare(a, b, &c) != 0) {
        RS_CHECK_INT(c, 42);
        return CMP_INVALID;
    }
    return c < 0 ? -1 : c > 0;
}

/* v[0] < v[1] < ... < v[n-1]: every ordered pair, itself included. */
static inline void check_order(const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            RS_CHECK_INT(cmp(v[i], v[j]), i < j ? -1 : i > j ? 1 : 0);
}

/* Each of v refused by compare on either side of other, and by valid(). */
static inline void check_rejected(const char *const *v, size_t n, const char *other)
{
    for (size_t i = 0; i < n; i++) {
        RS_CHECK_INT(cmp(v[i], other), CMP_INVALID);
        RS_CHECK_INT(cmp(other, v[i]), CMP_INVALID);
        RS_CHECK_INT(S->valid(v[i]), 0);
    }
}

/* All of v equal, every ordered pair. */
static inline void check_equal(const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            RS_CHECK_INT(cmp(v[i], v[j]), 0);
}

#endif
