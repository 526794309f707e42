/* test_apk.c - the apk analyzer on a realistic database, malformed input and
 * bytes that are not UTF-8. */
#include "analyzer_check.h"
#include "analyzers/apk_int.h"
#include "base.h"
#include "rs_test.h"
#include "rs_testfile.h"

static void test_installed(void)
{
    char err[256];
    size_t len;
    char *data = rs_test_load("apk/installed", 1 << 20, &len);
    RS_CHECK_INT(rs_analyzer_apk.wants("/lib/apk/db/installed"), 1);
    RS_CHECK_INT(rs_analyzer_apk.wants("/lib/apk/db/triggers"), 0);
    rs_analysis a = {0};
    RS_CHECK_INT(rs_analyzer_apk.parse("/lib/apk/db/installed", data, len, &a, err, sizeof err), 0);
    RS_REQUIRE(a.n_pkgs == 4);
    RS_CHECK_INT(a.n_malformed, 1);
    RS_CHECK_STR(a.pkgs[0].name, "musl");
    RS_CHECK_STR(a.pkgs[0].version, "1.2.4_git20230717-r4");
    RS_CHECK_STR(a.pkgs[0].arch, "x86_64");
    RS_CHECK_STR(a.pkgs[0].source_name, "musl");
    RS_CHECK_STR(a.pkgs[0].type, "apk");
    RS_CHECK_STR(a.pkgs[0].path, "/lib/apk/db/installed");
    RS_CHECK_STR(a.pkgs[1].name, "busybox");
    RS_CHECK_STR(a.pkgs[1].version, "1.36.1-r15");
    RS_CHECK_STR(a.pkgs[2].name, "alpine-baselayout-data");
    RS_CHECK_STR(a.pkgs[2].source_name, "alpine-baselayout");
    RS_CHECK_STR(a.pkgs[3].name, "ssl_client");
    RS_CHECK_STR(a.pkgs[3].source_name, "busybox");
    rs_analysis_clear(&a);
    free(data);
}

static size_t count(const char *text, size_t *malformed)
{
    return count_pkgs(&rs_analyzer_apk, "/lib/apk/db/installed", text, malformed);
}

static void test_malformed(void)
{
    size_t m;
    RS_CHECK_INT(count("", &m), 0);
    RS_CHECK_INT(count("P:a\nV:1-r0", &m), 1); /* no trailing newline */
    RS_CHECK_INT(count("P:a\r\nV:1-r0\r\n\r\nP:b\r\nV:2-r0\r\n", &m), 2);
    RS_CHECK_INT(count("P:a\nV:1-r0\nP:b\n", &m), 0); /* two names in one record */
    RS_CHECK_INT(m, 1);
    RS_CHECK_INT(count("P:a b\nV:1\n\nPx\nV:1\n\nP:\nV:1\n", &m), 0);
    RS_CHECK_INT(m, 3);
}

#define FFFD "\xEF\xBF\xBD"

/* Bytes >= 0x80 pass valid_token; those that are not UTF-8 become U+FFFD and
 * flag the package. Controls (ESC, NUL) are still refused. */
static void test_invalid_utf8(void)
{
    static const char db[] = "P:foo\xFF\nV:1.0\xFF-r0\nA:x86\xC3\no:o\xE2\x82\n\n"
                             "P:clean\nV:1.0-r0\nA:x86_64\no:clean\n\n"
                             "P:bar\xC2\x9B\x33\x31m\nV:2.0-r0\n\n" /* U+009B: valid UTF-8 */
                             "P:esc\x1B[31m\nV:1\n\n"
                             "P:n\0ul\nV:1\n";
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(
        rs_analyzer_apk.parse("/lib/apk/db/installed", db, sizeof db - 1, &a, err, sizeof err), 0);
    RS_REQUIRE(a.n_pkgs == 3);
    RS_CHECK_INT(a.n_malformed, 2);
    RS_CHECK_STR(a.pkgs[0].name, "foo" FFFD);
    RS_CHECK_STR(a.pkgs[0].version, "1.0" FFFD "-r0");
    RS_CHECK_STR(a.pkgs[0].arch, "x86" FFFD);
    RS_CHECK_STR(a.pkgs[0].source_name, "o" FFFD);
    RS_CHECK_INT(a.pkgs[0].text_replaced, 1);
    RS_CHECK_STR(a.pkgs[1].name, "clean");
    RS_CHECK_INT(a.pkgs[1].text_replaced, 0);
    RS_CHECK_STR(a.pkgs[2].name, "bar\xC2\x9B\x33\x31m");
    RS_CHECK_INT(a.pkgs[2].text_replaced, 0);
    rs_analysis_clear(&a);
}

int main(void)
{
    test_installed();
    test_malformed();
    test_invalid_utf8();
    return RS_TEST_RESULT();
}
