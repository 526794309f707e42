/* test_json.c - rs_json_each: optional, bounded arrays decoded item by item,
 * errors naming what failed and where. */
#include "rs_test.h"
#include "base.h"

/* Sums integer items; a string item is invalid, the item "oom" is out of memory. */
static int sum_item(const json_t *v, void *ctx)
{
    if (json_is_string(v) && strcmp(json_string_value(v), "oom") == 0)
        return RS_ERR_INTERNAL;
    if (!json_is_integer(v))
        return 1;
    *(long long *)ctx += json_integer_value(v);
    return 0;
}

static int each(const char *text, size_t max, long long *sum, char *err, size_t errsz)
{
    json_t *a = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    RS_REQUIRE(!text || a);
    int rc = rs_json_each(a, max, "numbers", sum_item, sum, err, errsz);
    json_decref(a);
    return rc;
}

int main(void)
{
    char err[128] = "";
    long long sum = 0;
    RS_CHECK_INT(each(NULL, 3, &sum, err, sizeof err), 0);
    RS_CHECK_INT(each("null", 3, &sum, err, sizeof err), 0);
    RS_CHECK_INT(each("[]", 3, &sum, err, sizeof err), 0);
    RS_CHECK_INT(sum, 0);
    RS_CHECK_INT(each("[1, 2, 3]", 3, &sum, err, sizeof err), 0);
    RS_CHECK_INT(sum, 6);

    RS_CHECK_INT(each("[1, 2, 3, 4]", 3, &sum, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "invalid numbers: not an array of at most 3");
    RS_CHECK_INT(each("{\"a\": 1}", 3, &sum, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "invalid numbers: not an array of at most 3");
    RS_CHECK_INT(each("7", 3, &sum, err, sizeof err), RS_ERR_INVALID);

    sum = 0;
    RS_CHECK_INT(each("[1, \"x\", 5]", 3, &sum, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "invalid numbers: item 1");
    RS_CHECK_INT(sum, 1); /* items before the bad one were taken, none after */
    RS_CHECK_INT(each("[\"oom\"]", 3, &sum, err, sizeof err), RS_ERR_INTERNAL);
    RS_CHECK_STR(err, "out of memory reading numbers");
    return RS_TEST_RESULT();
}
