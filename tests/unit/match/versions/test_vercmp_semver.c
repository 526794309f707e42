/* test_vercmp_semver.c - SemVer 2.0 precedence as npm's `semver` (strict) gives it. */
#include "vercmp_check.h"

int main(void)
{
    S = rs_version_scheme_find("semver");
    RS_REQUIRE(S != NULL);
    RS_CHECK_STR(S->name, "semver");
    RS_CHECK(rs_version_scheme_for_ecosystem("npm") == S);
    RS_CHECK(rs_version_scheme_for_ecosystem("crates.io") == S);

    /* The SemVer 2.0 specification's precedence example, in order. */
    static const char *const order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
                                        "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
                                        "1.0.0-rc.1",  "1.0.0",         "1.0.1",
                                        "1.1.0",       "2.0.0",         "10.0.0"};
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            RS_CHECK_INT(cmp_rc(order[i], order[j]), i < j ? -1 : i > j);

    /* node-semver's test/fixtures/comparisons.js (first greater). */
    LT("0.0.0-foo", "0.0.0");
    LT("0.9.0", "0.10.0");
    LT("1.2.3-4", "1.2.3");
    LT("1.2.3-5", "1.2.3-5-foo");
    LT("1.2.3-5-Foo", "1.2.3-5-foo"); /* ASCII order: 'F' < 'f' */
    LT("1.2.3-a.5", "1.2.3-a.10");
    LT("1.2.3-a.5", "1.2.3-a.b"); /* numeric below alphanumeric */
    LT("1.2.3-a", "1.2.3-a.b");
    LT("1.2.3-a.b.c.5.d.100", "1.2.3-a.b.c.10.d.5");
    LT("1.2.3-r100", "1.2.3-r2"); /* alphanumerics compare as strings */
    LT("1.2.3-R2", "1.2.3-r100");
    LT("2.7.2+asdf", "3.0.0");

    /* Build metadata is ignored; "v" and surrounding whitespace are allowed. */
    EQ("1.2.3+build", "1.2.3+otherbuild");
    EQ("1.2.3-beta+build", "1.2.3-beta+otherbuild");
    EQ("  v1.2.3+build", "1.2.3+otherbuild");
    EQ("v1.2.3", "1.2.3");
    EQ("\xc2\xa0"
       "1.2.3\xe2\x80\xa8",
       "1.2.3"); /* U+00A0, U+2028: JS trim() removes them */
    EQ("\xef\xbb\xbf"
       "1.2.3",
       "1.2.3"); /* U+FEFF too */
    EQ("1.0.0+01", "1.0.0");

    /* Numbers up to Number.MAX_SAFE_INTEGER. */
    LT("9007199254740990.0.0", "9007199254740991.0.0");
    LT("1.0.0-9007199254740990", "1.0.0-9007199254740991");
    /* JavaScript numbers: identifiers of 2^53 and more that round to the same
     * double compare equal, and node-semver stops at them. */
    EQ("1.0.0-9007199254740993", "1.0.0-9007199254740992");
    EQ("1.0.0-9007199254740993.a", "1.0.0-9007199254740992.b");
    LT("1.0.0-9007199254740992", "1.0.0-9007199254740994");
    LT("1.0.0-99999999999999999999", "1.0.0-alpha");
    EQ("1.0.0-99999999999999999999", "1.0.0-99999999999999999998");

    /* Strict parsing, as semver.valid(v) without `loose`. */
    RS_CHECK_INT(S->valid("1.2.3-alpha-.-beta"), 1);
    RS_CHECK_INT(S->valid("1.2.3-0a"), 1);
    RS_CHECK_INT(S->valid("1.2.3--"), 1);
    RS_CHECK_INT(S->valid("9007199254740991.0.0"), 1);
    BAD("=1.2.3");
    BAD("v 1.2.3");
    BAD("V1.2.3");
    BAD("vv1.2.3");
    BAD("01.2.3");
    BAD("1.02.3");
    BAD("1.2.03");
    BAD("1.2.3-01");
    BAD("1.2.3-");
    BAD("1.2.3+");
    BAD("1.2.3-a..b");
    BAD("1.2.3-a_b");
    BAD("1.2.3+a+b");
    BAD("1.2");
    BAD("1");
    BAD("1.2.3.4");
    BAD("1.2.3beta");
    BAD("");
    BAD("hello, world");
    BAD("9007199254740992.0.0");
    BAD("0.90071992547409910.0");
    BAD("1.2.3\xc2\x85"); /* U+0085 is not JavaScript whitespace */
    BAD("1.2.\xd9\xa3");  /* an Arabic-Indic digit */
    RS_CHECK_INT(S->valid(NULL), 0);

    /* node-semver's MAX_LENGTH of 256 UTF-16 units, whitespace included. */
    char buf[2048];
    memcpy(buf, "1.2.3-", 6);
    memset(buf + 6, 'a', 250);
    buf[256] = '\0';
    RS_CHECK_INT(S->valid(buf), 1);
    buf[256] = 'a';
    buf[257] = '\0';
    RS_CHECK_INT(S->valid(buf), 0);
    memcpy(buf, "  1.2.3-", 8); /* 255 units after two spaces */
    memset(buf + 8, 'a', 249);
    buf[257] = '\0';
    RS_CHECK_INT(S->valid(buf + 1), 1);
    RS_CHECK_INT(S->valid(buf), 0);
    memcpy(buf,
           "\xc2\xa0"
           "1.2.3-",
           8); /* U+00A0: two bytes, one unit */
    RS_CHECK_INT(S->valid(buf), 1);
    memset(buf, ' ', 1100);
    memcpy(buf + 1100, "1.2.3", 6);
    RS_CHECK_INT(S->valid(buf), 0); /* longer than 1024 bytes */

    int c = 7;
    RS_CHECK_INT(S->compare("1.2", "1.2.3", &c), RS_ERR_INVALID);
    RS_CHECK_INT(c, 7); /* untouched on failure */
    return RS_TEST_RESULT();
}
