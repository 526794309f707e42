/* test_vercmp_maven.c - the Maven order against maven-artifact's own
 * ComparableVersionTest (3.9): VERSIONS_QUALIFIER, VERSIONS_NUMBER, the equal
 * spellings, MNG-5568, MNG-6572, MNG-6964, MNG-7644, leading zeroes. Its
 * VERSIONS_NUMBER without "2.0.0.a", which MNG-7644 made equal to "2.0.a". */
#include "vercmp_check.h"

static const char *const qualifier[] = {"1-alpha2snapshot",
                                        "1-alpha2",
                                        "1-alpha-123",
                                        "1-beta-2",
                                        "1-beta123",
                                        "1-m2",
                                        "1-m11",
                                        "1-rc",
                                        "1-cr2",
                                        "1-rc123",
                                        "1-SNAPSHOT",
                                        "1",
                                        "1-sp",
                                        "1-sp2",
                                        "1-sp123",
                                        "1-abc",
                                        "1-def",
                                        "1-pom-1",
                                        "1-1-snapshot",
                                        "1-1",
                                        "1-2",
                                        "1-123"};

static const char *const number[] = {"2.0",    "2.0.a", "2-1",    "2.0.2", "2.0.123", "2.1.0",
                                     "2.1-a",  "2.1b",  "2.1-c",  "2.1-1", "2.1.0.1", "2.2",
                                     "2.123",  "11.a2", "11.a11", "11.b2", "11.b11",  "11.m2",
                                     "11.m11", "11",    "11.a",   "11b",   "11c",     "11m"};

static const char *const mng6572[] = {"20190126.230843", "1234567890.12345",
                                      "123456789012345.1H.5-beta",
                                      "12345678901234567890.1H.5-beta"};

static const char *const ones[] = {
    "0000000000000000001", "000000000000000001", "0000000001", "000000001", "01", "1"};

static const char *const zeros[] = {"0000000000000000000",
                                    "000000000000000000",
                                    "0000000000",
                                    "000000000",
                                    "00",
                                    "0",
                                    "0.0",
                                    "0-0",
                                    "ga",
                                    "final",
                                    "release",
                                    ".",
                                    "-",
                                    "0.-.0"};

int main(void)
{
    S = rs_version_scheme_find("maven");
    RS_REQUIRE(S != NULL);
    RS_CHECK(rs_version_scheme_for_ecosystem("Maven") == S);

    check_order(qualifier, sizeof qualifier / sizeof qualifier[0]);
    check_order(number, sizeof number / sizeof number[0]);
    check_order(mng6572, sizeof mng6572 / sizeof mng6572[0]);
    check_equal(ones, sizeof ones / sizeof ones[0]);
    check_equal(zeros, sizeof zeros / sizeof zeros[0]);

    static const char *const same[][2] = {
        {"1", "1.0.0"},         {"1", "1-0"},
        {"1.0", "1.0-0"},       {"1a", "1.a"},
        {"1a", "1-a"},          {"1a", "1.0-a"},
        {"1a", "1.0.0-a"},      {"1.0a", "1.0.a"},
        {"1x", "1.0.0-x"},      {"1ga", "1"},
        {"1release", "1"},      {"1final", "1"},
        {"1cr", "1rc"},         {"1a1", "1alpha1"},
        {"1b2", "1beta2"},      {"1m3", "1milestone3"},
        {"1X", "1x"},           {"1GA", "1"},
        {"1FinaL", "1"},        {"1cR", "1rC"},
        {"1m3", "1MileStone3"}, {"1-abcdefghijklmnopqrstuvwxyz", "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ"},
        {"2-abc", "2.0.abc"},   {"2-RC", "2.0.0.rc"},
        {"2-m", "2.0.m"},       {"1.0.0.RC1", "1.0.0-rc1"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        RS_CHECK_INT(cmp(same[i][0], same[i][1]), 0);
        RS_CHECK_INT(cmp(same[i][1], same[i][0]), 0);
    }

    static const char *const less[][2] = {
        {"1", "2"},
        {"1.5", "2"},
        {"1.0.1", "1.1"},
        {"1.1", "1.2.0"},
        {"1.0-alpha-1", "1.0"},
        {"1.0-alpha-1", "1.0-beta-1"},
        {"1.0-beta-1", "1.0-SNAPSHOT"},
        {"1.0-SNAPSHOT", "1.0"},
        {"1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"},
        {"1.0", "1.0-1"},
        {"1.0.0", "1.0-1"},
        {"2.0-1", "2.0.1"},
        {"2.0.1-klm", "2.0.1-lmn"},
        {"2.0.1", "2.0.1-xyz"},
        {"2.0.1-xyz", "2.0.1-123"},
        {"6.1.0rc3", "6.1.0"},
        {"6.1.0", "6.1H.5-beta"},
        {"1-0.alpha", "1"},
        {"1-0.beta", "1"},
        {"1-0.alpha", "1-0.beta"},
        {"0.7", "2"},
        {"0.2", "1.0.7"},
        /* MNG-7714 (final below sp) is a Maven 4 change: 3.9 still puts it above */
        {"1.0-sp1-redhat", "1.0.final-redhat"},
        {"1.0.0.RC1", "1.0.0-RC2"},
        {"1.0.0.abc1", "1.0.0-abc2"},
        /* kinds: an int item is below a long item, whatever the values */
        {"1.5.1", "1.0000000000.1"},
        {"1.999999999", "1.1000000000"},
        {"1.999999999999999999", "1.1000000000000000000"},
        {"1.2147483648", "1.9223372036854775808"},
        {"1.sp", "1.zz"},
        {"1-zz", "1.0.1"},
        {"1-sp", "1-1"},
        {"1_2", "1.1"},
    };
    for (size_t i = 0; i < sizeof less / sizeof less[0]; i++) {
        RS_CHECK_INT(cmp(less[i][0], less[i][1]), -1);
        RS_CHECK_INT(cmp(less[i][1], less[i][0]), 1);
    }

    /* every non-empty string is a version; empty, NULL and over 1024 bytes are not */
    RS_CHECK_INT(S->valid("anything at all, even this!"), 1);
    RS_CHECK_INT(S->valid("\xff\xfe"), 1);
    RS_CHECK_INT(S->valid(""), 0);
    RS_CHECK_INT(S->valid(NULL), 0);
    RS_CHECK_INT(cmp("", "1"), CMP_INVALID);
    RS_CHECK_INT(cmp("1", NULL), CMP_INVALID);

    char big[1100];
    memset(big, '-', sizeof big); /* 1024 nested lists */
    big[1024] = '\0';
    RS_CHECK_INT(cmp(big, "0"), 0);
    for (size_t i = 0; i < 1024; i += 2)
        big[i] = (i / 2) % 2 ? 'a' : '1'; /* 1-a-1-a-... */
    RS_CHECK_INT(cmp(big, "1"), 1);
    for (size_t i = 0; i < 1024; i++)
        big[i] = i % 2 ? '1' : 'b';   /* b1b1...: a list per transition */
    RS_CHECK_INT(cmp(big, "b1"), -1); /* [b, [1, [b, ...]]]: a list below the number 1 */
    big[1024] = 'x';
    big[1025] = '\0';
    RS_CHECK_INT(cmp(big, "1"), CMP_INVALID);
    return RS_TEST_RESULT();
}
