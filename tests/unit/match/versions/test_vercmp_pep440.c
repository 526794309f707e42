/* test_vercmp_pep440.c - the PEP 440 order against pypa/packaging's own test
 * vectors (tests/test_version.py: VERSIONS, normalisations, invalid strings). */
#include "vercmp_check.h"

/* packaging's VERSIONS, in their sorting order. */
static const char *const order[] = {"1.0.dev0",
                                    "1.0.dev456",
                                    "1.0.dev456+local",
                                    "1.0a0",
                                    "1.0a0.post0.dev0",
                                    "1.0a0.post0",
                                    "1.0a1.dev1",
                                    "1.0a1.dev1+local",
                                    "1.0a1",
                                    "1.0a1+local",
                                    "1.0b0",
                                    "1.0b1.dev456",
                                    "1.0b2",
                                    "1.0b2.post345.dev456",
                                    "1.0b2.post345",
                                    "1.0b2-346",
                                    "1.0rc0",
                                    "1.0rc1.dev1",
                                    "1.0c1",
                                    "1.0rc2",
                                    "1.0",
                                    "1.0.post0.dev0",
                                    "1.0.post0",
                                    "1.0.post456.dev34",
                                    "1.0.post456",
                                    "1.0.post456+local",
                                    "1.0.1.dev1",
                                    "1.0.1a1",
                                    "1.0.1",
                                    "1.0.1+local",
                                    "1.0.1.post1",
                                    "1.1.dev1",
                                    "1.2+a",
                                    "1.2+abc",
                                    "1.2+abcdef",
                                    "1.2+def",
                                    "1.2+0",
                                    "1.2+1",
                                    "1.2+1.abc",
                                    "1.2+1.1",
                                    "1.2+1.1.0",
                                    "1.2+2",
                                    "1.2+123",
                                    "1.2+123456",
                                    "1.2.r32+123456",
                                    "1.2.rev33+123456",
                                    "1!1.0.dev0",
                                    "1!1.0a1",
                                    "1!1.0",
                                    "1!1.2.rev33+123456"};

