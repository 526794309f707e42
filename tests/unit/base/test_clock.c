/* test_clock.c - rs_clock_parse_rfc3339: exact epoch seconds for the forms
 * RFC 3339 allows, RS_ERR_INVALID for every form it rejects. */
#include "base.h"
#include "rs_test.h"

static void test_valid(void)
{
    struct {
        const char *s;
        int64_t want;
    } ok[] = {
        {"2024-01-02T03:04:05Z", 1704164645},
        {"2024-01-02T03:04:05z", 1704164645},
        {"2024-01-02t03:04:05Z", 1704164645},
        {"2024-01-02T03:04:05.5Z", 1704164645},         /* fraction dropped */
        {"2024-01-02T03:04:05.999999999Z", 1704164645}, /* truncated, not rounded */
        {"2024-01-02T03:04:05+00:00", 1704164645},
        {"2024-01-02T03:04:05-00:00", 1704164645},
        {"2024-01-02T03:04:05+01:00", 1704161045},
        {"2024-01-02T03:04:05.123+01:00", 1704161045},
        {"2024-01-02T03:04:05-05:30", 1704184445},
        {"2024-02-29T12:00:00Z", 1709208000}, /* leap year */
        {"2000-02-29T00:00:00Z", 951782400},  /* divisible by 400: leap */
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"0001-01-01T00:00:00Z", -62135596800}, /* reproducible builds' zero time */
        {"9999-12-31T23:59:59Z", 253402300799},
        {"2016-12-31T23:59:60Z", 1483228800}, /* a leap second: the next minute's first */
        {"2026-11-01T08:30:00.123456789Z", 1793521800},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t got = 12345;
        RS_CHECK_INT(rs_clock_parse_rfc3339(ok[i].s, &got), 0);
        if (got != ok[i].want)
            fprintf(stderr, "input: %s\n", ok[i].s);
        RS_CHECK_INT(got, ok[i].want);
    }
}

static void test_invalid(void)
{
    const char *bad[] = {
        "2024-13-01T00:00:00Z", /* month */
        "2024-00-01T00:00:00Z",
        "2024-04-31T00:00:00Z", /* day */
        "2024-01-00T00:00:00Z",
        "2024-01-32T00:00:00Z",
        "2023-02-29T00:00:00Z", /* not a leap year */
        "1900-02-29T00:00:00Z", /* divisible by 100, not by 400 */
        "2024-01-02T24:00:00Z", /* hour */
        "2024-01-02T23:60:00Z", /* minute */
        "2024-01-02T23:59:61Z", /* second */
        "2024-01-02T03:04:05",  /* missing offset */
        "2024-01-02T03:04:05.5",
        "2024-01-02T03:04:05Zjunk", /* trailing junk */
        "2024-01-02T03:04:05+01:00 ",
        "2024-01-02T03:04:05+01:000",
        "2024-01-02T03:04:05+0100", /* offset without ':' */
        "2024-01-02T03:04:05+01",
        "2024-01-02T03:04:05+24:00", /* offset hour */
        "2024-01-02T03:04:05+01:60", /* offset minute */
        "2024-01-02T03:04:05.Z",     /* '.' without digits */
        "2024-01-02 03:04:05Z",      /* space instead of T */
        "2024-1-02T03:04:05Z",       /* one-digit month */
        "2024- 1-02T03:04:05Z",
        "24-01-02T03:04:05Z",
        "+2024-01-02T03:04:05Z",
        "2024-01-02",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t got = 12345;
        int rc = rs_clock_parse_rfc3339(bad[i], &got);
        if (rc != RS_ERR_INVALID)
            fprintf(stderr, "input: '%s'\n", bad[i]);
        RS_CHECK_INT(rc, RS_ERR_INVALID);
        RS_CHECK_INT(got, 12345); /* untouched */
    }
    int64_t got = 12345;
    RS_CHECK_INT(rs_clock_parse_rfc3339(NULL, &got), RS_ERR_INVALID);
}

int main(void)
{
    test_valid();
    test_invalid();
    return RS_TEST_RESULT();
}
