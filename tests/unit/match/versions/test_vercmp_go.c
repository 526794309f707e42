/* test_vercmp_go.c - Go module versions as golang.org/x/mod/semver orders them. */
#define VERCMP_VALID "v1.0.0" /* BAD compares with it */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("go");
    RS_REQUIRE(S != NULL);
    RS_CHECK_STR(S->name, "go");
    RS_CHECK(rs_version_scheme_for_ecosystem("Go") == S);

    /* x/mod/semver's semver_test.go table: the invalid entries, then the valid
     * ones in ascending order (entries on one line are equal). */
    static const char *const bad[] = {"bad",       "v1-alpha.beta.gamma", "v1-pre",
                                      "v1+meta",   "v1-pre+meta",         "v1.2-pre",
                                      "v1.2+meta", "v1.2-pre+meta"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        BAD(bad[i]);
    static const char *const order[][4] = {
        {"v1.0.0-alpha"},
        {"v1.0.0-alpha.1"},
        {"v1.0.0-alpha.beta"},
        {"v1.0.0-beta"},
        {"v1.0.0-beta.2"},
        {"v1.0.0-beta.11"},
        {"v1.0.0-rc.1"},
        {"v1", "v1.0", "v1.0.0"},
        {"v1.2", "v1.2.0"},
        {"v1.2.3-456"},
        {"v1.2.3-456.789"},
        {"v1.2.3-456-789"},
        {"v1.2.3-456a"},
        {"v1.2.3-pre", "v1.2.3-pre+meta"},
        {"v1.2.3-pre.1"},
        {"v1.2.3-zzz"},
        {"v1.2.3", "v1.2.3+meta", "v1.2.3+meta-pre", "v1.2.3+meta-pre.sha.256a"},
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < 4 && order[i][k]; k++)
                for (size_t l = 0; l < 4 && order[j][l]; l++)
                    RS_CHECK_INT(cmp_rc(order[i][k], order[j][l]), i < j ? -1 : i > j);

    /* +incompatible is build metadata. */
    EQ("v2.0.0+incompatible", "v2.0.0");
    LT("v1.9.9", "v2.0.0+incompatible");
    LT("v2.0.0+incompatible", "v2.0.1+incompatible");

    /* Pseudo-versions are prereleases: below the release they precede, above
     * the tag they follow. */
    LT("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0");
    LT("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20191109021932-0123456789ab");
    LT("v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5");
    LT("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4");
    LT("v1.2.4-0", "v1.2.4-0.20191109021931-daa7c04131f5");
    LT("v1.2.4-pre", "v1.2.4-pre.0.20191109021931-daa7c04131f5");
    LT("v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre.1");

    /* Numbers of any length; numeric identifiers below alphanumeric ones. */
    LT("v123456789012345678901234567890.0.0", "v123456789012345678901234567891.0.0");
    LT("v9.0.0", "v10.0.0");
    LT("v1.0.0-99999999999999999999999999999", "v1.0.0-123456789012345678901234567890");
    LT("v1.0.0-999", "v1.0.0-0a");
    LT("v1.0.0-Alpha", "v1.0.0-alpha");
    LT("v1.0.0--", "v1.0.0-0a");
    RS_CHECK_INT(S->valid("v1.0.0--"), 1);

    BAD("1.0.0");
    BAD("V1.0.0");
    BAD("v");
    BAD("v01.0.0");
    BAD("v1.00.0");
    BAD("v1.0.00");
    BAD("v1.0.0-01");
    BAD("v1.0.0-");
    BAD("v1.0.0+");
    BAD("v1.0.0-a..b");
    BAD("v1.0.0-a_b");
    BAD("v1.0.0.0");
    BAD(" v1.0.0");
    BAD("v1.0.0 ");
    BAD("v1.");
    BAD("v1.2.");
    BAD("");
    RS_CHECK_INT(S->valid("v1.0.0+01"), 1);
    RS_CHECK_INT(S->valid(NULL), 0);

    char buf[1100];
    memset(buf, '1', sizeof buf);
    buf[0] = 'v';
    buf[1024] = '\0';
    RS_CHECK_INT(S->valid(buf), 1); /* 1024 bytes */
    buf[1024] = '1';
    buf[1025] = '\0';
    RS_CHECK_INT(S->valid(buf), 0); /* 1025 bytes */

    int c = 7;
    RS_CHECK_INT(S->compare("v1.0.0", "1.0.0", &c), RS_ERR_INVALID);
    RS_CHECK_INT(c, 7);
    return RS_TEST_RESULT();
}
