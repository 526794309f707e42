/* test_utf8.c - validation, U+FFFD replacement by maximal subparts, cutting
 * on character boundaries, JSON strings and terminal-safe copies. */
#include "rs_test.h"
#include "base.h"

#define FFFD "\xEF\xBF\xBD"

/* rs_utf8_dup of the n bytes of in gives exactly `want` and `want_replaced`,
 * and rs_utf8_valid says valid exactly when nothing was replaced. */
static void check_dup(const char *in, size_t n, const char *want, int want_replaced)
{
    int replaced = 0;
    char *d = rs_utf8_dup(in, n, &replaced);
    RS_REQUIRE(d);
    RS_CHECK_STR(d, want);
    RS_CHECK_INT(replaced, want_replaced);
    RS_CHECK_INT(rs_utf8_valid(in, n), !want_replaced);
    RS_CHECK_INT(rs_utf8_valid(d, strlen(d)), 1);
    free(d);
}

static void test_dup(void)
{
    check_dup("", 0, "", 0);
    check_dup(NULL, 0, "", 0);
    check_dup("abc", 3, "abc", 0);
    check_dup("\xC3\xA9", 2, "\xC3\xA9", 0);                 /* é */
    check_dup("\xE2\x82\xAC", 3, "\xE2\x82\xAC", 0);         /* € */
    check_dup("\xF0\x9F\x98\x80", 4, "\xF0\x9F\x98\x80", 0); /* U+1F600 */
    check_dup("\xF4\x8F\xBF\xBF", 4, "\xF4\x8F\xBF\xBF", 0); /* U+10FFFF */
    check_dup("\xED\x9F\xBF", 3, "\xED\x9F\xBF", 0);         /* U+D7FF */
    check_dup("\xFF", 1, FFFD, 1);
    check_dup("foo\xFF", 4, "foo" FFFD, 1);
    /* an overlong NUL: C0 is never a lead, 80 never starts anything */
    check_dup("\xC0\x80", 2, FFFD FFFD, 1);
    check_dup("\xE0\x80\xAF", 3, FFFD FFFD FFFD, 1); /* overlong '/' */
    /* a surrogate (U+D800): ED takes only 80..9F next */
    check_dup("\xED\xA0\x80", 3, FFFD FFFD FFFD, 1);
    /* above U+10FFFF: F4 takes only 80..8F next */
    check_dup("\xF4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD, 1);
    check_dup("\xF5\x80", 2, FFFD FFFD, 1);
    /* truncated sequences: one U+FFFD for the lead and its fitting continuations */
    check_dup("\xE2\x82", 2, FFFD, 1);
    check_dup("a\xE2\x82", 3, "a" FFFD, 1);
    check_dup("\xE2\x82\x61", 3, FFFD "a", 1);
    check_dup("\xF0\x9F\x98", 3, FFFD, 1);
    check_dup("\xF0\x9F\x98\xF0\x9F\x98\x80", 7, FFFD "\xF0\x9F\x98\x80", 1);
    /* NUL cannot live in a C string */
    check_dup("a\0b", 3, "a" FFFD "b", 1);
    /* Unicode 15 table 3-8, the maximal subpart example */
    check_dup("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", 13,
              "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 1);
    check_dup("ok\xFF\xC3\xA9\xE2\x82\xACx\xF0\x9F\x98\x80\x80", 14,
              "ok" FFFD "\xC3\xA9\xE2\x82\xACx\xF0\x9F\x98\x80" FFFD, 1);
    /* *replaced is only ever set, so one flag collects several calls */
    int replaced = 1;
    char *d = rs_utf8_dup("abc", 3, &replaced);
    RS_CHECK_INT(replaced, 1);
    free(d);
}

static void test_copy(void)
{
    char e200[401], buf[128];
    for (size_t i = 0; i < 200; i++)
        memcpy(e200 + 2 * i, "\xC3\xA9", 2);
    e200[400] = '\0';
    /* 127 bytes fit; 63 'é' are 126, a 64th would need 128 */
    int replaced = 0;
    RS_CHECK_INT(rs_utf8_copy(buf, sizeof buf, e200, 400, &replaced), 126);
    RS_CHECK_INT(strlen(buf), 126);
    RS_CHECK_INT(memcmp(buf, e200, 126), 0);
    RS_CHECK_INT(replaced, 0);
    /* shifted by one ASCII byte, the 63rd 'é' ends exactly at byte 127 */
    char x200[402];
    x200[0] = 'x';
    memcpy(x200 + 1, e200, 401);
    RS_CHECK_INT(rs_utf8_copy(buf, sizeof buf, x200, 401, &replaced), 127);
    RS_CHECK_INT(memcmp(buf, x200, 127), 0);
    RS_CHECK_INT(buf[127], '\0');
    /* a 4-byte character is kept whole or not at all */
    char small[6];
    RS_CHECK_INT(rs_utf8_copy(small, sizeof small, "ab\xF0\x9F\x98\x80", 6, NULL), 2);
    RS_CHECK_STR(small, "ab");
    RS_CHECK_INT(rs_utf8_copy(small, sizeof small, "a\xF0\x9F\x98\x80", 5, NULL), 5);
    RS_CHECK_STR(small, "a\xF0\x9F\x98\x80");
    /* a U+FFFD is never cut, and a cut-off replacement does not count */
    RS_CHECK_INT(rs_utf8_copy(small, sizeof small, "aaa\xFF", 4, &replaced), 3);
    RS_CHECK_STR(small, "aaa");
    RS_CHECK_INT(replaced, 0);
    RS_CHECK_INT(rs_utf8_copy(small, sizeof small, "aa\xFF", 3, &replaced), 5);
    RS_CHECK_STR(small, "aa" FFFD);
    RS_CHECK_INT(replaced, 1);
    RS_CHECK_INT(rs_utf8_copy(small, 1, "abc", 3, NULL), 0);
    RS_CHECK_STR(small, "");
    small[0] = 'z';
    RS_CHECK_INT(rs_utf8_copy(small, 0, "abc", 3, NULL), 0);
    RS_CHECK_INT(small[0], 'z');
}

static void test_json(void)
{
    json_t *j = rs_utf8_json_string("foo\xFF");
    RS_REQUIRE(j);
    RS_CHECK_STR(json_string_value(j), "foo" FFFD);
    char *text = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
    RS_CHECK_STR(text, "\"foo\\uFFFD\"");
    free(text);
    json_decref(j);
    j = rs_utf8_json_string("d\xC3\xA9j\xC3\xA0");
    RS_CHECK_STR(json_string_value(j), "d\xC3\xA9j\xC3\xA0");
    json_decref(j);
    j = rs_utf8_json_string(NULL);
    RS_CHECK(json_is_null(j));
    json_decref(j);
    /* what jansson itself refuses */
    RS_CHECK(json_string("\xED\xA0\x80") == NULL);
    j = rs_utf8_json_string("\xED\xA0\x80");
    RS_CHECK_STR(json_string_value(j), FFFD FFFD FFFD);
    json_decref(j);
}

static void test_printable(void)
{
    struct {
        const char *in, *want;
    } cases[] = {
        {"plain-1.0", "plain-1.0"},
        {"\x1B[31mred\x1B[0m", "?[31mred?[0m"},
        {"a\xC2\x9B\x33\x31mb", "a?31mb"}, /* CSI (8-bit ESC [), then "31mb" */
        {"tab\there\r\n\x7F", "tab?here???"},
        {"\xC2\xA0\xC2\xA9", "\xC2\xA0\xC2\xA9"}, /* U+00A0 and U+00A9 are no controls */
        {"caf\xC3\xA9\xFF", "caf\xC3\xA9" FFFD},
        {"\xC2", FFFD},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = rs_utf8_dup_printable(cases[i].in);
        RS_REQUIRE(p);
        RS_CHECK_STR(p, cases[i].want);
        free(p);
    }
    char *p = rs_utf8_dup_printable(NULL);
    RS_CHECK_STR(p, "");
    free(p);
}

int main(void)
{
    test_dup();
    test_copy();
    test_json();
    test_printable();
    return RS_TEST_RESULT();
}
