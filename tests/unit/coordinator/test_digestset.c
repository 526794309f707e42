/* test_digestset.c - rs_digestset: exact membership over 100,000 digests,
 * duplicates, near misses, invalid input, clear and reuse. */
#include "digestset_int.h"
#include "base.h"
#include "rs_test.h"

#define N 100000

/* The i-th test digest: sha256 of the decimal text of i. */
static void digest_of(long i, char out[RS_DIGEST_SIZE])
{
    char text[32];
    int n = snprintf(text, sizeof text, "%ld", i);
    rs_sha256_digest(text, (size_t)n, out);
}

/* Adds N digests to `s`, which holds `base` others, and checks membership. */
static void test_many(rs_digestset *s, size_t base)
{
    char d[RS_DIGEST_SIZE];
    long added = 0, again = 0, errors = 0;
    for (long i = 0; i < N; i++) {
        int a = -1;
        digest_of(i, d);
        errors += rs_digestset_add(s, d, &a) != 0;
        added += a == 1;
    }
    RS_CHECK_INT(errors, 0);
    RS_CHECK_INT(added, N);
    RS_CHECK_INT(rs_digestset_count(s), base + N);
    /* every second one again: nothing new */
    for (long i = 0; i < N; i += 2) {
        int a = -1;
        digest_of(i, d);
        errors += rs_digestset_add(s, d, &a) != 0;
        again += a == 1;
    }
    RS_CHECK_INT(errors, 0);
    RS_CHECK_INT(again, 0);
    RS_CHECK_INT(rs_digestset_count(s), base + N);
    long in = 0, out = 0, near = 0;
    for (long i = 0; i < N; i++) {
        digest_of(i, d);
        in += rs_digestset_has(s, d);
        digest_of(N + i, d);
        out += rs_digestset_has(s, d);
        digest_of(i, d);
        d[RS_DIGEST_LEN - 1] = d[RS_DIGEST_LEN - 1] == '0' ? '1' : '0'; /* last hex digit */
        near += rs_digestset_has(s, d);
    }
    RS_CHECK_INT(in, N);
    RS_CHECK_INT(out, 0);
    RS_CHECK_INT(near, 0);
    digest_of(0, d);
    d[RS_DIGEST_LEN - 1] = '\0'; /* a prefix of a member */
    RS_CHECK_INT(rs_digestset_has(s, d), 0);
}

static void test_invalid(rs_digestset *s)
{
    char longer[RS_DIGEST_SIZE + 1];
    memset(longer, 'a', RS_DIGEST_LEN + 1);
    longer[RS_DIGEST_LEN + 1] = '\0';
    int a = -1;
    RS_CHECK_INT(rs_digestset_add(s, NULL, &a), RS_ERR_INVALID);
    RS_CHECK_INT(a, 0);
    RS_CHECK_INT(rs_digestset_add(s, "", NULL), RS_ERR_INVALID);
    RS_CHECK_INT(rs_digestset_add(s, longer, NULL), RS_ERR_INVALID);
    RS_CHECK_INT(rs_digestset_has(s, NULL), 0);
    RS_CHECK_INT(rs_digestset_has(s, ""), 0);
    RS_CHECK_INT(rs_digestset_has(s, longer), 0);
    longer[RS_DIGEST_LEN] = '\0'; /* exactly RS_DIGEST_LEN bytes: accepted */
    RS_CHECK_INT(rs_digestset_add(s, longer, &a), 0);
    RS_CHECK_INT(a, 1);
    RS_CHECK_INT(rs_digestset_has(s, longer), 1);
}

int main(void)
{
    rs_digestset *s = rs_digestset_new();
    RS_REQUIRE(s != NULL);
    RS_CHECK_INT(rs_digestset_count(s), 0);
    test_many(s, 0);
    rs_digestset_clear(s);
    RS_CHECK_INT(rs_digestset_count(s), 0);
    char d[RS_DIGEST_SIZE];
    digest_of(7, d);
    RS_CHECK_INT(rs_digestset_has(s, d), 0);
    test_invalid(s);
    RS_CHECK_INT(rs_digestset_count(s), 1);
    test_many(s, 1); /* reuse after clear */
    RS_CHECK_INT(rs_digestset_count(s), N + 1);
    rs_digestset_destroy(s);
    rs_digestset_destroy(NULL);
    return RS_TEST_RESULT();
}