int main(void)
{
    S = rs_version_scheme_find("pep440");
    RS_REQUIRE(S != NULL);
    RS_CHECK(rs_version_scheme_for_ecosystem("PyPI") == S);
    RS_CHECK_STR(S->name, "pep440");

    check_order(order, sizeof order / sizeof order[0]);

    /* normalisation: each spelling equals its normal form */
    static const char *const same[][2] = {
        {"1.0dev", "1.0.dev0"},
        {"1.0-DEV1", "1.0.dev1"},
        {"1.0.a", "1.0a0"},
        {"1.0-ALPHA1", "1.0a1"},
        {"1.0beta", "1.0b0"},
        {"1.0.B1", "1.0b1"},
        {"1.0c", "1.0rc0"},
        {"1.0-C1", "1.0rc1"},
        {"1.0pre1", "1.0rc1"},
        {"1.0preview_2", "1.0rc2"},
        {"1.0post", "1.0.post0"},
        {"1.0r", "1.0.post0"},
        {"1.0rev", "1.0.post0"},
        {"1.0-5", "1.0.post5"},
        {"1.0-r5", "1.0.post5"},
        {"1.0+AbC", "1.0+abc"},
        {"1.0+a-b_c", "1.0+a.b.c"},
        {"1.01", "1.1"},
        {"1.0c056", "1.0rc56"},
        {"1.1.dev09000", "1.1.dev9000"},
        {"00!1.2", "1.2"},
        {"0100!0.0", "100!0"},
        {"v1.0", "1.0"},
        {"V1.0", "1.0"},
        {"  v1.0 \f", "1.0"},
        {"\xe2\x80\xaf"
         "1.0\xe2\x80\xa9 ",
         "1.0"},
        {"\xc2\xa0"
         "1.0\xe3\x80\x80",
         "1.0"},
        {"1.0.0.0", "1"},
        {"1.0a.post.dev", "1.0a0.post0.dev0"},
        {"1.0a-1", "1.0a1"},
        {"1.0a.-1", "1.0a0.post1"},
        {"1.0a..post", "1.0a0.post0"},
        {"1.0+0001", "1.0+1"},
        {"1.0a-", "1.0a0"},
        {"1.0-r-", "1.0.post0"},
        {"1.0.0-beta.1", "1.0b1"},
        {"1.000000000000000000000000000000000000001", "1.1"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        RS_CHECK_INT(cmp(same[i][0], same[i][1]), 0);

    /* exact orders */
    RS_CHECK_INT(cmp("1.0.dev1", "1.0a1"), -1); /* dev-only before pre */
    RS_CHECK_INT(cmp("1.0a1.dev1", "1.0a1"), -1);
    RS_CHECK_INT(cmp("1.0.post1.dev1", "1.0.post1"), -1);
    RS_CHECK_INT(cmp("1.0.post1.dev1", "1.0"), 1);
    RS_CHECK_INT(cmp("1.0+abc", "1.0"), 1);
    RS_CHECK_INT(cmp("1.0+1", "1.0+abc"), 1); /* numbers above strings */
    RS_CHECK_INT(cmp("1.0+abc", "1.0+abc.0"), -1);
    RS_CHECK_INT(cmp("1.0+ABD", "1.0+abc"), 1);
    RS_CHECK_INT(cmp("1!0.1", "2.0"), 1);
    RS_CHECK_INT(cmp("2!1", "10!1"), -1);
    RS_CHECK_INT(cmp("1.10", "1.9"), 1);
    RS_CHECK_INT(cmp("1.0.1", "1.0.0.1"), 1);
    RS_CHECK_INT(cmp("99999999999999999999999999999", "100000000000000000000000000000"), -1);
    RS_CHECK_INT(cmp("1.0a10", "1.0a9"), 1);
    RS_CHECK_INT(cmp("1.0b1", "1.0rc0"), -1);
    RS_CHECK_INT(cmp("1.0-1", "1.0.post2"), -1);

    /* invalid: packaging's own list, LegacyVersion strings, our length bound */
    static const char *const bad[] = {
        "french toast",
        "1.0+a+",
        "1.0++",
        "1.0+_foobar",
        "1.0+foo&asd",
        "1.0+1+1",
        "1. 0",
        "1 .0",
        "1. 0a1",
        "1 .0a1",
        "1.0 a1",
        "1.0a 1",
        "\xd9\xa0\xd9\xa1.0",
        ".",
        "..",
        "1..0",
        "1.0.",
        ".1.0",
        "1..2.3",
        "",
        " ",
        "v",
        "1!",
        "!1",
        "1.0-",
        "1.0-SNAPSHOT",
        "1.0.0-beta.1.2",
        "1.0alph",
        "1.0+",
        "1.0+abc.",
        "1.0.devv",
        "vv1",
        /* packaging 23 takes U+0130 for an "i" (IGNORECASE), packaging 24 rejects it */
        "1.0+\xc4\xb0",
        "1.0\x01",
        "1.0a1a1",
        "1.0.post1.post2",
        "1.0.dev1.dev2",
        "1.0.dev1a1",
    };
    check_rejected(bad, sizeof bad / sizeof bad[0], "1.0");
    RS_CHECK_INT(cmp(NULL, "1.0"), CMP_INVALID);
    RS_CHECK_INT(S->valid(NULL), 0);
    RS_CHECK_INT(S->valid("1.0rc1.post2.dev3+local.7"), 1);

    char big[1100];
    memset(big, '1', sizeof big);
    big[1024] = '\0'; /* 1024 bytes: the limit */
    RS_CHECK_INT(cmp(big, "1"), 1);
    big[1024] = '1';
    big[1025] = '\0';
    RS_CHECK_INT(cmp(big, "1"), CMP_INVALID);
    return RS_TEST_RESULT();
}
