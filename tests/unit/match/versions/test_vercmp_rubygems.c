/* test_vercmp_rubygems.c - the RubyGems order against rubygems' own
 * test_gem_version.rb and the segment rules of Gem::Version. */
#include "vercmp_check.h"

/* test_semver's chain (the valid ones) and prereleases around releases, ascending:
 * "1.0.0-alpha" is 1.pre.alpha, above 1.a and 1.b. */
static const char *const order[] = {"0.a",
                                    "0.b",
                                    "0.0.1",
                                    "1.0.a",
                                    "1.0.a9",
                                    "1.0.a10",
                                    "1.0.b",
                                    "1.0.0-alpha",
                                    "1.0.0-alpha.1",
                                    "1.0.0-beta.2",
                                    "1.0.0-beta.11",
                                    "1.0.0-rc.1",
                                    "1.0.0",
                                    "1.0.1",
                                    "1.8.2.A",
                                    "1.8.2.a",
                                    "1.8.2.a9",
                                    "1.8.2.a10",
                                    "1.8.2.b",
                                    "1.8.2",
                                    "1.9",
                                    "1.10",
                                    "22.1.50.0.d",
                                    "22.1.50",
                                    "123456789012345678901234567890"};

int main(void)
{
    S = rs_version_scheme_find("rubygems");
    RS_REQUIRE(S != NULL);
    RS_CHECK(rs_version_scheme_for_ecosystem("RubyGems") == S);

    check_order(order, sizeof order / sizeof order[0]);

    /* test_spaceship and test_equals2 / test_initialize */
    RS_CHECK_INT(cmp("1.0", "1.0.0"), 0);
    RS_CHECK_INT(cmp("1.0", "1.0.a"), 1);
    RS_CHECK_INT(cmp("1.8.2", "0.0.0"), 1);
    RS_CHECK_INT(cmp("1.8.2", "1.8.2.a"), 1);
    RS_CHECK_INT(cmp("1.8.2.b", "1.8.2.a"), 1);
    RS_CHECK_INT(cmp("1.8.2.a", "1.8.2"), -1);
    RS_CHECK_INT(cmp("1.8.2.a10", "1.8.2.a9"), 1);
    RS_CHECK_INT(cmp("", "0"), 0);
    RS_CHECK_INT(cmp("   ", "0.0"), 0);
    RS_CHECK_INT(cmp("1.2.b1", "1.2.b.1"), 0);
    RS_CHECK_INT(cmp("1.2", "1.3"), -1);
    RS_CHECK_INT(cmp("1.0 ", "1.0"), 0);
    RS_CHECK_INT(cmp(" 1.0 ", "1.0"), 0);
    RS_CHECK_INT(cmp("\n1.0\n", "1.0"), 0);
    RS_CHECK_INT(cmp("\v1.0\f\r", "1"), 0);

    /* segment rules: '-' is ".pre.", trailing zeros of the numeric part drop */
    RS_CHECK_INT(cmp("1-1", "1.pre.1"), 0);
    RS_CHECK_INT(cmp("1-a", "1.pre.a"), 0);
    RS_CHECK_INT(cmp("1.a-b", "1.a.pre.b"), 0);
    RS_CHECK_INT(cmp("1--", "1.pre.pre"), 0);
    RS_CHECK_INT(cmp("1.0.a", "1.a"), 0);
    RS_CHECK_INT(cmp("1.0.0.a.0", "1.a"), 0);
    RS_CHECK_INT(cmp("0.0.a", "0.a"), 0);
    RS_CHECK_INT(cmp("1.a.1", "1.a"), 1);
    RS_CHECK_INT(cmp("1.0.1", "1.0.0.1"), 1);
    RS_CHECK_INT(cmp("1.01", "1.1"), 0);
    RS_CHECK_INT(cmp("1.A", "1.a"), -1);    /* strings are case-sensitive */
    RS_CHECK_INT(cmp("1.rc1", "1-rc1"), 1); /* "pre" < "rc" */
    RS_CHECK_INT(cmp("1.b", "1.aa"), 1);
    RS_CHECK_INT(cmp("1.a", "1.aa"), -1);
    RS_CHECK_INT(cmp("2.a", "1.9"), 1);

    static const char *const bad[] = {
        "junk",
        "1.0\n2.0",
        "a.1",
        ".1",
        "1.",
        "1-",
        "1.a-",
        "1-a..b",
        "1.-1",
        "-1",
        "1..0",
        "1.0.0-rc.1+build.1",
        "1.0+1",
        "v1.0",
        "1 .0",
        "1_0",
        "1.\xc3\xa9",
        "\xc2\xa0"
        "1",
        "1.0\x01",
    };
    check_rejected(bad, sizeof bad / sizeof bad[0], "1.0");
    RS_CHECK_INT(cmp(NULL, "1"), CMP_INVALID);
    RS_CHECK_INT(S->valid(NULL), 0);
    RS_CHECK_INT(S->valid("1.2.3-rc-1.x-y"), 1);
    RS_CHECK_INT(S->valid(""), 1);

    char big[1100];
    memset(big, '9', sizeof big);
    big[1024] = '\0';
    RS_CHECK_INT(cmp(big, "1"), 1);
    for (size_t i = 1; i < 1023; i += 2)
        big[i] = '.'; /* 512 segments */
    RS_CHECK_INT(cmp(big, "9.9"), 1);
    big[1024] = '9';
    big[1025] = '\0';
    RS_CHECK_INT(cmp(big, "1"), CMP_INVALID);
    return RS_TEST_RESULT();
}
