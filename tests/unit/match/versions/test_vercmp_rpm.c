/* test_vercmp_rpm.c - the RPM version order: rpm's own RPMVERCMP cases
 * (tests/rpmvercmp.at), tilde and caret, EVR parsing as rpm 4.18's rpm.ver,
 * and the bounds of untrusted input. */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("rpm");
    RS_REQUIRE(S == &rs_version_rpm);
    RS_CHECK_STR(S->name, "rpm");
    RS_CHECK(rs_version_scheme_for_ecosystem("Red Hat:enterprise_linux:9::appstream") == S);
    RS_CHECK(rs_version_scheme_for_ecosystem("Rocky Linux:9") == S);
    RS_CHECK(rs_version_scheme_for_ecosystem("AlmaLinux:8") == S);
    RS_CHECK(rs_version_scheme_for_ecosystem("openSUSE:Leap 15.5") == S);

    /* rpm's tests/rpmvercmp.at */
    CMP("1.0", "1.0", 0);
    CMP("1.0", "2.0", -1);
    CMP("2.0.1", "2.0", 1);
    CMP("2.0.1a", "2.0.1", 1);
    CMP("5.5p1", "5.5p2", -1);
    CMP("5.5p1", "5.5p10", -1);
    CMP("10xyz", "10.1xyz", -1);
    CMP("xyz10", "xyz10.1", -1);
    CMP("xyz.4", "8", -1);
    CMP("xyz.4", "2", -1);
    CMP("5.6p1", "6.5p1", -1);
    CMP("6.0.rc1", "6.0", 1);
    CMP("10b2", "10a1", 1);
    CMP("1.0a", "1.0aa", -1);
    CMP("10.0001", "10.1", 0);
    CMP("10.0001", "10.0039", -1);
    CMP("4.999.9", "5.0", -1);
    CMP("20101121", "20101122", -1);
    CMP("2_0", "2.0", 0);
    CMP("a+", "a_", 0);
    CMP("+a", "_a", 0);
    CMP("_+", "+_", 0);
    CMP("+", "_", 0);
    CMP("1.0~rc1", "1.0", -1);
    CMP("1.0~rc1", "1.0~rc2", -1);
    CMP("1.0~rc1~git123", "1.0~rc1", -1);
    CMP("1.0^", "1.0", 1);
    CMP("1.0^git1", "1.0", 1);
    CMP("1.0^git1", "1.0^git2", -1);
    CMP("1.0^git1", "1.01", -1);
    CMP("1.0^20160101", "1.0.1", -1);
    CMP("1.0^20160102", "1.0^20160101^git1", 1);
    CMP("1.0~rc1^git1", "1.0~rc1", 1);
    CMP("1.0^git1~pre", "1.0^git1", -1);
    /* numbers of any length; letters by byte, upper case first */
    CMP("9999999999999999999999", "10000000000000000000000", -1);
    CMP("1.0A", "1.0a", -1);
    CMP("1.0", "1.0\xc3\xa9", 0); /* non-ASCII bytes only separate */

    /* EVR: epoch, version, release */
    CMP("0:1.2.3-4.el8", "1.2.3-4.el8", 0);
    CMP("1:1.0-1", "2.0-1", 1);
    CMP("00:1.0", "0:1.0", 0);
    CMP(":1.0", "0:1.0", 0);
    CMP("0:4.18.0-372.9.1.el9_0", "0:4.18.0-372.13.1.el9_0", -1);
    CMP("1.2.3-4.el8_6.1", "1.2.3-4.el8_6", 1);
    CMP("2.9.13-6.module+el8.10.0+1848+8d23bf1a", "2.9.13-6.module+el8.9.0+1659+6cd2d5c4", 1);
    CMP("1.1.1k-7.el8_6", "1.1.1l-1.el8", -1);
    CMP("1.0.0-0.1.beta1", "1.0.0-1", -1);
    CMP("1.2.3-1", "1.2.3-01", 0);
    /* a missing release sorts first, even before an empty one */
    CMP("1.2.3", "1.2.3-1", -1);
    CMP("1.0", "1.0-", -1);
    CMP("1.0-~", "1.0", 1);
    /* an epoch is digits only: "a:1" is a version */
    CMP("a:1-2", "0:a:1-2", 0);
    CMP("1:", "0:", 1);
    CMP("-1", "-2", -1);

    /* the empty string and oversized input are invalid; nothing else is */
    {
        int c = 7;
        RS_CHECK_INT(S->compare("", "1", &c), RS_ERR_INVALID);
        RS_CHECK_INT(S->compare("1", "", &c), RS_ERR_INVALID);
        RS_CHECK_INT(S->compare(NULL, "1", &c), RS_ERR_INVALID);
        RS_CHECK_INT(c, 7);
        RS_CHECK(!S->valid(""));
        RS_CHECK(!S->valid(NULL));
        RS_CHECK(S->valid("~"));
        RS_CHECK(S->valid(":"));
        static char v[1100];
        memset(v, '9', 1024);
        v[1024] = '\0';
        RS_CHECK(S->valid(v));
        RS_CHECK_INT(S->compare(v, "1", &c), 0);
        RS_CHECK_INT(c, 1);
        v[1024] = '9';
        v[1025] = '\0';
        RS_CHECK(!S->valid(v));
        RS_CHECK_INT(S->compare(v, "1", &c), RS_ERR_INVALID);
    }
    return RS_TEST_RESULT();
}
