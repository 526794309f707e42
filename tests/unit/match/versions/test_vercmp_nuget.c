/* test_vercmp_nuget.c - NuGet versions as NuGet.Client's NuGetVersion and
 * VersionComparer.Default parse and order them (cases from its own tests). */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("nuget");
    RS_REQUIRE(S != NULL);
    RS_CHECK_STR(S->name, "nuget");
    RS_CHECK(rs_version_scheme_for_ecosystem("NuGet") == S);

    /* NuGetVersionTest.SemVerLessThanAndGreaterThanOperatorsWorks */
    LT("1.0", "1.0.1");
    LT("1.23", "1.231");
    LT("1.4.5.6", "1.45.6");
    LT("1.4.5.6", "1.4.5.60");
    LT("1.01", "1.10");
    LT("1.01-alpha", "1.10-beta");
    LT("1.01.0-RC-1", "1.10.0-rc-2");
    LT("1.01-RC-1", "1.01");
    LT("1.01", "1.2-preview");
    /* NuGetVersionTest.SemVerEqualsOperatorWorks, EqualsIsTrueForEmptyRevision */
    EQ("1.0", "1.0.0.0");
    EQ("1.23.01", "1.23.1");
    EQ("1.45.6", "1.45.6.0");
    EQ("1.6.2-BeTa", "1.6.02-beta");
    EQ("22.3.07     ", "22.3.07");
    EQ("1.0", "1.0.0.0+beta");
    EQ("1.0.0.0+beta.2", "1.0.0.0+beta.1");
    EQ("1.0.0.0", "1.0.0");
    /* VersionComparerTests */
    EQ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.77.0+aa");
    EQ("1.0.0.1-1.2.A", "1.0.0.1-1.2.a+A");
    LT("1.0", "1.0.0.1");
    LT("1.0.01", "1.0.1.2");
    LT("1.0.0.1-1.2.A", "1.0.0.1-1.2.a.A+A");
    LT("1.999.9999", "2.1.1");
    LT("1.0.0-beta+AA", "1.0.0+aa");
    LT("1.0.0-BETA", "1.0.0-beta.1+AA");
    LT("1.0.0-BETA.X.y.5.79.0+AA", "1.0.0-beta.x.y.5.790.0+abc");
    /* SemVer201SpecTests orderings */
    LT("1.2.3-1.9", "1.2.3-1.50");
    LT("1.2.3-1.50A", "1.2.3-1.9A");
    LT("1.2.3-999999", "1.2.3-Z");
    LT("1.2.3-A.999999", "1.2.3-A.56-2");
    LT("1.2.3-a.2.3.4", "1.2.3-a.2.3.4.5");
    EQ("1.2.3-A-b2-C", "1.2.3-a-B2-c");

    /* Whitespace around each number (TryParseHandlesValidVersionPatterns). */
    EQ("   19   .   19   .   19   .   19   ", "19.19.19.19");
    EQ("19   .19   ", "19.19");
    EQ("\xc2\xa0"
       "1.2\xe3\x80\x80",
       "1.2"); /* U+00A0, U+3000 */
    EQ("1.0 -beta", "1.0-beta");
    EQ("2147483647.1.1.1", "2147483647.1.1.1");
    LT("2147483646", "2147483647");

    /* Release labels: int.TryParse decides what is numeric, "-1" included;
     * numbers beyond Int32 compare as text. */
    LT("1.0.0--1", "1.0.0-0");
    EQ("1.0.0--0", "1.0.0-0");
    EQ("1.0.0--007", "1.0.0--7");
    LT("1.0.0--2147483648", "1.0.0--2147483647");
    LT("1.0.0-2147483647", "1.0.0-2147483648");  /* numeric below text */
    LT("1.0.0-10000000000", "1.0.0-2147483648"); /* as text: '1' < '2' */
    LT("1.0.0-2147483648", "1.0.0-a");
    LT("1.0.0--", "1.0.0-a");
    LT("1.0.0--a", "1.0.0--b");
    LT("1.0.0-alpha", "1.0.0-alpha-");
    LT("1.0.0-Z", "1.0.0-zz"); /* ordinal, ignoring case: "Z" < "ZZ" */

    /* NuGetVersionTest.ParseThrowsIfStringIsNotAValidSemVer and others. */
    BAD("");
    BAD("         ");
    BAD("1beta");
    BAD("1.2..");
    BAD("1.2.3.4.5");
    BAD("1.2.3.Beta");
    BAD("1.4.7-");
    BAD("1.4.7-*");
    BAD("1.4.7+*");
    BAD("1.4.7-AA.01^");
    BAD("1.2147483648");
    BAD("1.1.1.2147483648");
    BAD("10000000000000000000");
    BAD("1..2");
    BAD("..1");
    BAD("-1.1.1.1");
    BAD("1.-1.1.1");
    BAD("1.");
    BAD("1.1.1.1.");
    BAD("1     1.1.1.1");
    BAD("1. .1.1");
    BAD("1.1.1. ");
    BAD("   19.   19.   19.   1 9");
    BAD("v1.0.0");
    BAD("0.1.2-02");
    BAD("0.1.2-Alpha..2");
    BAD("0.1.2-.AA");
    BAD("0.1.2-a&444");
    BAD("0.1.2+\xc3\x84\xc3\x84");
    BAD("0.1.2+2+A");
    BAD("0.1.2+02..A");
    BAD("0.1.2+");
    BAD("1.0-a+");
    BAD("1.0-+a");
    BAD("1.0\xc2\x85x"); /* U+0085 is whitespace only around a number */
    RS_CHECK_INT(S->valid("0.1.2+02.02-02"), 1);
    RS_CHECK_INT(S->valid("0.1.2--B2.-.C.-A0-"), 1);
    RS_CHECK_INT(S->valid("0.1.2----+----"), 1);
    RS_CHECK_INT(S->valid("0.1.2-0A"), 1);
    RS_CHECK_INT(S->valid("1.0\xc2\x85"), 1);
    RS_CHECK_INT(S->valid(NULL), 0);

    char buf[1100];
    memset(buf, ' ', sizeof buf);
    memcpy(buf + 1000, "1.0.0", 5);
    buf[1024] = '\0';
    RS_CHECK_INT(S->valid(buf), 1); /* 1024 bytes */
    buf[1024] = ' ';
    buf[1025] = '\0';
    RS_CHECK_INT(S->valid(buf), 0); /* 1025 bytes */

    int c = 7;
    RS_CHECK_INT(S->compare("1.0.0", "1..0", &c), RS_ERR_INVALID);
    RS_CHECK_INT(c, 7);
    return RS_TEST_RESULT();
}
