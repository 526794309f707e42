/* test_cvss.c - CVSS base scores of well-known vectors, Roundup, invalid input. */
#include "match.h"
#include "base.h"
#include "rs_test.h"

/* Checks one valid scored vector: version, score in tenths, severity. */
static void check_score(const char *vector, int major, int minor, int tenths, const char *severity)
{
    rs_cvss cv;
    char err[256] = "";
    int rc = rs_cvss_parse(vector, &cv, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "'%s': %s\n", vector, err);
    RS_CHECK_INT(rc, 0);
    RS_CHECK_INT(cv.major, major);
    RS_CHECK_INT(cv.minor, minor);
    RS_CHECK_INT(cv.has_score, 1);
    RS_CHECK_INT((int)(cv.base_score * 10.0 + 0.5), tenths);
    RS_CHECK(cv.base_score == tenths / 10.0);
    RS_CHECK_STR(cv.severity, severity);
    RS_CHECK_STR(cv.vector, vector);
}

/* Checks that a vector is rejected and that the message contains `needle`. */
static void check_invalid(const char *vector, const char *needle)
{
    rs_cvss cv;
    char err[256] = "";
    RS_CHECK_INT(rs_cvss_parse(vector, &cv, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_INT(cv.has_score, 0);
    RS_CHECK_INT(cv.major, 0);
    if (!strstr(err, needle)) {
        fprintf(stderr, "message for '%s' lacks \"%s\": %s\n", vector ? vector : "(null)", needle,
                err);
        RS_CHECK(strstr(err, needle) != NULL);
    }
}

static void test_v3(void)
{
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 3, 1, 98, "critical");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 3, 1, 100, "critical");
    check_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 3, 1, 99, "critical");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 3, 1, 75, "high");
    check_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 3, 1, 78, "high");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 3, 1, 61, "medium");
    check_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 3, 1, 59, "medium");
    check_score("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 3, 1, 16, "low");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 3, 1, 0, "none");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 3, 1, 0, "none");
    check_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 3, 0, 98, "critical");
    check_score("CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:H/A:N", 3, 0, 62, "medium");
    /* scope changes the weight of PR:H from 0.27 to 0.5 */
    check_score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:N", 3, 1, 27, "low");
    check_score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:N/A:N", 3, 1, 41, "medium");
    /* the raw score nearest above a tenth in the whole v3 base space: 5.50032 */
    check_score("CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:L", 3, 1, 56, "medium");
    /* any order; temporal and environmental metrics validated, not scored */
    check_score("CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N", 3, 1, 98, "critical");
    check_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:U/CR:L/IR:X/AR:M/"
                "MAV:P/MAC:H/MPR:H/MUI:R/MS:C/MC:N/MI:N/MA:N",
                3, 1, 98, "critical");
}

static void test_v2(void)
{
    check_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", 2, 0, 75, "high");
    check_score("AV:N/AC:L/Au:N/C:C/I:C/A:C", 2, 0, 100, "high");
    check_score("AV:N/AC:M/Au:N/C:N/I:P/A:N", 2, 0, 43, "medium");
    check_score("AV:N/AC:L/Au:N/C:N/I:N/A:P", 2, 0, 50, "medium");
    check_score("AV:L/AC:H/Au:M/C:P/I:N/A:N", 2, 0, 8, "low");
    check_score("AV:L/AC:L/Au:N/C:N/I:N/A:N", 2, 0, 0, "low");
    check_score("AV:A/AC:M/Au:S/C:C/I:P/A:N/E:POC/RL:OF/RC:UR/CDP:LM/TD:M/CR:H/IR:L/AR:ND", 2, 0,
                58, "medium");
}

static void test_v4(void)
{
    const char *v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N";
    rs_cvss cv;
    char err[256] = "";
    RS_CHECK_INT(rs_cvss_parse(v, &cv, err, sizeof err), 0);
    RS_CHECK_INT(cv.major, 4);
    RS_CHECK_INT(cv.minor, 0);
    RS_CHECK_INT(cv.has_score, 0);
    RS_CHECK_STR(cv.severity, "");
    RS_CHECK_STR(cv.vector, v);
    RS_CHECK_INT(rs_cvss_parse("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/"
                               "E:A/U:Amber",
                               &cv, err, sizeof err),
                 0);
    check_invalid("CVSS:4.0/AV:N/AC:L/AV:N", "duplicate cvss v4 metric 'AV'");
    check_invalid("CVSS:4.0/av:N/AC:L", "'av:N'");
    check_invalid("CVSS:4.0/AV:N/", "empty field");
    check_invalid("CVSS:4.0/AV:N/AC:1", "'AC:1'");
    check_invalid("CVSS:4.0/", "empty field");
}

