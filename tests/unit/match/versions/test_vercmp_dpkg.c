/* test_vercmp_dpkg.c - the dpkg version order: dpkg's own cases
 * (lib/dpkg/t/t-version.c), Debian policy's tilde order, the syntax errors
 * and warnings dpkg reports, and the bounds of untrusted input. */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("dpkg");
    RS_REQUIRE(S == &rs_version_dpkg);
    RS_CHECK_STR(S->name, "dpkg");
    RS_CHECK(rs_version_scheme_for_ecosystem("Debian:12") == S);
    RS_CHECK(rs_version_scheme_for_ecosystem("Ubuntu:22.04:LTS") == S);

    /* dpkg's t-version.c */
    CMP("0-0", "00-00", 0);
    CMP("0:0-00", "0:00-0", 0);
    CMP("1:2-3", "1:2-3", 0);
    CMP("0:0-0", "1:0-0", -1);
    CMP("0:0a-0", "0:0b-0", -1);
    CMP("0:0-a", "0:0-b", -1);
    CMP("0", "0:0", 0);
    CMP("0:0-0-0", "0-0-0", 0);
    CMP("0:0:0-0", "0:0:0-0", 0);
    CMP("0:09azAZ.-+~:-0", "0:09azAZ.-+~:-0", 0);
    CMP("0:0-azAZ09.+~", "0:0-azAZ09.+~", 0);
    CMP("  \t0:0-1", "0-1", 0);
    CMP("0:0-1\t  ", "0-1", 0);
    CMP("\t  0:0-1  \t", "0-1", 0);

    /* Debian policy: ~~ < ~~a < ~ < (end) < a; letters before other marks */
    CMP("1.0~~", "1.0~~a", -1);
    CMP("1.0~~a", "1.0~", -1);
    CMP("1.0~", "1.0", -1);
    CMP("1.0", "1.0a", -1);
    CMP("1.0A", "1.0a", -1);
    CMP("1.0a", "1.0+", -1);
    CMP("1.0a", "1.0.", -1);
    CMP("1.0+", "1.0.", -1);
    CMP("1.0~rc1", "1.0", -1);
    CMP("1.0~rc1-1", "1.0-0", -1);
    CMP("1.0", "1.0+b1", -1);
    CMP("1.0", "1.0.0", -1);
    CMP("1.0-0", "1.0", 0);
    CMP("1.00", "1.0", 0);

    /* epochs and real versions */
    CMP("1:1.0", "2.0", 1);
    CMP("0:1.0", "1.0", 0);
    CMP("2:1.0~rc1+dfsg-1~exp1", "2:1.0~rc1+dfsg-1", -1);
    CMP("1.0-1", "1.0-1+deb12u1", -1);
    CMP("2.36-9+deb12u4", "2.36-9+deb12u10", -1);
    CMP("1.2.3-1~bpo12+1", "1.2.3-1", -1);
    CMP("7.88.1-10+deb12u5", "1:7.88.1-10", -1);
    CMP("2.7.18-3ubuntu1", "2.7.18-3", 1);
    CMP("5.10.0-1ubuntu1", "5.10.0-1build1", 1);
    CMP("1:2:3", "1:2:4", -1);
    CMP("2147483647:1.0", "2147483646:9", 1);
    CMP("+1:2", "1:2", 0); /* strtol() reads the epoch */
    CMP("-0:2", "2", 0);
    CMP("\v1:2", "1:2", 0);
    /* numbers longer than any integer type */
    CMP("99999999999999999999", "100000000000000000000", -1);
    CMP("18446744073709551616", "18446744073709551615", 1);
    CMP("1.000000000000000000000000000000001", "1.1", 0);

    /* dpkg's syntax errors */
    INVALID(NULL);
    INVALID("");
    INVALID("   ");
    INVALID("0:");
    INVALID("1:");
    INVALID(":1.0");
    INVALID("0:0 0-1");
    INVALID("1 .0");
    INVALID("-1:0-1");
    INVALID("999999999999999999999999:0-1");
    INVALID("2147483648:1.0");
    INVALID("a:0-0");
    INVALID("A:0-0");
    INVALID("0x1:2");
    INVALID("-0");
    INVALID("0:-0");
    INVALID("-");
    INVALID("1.0-");
    INVALID("1: ");
    /* dpkg's syntax warnings */
    INVALID("0:abc3-0");
    INVALID("a1");
    INVALID("1_0");
    INVALID("0:0!-0");
    INVALID("0:0^-0");
    INVALID("0:0-0:0");
    INVALID("0:0-0_");
    INVALID("1.0-1/2");
    INVALID("1.0\xc3\xa9");

    RS_CHECK(S->valid("1:2.36-9+deb12u4"));
    RS_CHECK(S->valid(" 1.0 "));
    RS_CHECK(!S->valid("1.0-"));

    /* untrusted input: 1024 bytes is the most */
    {
        static char v[1100];
        memset(v, '1', 1024);
        v[1024] = '\0';
        RS_CHECK(S->valid(v));
        int c = 9;
        RS_CHECK_INT(S->compare(v, "1", &c), 0);
        RS_CHECK_INT(c, 1);
        v[1024] = '1';
        v[1025] = '\0';
        RS_CHECK(!S->valid(v));
        RS_CHECK_INT(S->compare(v, "1", &c), RS_ERR_INVALID);
    }
    return RS_TEST_RESULT();
}
