/* test_grow.c - RS_GROW: the exact capacities of git's alloc_nr, need beyond
 * the next step, no realloc when there is room, the overflow cases that
 * leave the array as it was (no huge realloc is attempted: ASan would abort),
 * and elements kept across growths. */
#include "base.h"
#include "rs_test.h"

static void test_capacities(void)
{
    RS_CHECK_INT(rs_grow_capacity(0, 1, 8), 24);
    RS_CHECK_INT(rs_grow_capacity(24, 25, 8), 60);
    RS_CHECK_INT(rs_grow_capacity(60, 61, 8), 114);
    RS_CHECK_INT(rs_grow_capacity(114, 115, 8), 195);
    RS_CHECK_INT(rs_grow_capacity(0, 100, 8), 100);                 /* need beyond the step */
    RS_CHECK_INT(rs_grow_capacity(1, 2, 1), 25);                    /* odd: (1 + 16) * 3 / 2 */
    RS_CHECK_INT(rs_grow_capacity(0, SIZE_MAX / 8 + 1, 8), 0);      /* need * elem overflows */
    RS_CHECK(rs_grow_capacity(0, SIZE_MAX / 8, 8) == SIZE_MAX / 8); /* fits, just */
    /* the step would overflow: exactly need */
    RS_CHECK(rs_grow_capacity(SIZE_MAX - 20, SIZE_MAX - 19, 1) == SIZE_MAX - 19);
    RS_CHECK(rs_grow_capacity(SIZE_MAX / 3 * 2, SIZE_MAX / 3 * 2 + 1, 1) == SIZE_MAX / 3 * 2 + 1);
    RS_CHECK(rs_grow_capacity(SIZE_MAX / 2, SIZE_MAX / 2 + 1, 1) ==
             SIZE_MAX / 2 + 16 + (SIZE_MAX / 2 + 16) / 2);
}

static void test_grow(void)
{
    long *v = NULL;
    size_t cap = 0;
    int failures = 0;
    RS_CHECK_INT(RS_GROW(v, 0, cap), 0);
    RS_CHECK(v == NULL);
    RS_CHECK_INT(cap, 0);
    size_t growths = 0, last = 0;
    for (size_t i = 0; i < 1000; i++) {
        failures += RS_GROW(v, i + 1, cap) != 0;
        growths += cap != last;
        last = cap;
        v[i] = (long)i * 7;
    }
    RS_CHECK_INT(failures, 0);
    RS_CHECK_INT(cap, 1180); /* 24, 60, 114, 195, 316, 498, 771, 1180 */
    RS_CHECK_INT(growths, 8);
    long sum = 0;
    for (size_t i = 0; i < 1000; i++)
        sum += v[i] == (long)i * 7;
    RS_CHECK_INT(sum, 1000);
    long *before = v;
    RS_CHECK_INT(RS_GROW(v, 5, cap), 0); /* room: nothing moves */
    RS_CHECK(v == before);
    RS_CHECK_INT(cap, 1180);
    free(v);
}

static void test_overflow(void)
{
    long *v = NULL;
    size_t cap = 0;
    RS_CHECK_INT(RS_GROW(v, 3, cap), 0);
    RS_CHECK_INT(cap, 24);
    long *before = v;
    RS_CHECK_INT(RS_GROW(v, SIZE_MAX / sizeof *v + 1, cap), RS_ERR_INTERNAL);
    RS_CHECK(v == before);
    RS_CHECK_INT(cap, 24);
    RS_CHECK_INT(RS_GROW(v, SIZE_MAX, cap), RS_ERR_INTERNAL);
    RS_CHECK(v == before);
    RS_CHECK_INT(cap, 24);
    RS_CHECK_INT(v[0] = 1, 1); /* still owned and writable */
    free(v);
}

int main(void)
{
    test_capacities();
    test_grow();
    test_overflow();
    return RS_TEST_RESULT();
}