static void test_roundup(void)
{
    /* Appendix A: floating-point noise above a tenth is not rounded up */
    RS_CHECK(rs_cvss_roundup(4.000000000000001) == 4.0);
    RS_CHECK(rs_cvss_roundup(4.0000000001) == 4.0);
    RS_CHECK(rs_cvss_roundup(4.000004) == 4.0);
    RS_CHECK(rs_cvss_roundup(4.00001) == 4.1);
    RS_CHECK(rs_cvss_roundup(4.02) == 4.1);
    RS_CHECK(rs_cvss_roundup(4.0) == 4.0);
    RS_CHECK(rs_cvss_roundup(3.9999999) == 4.0);
    RS_CHECK(rs_cvss_roundup(0.0) == 0.0);
    RS_CHECK(rs_cvss_roundup(0.00001) == 0.1);
    RS_CHECK(rs_cvss_roundup(10.0) == 10.0);
    RS_CHECK(rs_cvss_roundup(-1.0) == 0.0);
    /* 6.42 x 0.56 + 8.22 x 0.85 x 0.77 x 0.85 x 0.85 computed in doubles */
    RS_CHECK(rs_cvss_roundup(6.42 * (1.0 - 0.44 * 0.44 * 0.44) +
                             8.22 * 0.85 * 0.77 * 0.85 * 0.85) == 9.8);
}

static void test_invalid(void)
{
    check_invalid(NULL, "empty cvss vector");
    check_invalid("", "empty cvss vector");
    check_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H", "missing cvss v3.1 metric 'S'");
    check_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:N",
                  "duplicate cvss v3.1 metric 'AV'");
    check_invalid("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                  "invalid value 'Q' of cvss v3.1 metric 'AV'");
    check_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X/RL:Z",
                  "invalid value 'Z' of cvss v3.1 metric 'RL'");
    check_invalid("CVSS:3.0/AV:N/AC:L/Au:N/PR:N/UI:N/S:U/C:H/I:H/A:H",
                  "unknown cvss v3.0 metric 'Au'");
    check_invalid("CVSS:3.1/av:n/ac:l/pr:n/ui:n/s:u/c:h/i:h/a:h", "unknown cvss v3.1 metric 'av'");
    check_invalid("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "metric 'AV'");
    check_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "empty field");
    check_invalid("CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "empty field");
    check_invalid("CVSS:3.1/", "empty field");
    check_invalid("CVSS:3.1", "unsupported cvss version 'CVSS:3.1'");
    check_invalid("CVSS:3.2/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unsupported cvss version");
    check_invalid("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "unsupported cvss version 'CVSS:2.0'");
    check_invalid("CVSS:3.1/AV::N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AV::N'");
    check_invalid("CVSS:3.1/AVN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "'AVN'");
    check_invalid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H ", "invalid value 'H?'");
    check_invalid(" CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown cvss v2 metric");
    check_invalid("AV:N/AC:L/Au:N/C:P/I:P", "missing cvss v2 metric 'A'");
    check_invalid("AV:N/AC:L/Au:N/C:P/I:P/A:P/E:X", "invalid value 'X' of cvss v2 metric 'E'");
    check_invalid("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", "unknown cvss v2 metric '(AV'");
    check_invalid("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "unknown cvss v2 metric 'PR'");
    check_invalid("\x01\xff:N", "metric '?\?'");

    char longv[400];
    memset(longv, 'A', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    check_invalid(longv, "too long");
    /* exactly the limit is parsed (and rejected for its content only) */
    longv[RS_CVSS_VECTOR_MAX] = '\0';
    check_invalid(longv, "not METRIC:VALUE");

    /* the error buffer may be absent */
    rs_cvss cv;
    RS_CHECK_INT(rs_cvss_parse("nonsense", &cv, NULL, 0), RS_ERR_INVALID);
    RS_CHECK_INT(rs_cvss_parse("AV:N", NULL, NULL, 0), RS_ERR_INTERNAL);
}

int main(void)
{
    test_v3();
    test_v2();
    test_v4();
    test_roundup();
    test_invalid();
    return RS_TEST_RESULT();
}
