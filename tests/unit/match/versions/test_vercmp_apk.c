/* test_vercmp_apk.c - the Alpine version order: the tricky lines of
 * apk-tools' test/version.data, the suffix order, leading zeros, commit
 * hashes, what apk_version_validate() rejects, and the bounds of untrusted
 * input. The whole of version.data runs in tests/versions/diff_apk.py. */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("apk");
    RS_REQUIRE(S == &rs_version_apk);
    RS_CHECK_STR(S->name, "apk");
    RS_CHECK(rs_version_scheme_for_ecosystem("Alpine:v3.19") == S);

    /* version.data */
    CMP("2.34", "0.1.0_alpha", 1);
    CMP("0.1.0_alpha2", "0.1.0_alpha", 1);
    CMP("1.1", "1.1_alpha1", 1);
    CMP("1.06-r6", "006", -1);
    CMP("3.0.0-r2", "021109-r3", -1);
    CMP("2.5.1-r8", "2.5.1a-r1", -1);
    CMP("2.10.1", "02.08.01b", 1);
    CMP("1.2.07.8", "1.2.12.04", -1);
    CMP("0.1.0_alpha_pre2", "0.1.0_alpha", -1);
    CMP("1.0.0_pre20191002222144-r0", "1.0.0_pre20210530193627-r0", -1);
    CMP("4.5_p1-r1", "4.5_p1", 1);
    CMP("2.12r-r4", "2.12r-r5", -1);
    CMP("1.0_p10-r0", "1.0_p9-r0", 1);
    CMP("6.0_pre1", "6.0", -1);
    CMP("6.0_p1", "6.0", 1);
    CMP("20060720", "3.0.20060720", 1);
    CMP("0.2.0-r1", "0.2.0-r1", 0);

    /* suffix order: alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p */
    CMP("1.0_alpha", "1.0_beta", -1);
    CMP("1.0_beta", "1.0_pre", -1);
    CMP("1.0_pre", "1.0_rc", -1);
    CMP("1.0_rc", "1.0", -1);
    CMP("1.0", "1.0_cvs", -1);
    CMP("1.0_cvs", "1.0_svn", -1);
    CMP("1.0_svn", "1.0_git", -1);
    CMP("1.0_git", "1.0_hg", -1);
    CMP("1.0_hg", "1.0_p", -1);
    CMP("1.0_rc9", "1.0_rc10", -1);
    /* a longer version after its prefix, revisions, letters */
    CMP("1.0", "1.0.0", -1);
    CMP("1.0", "1.0-r0", -1);
    CMP("1.0-r9", "1.0-r10", -1);
    CMP("1.0a", "1.0b", -1);
    CMP("1.0", "1.0a", -1);
    CMP("1.0z", "1.0.1", -1);
    /* leading zeros after a dot compare as strings (Gentoo) */
    CMP("1.01", "1.1", -1);
    CMP("1.010", "1.01", 1);
    CMP("1.0", "1.00", -1);
    CMP("1.001", "1.01", -1);
    CMP("01.5", "1.5", 0); /* the first field is always a number */
    /* commit hashes */
    CMP("1.0~abc", "1.0~abd", -1);
    CMP("1.0", "1.0~abc", -1);
    CMP("1.0~abc-r1", "1.0~abc-r2", -1);
    /* numbers are uint64_t */
    CMP("18446744073709551615", "18446744073709551614", 1);
    CMP("1.99999999999", "1.100000000000", -1);

    INVALID(NULL);
    INVALID("");
    INVALID("23_foo");
    INVALID("1.0bc");
    INVALID("a1");
    INVALID("v1.0");
    INVALID("1.");
    INVALID("1..2");
    INVALID("1.a");
    INVALID("1a2");
    INVALID("1.0A");
    INVALID("1_");
    INVALID("1_pa");
    INVALID("1_P");
    INVALID("1_alpha.1");
    INVALID("1~");
    INVALID("1~xyz");
    INVALID("1~ABC");
    INVALID("1-1");
    INVALID("1-r");
    INVALID("1-ra");
    INVALID("1-r1-r2");
    INVALID("1-r1_p");
    INVALID("1-r1~ab");
    INVALID(" 1.0");
    INVALID("1.0 ");

    RS_CHECK(S->valid("1.2.3a_alpha1_pre2~0af-r10"));
    RS_CHECK(!S->valid("1.2.3a_alpha1_pre2~0af-r10-r1"));

    {
        static char v[1100];
        memset(v, '1', 1024);
        v[1024] = '\0';
        RS_CHECK(S->valid(v));
        v[1024] = '1';
        v[1025] = '\0';
        RS_CHECK(!S->valid(v));
        int c = 5;
        RS_CHECK_INT(S->compare(v, "1", &c), RS_ERR_INVALID);
        RS_CHECK_INT(c, 5);
    }
    return RS_TEST_RESULT();
}
