/* test_rustaudit.c - the cargo-auditable analyzer on hand-made ELF files whose
 * .dep-v0 is compressed here with zlib: runtime and build crates, the root,
 * sources, malformed entries, truncated and oversized data. A real binary
 * is in tests/integration/test_binaries.py. */
#include "analyzers/rustaudit_int.h"
#include "base.h"
#include "rs_elfbuild.h"
#include "rs_test.h"

#include <stdlib.h>
#include <zlib.h>

static rs_elfb elf;

/* An ELF whose .dep-v0 holds `json` compressed (cut to `keep` bytes, 0: all). */
static int parse_json(const char *json, size_t keep, rs_analysis *a)
{
    uLongf n = RS_ELFB_MAX - 1024;
    static unsigned char z[RS_ELFB_MAX];
    RS_REQUIRE(compress2(z, &n, (const unsigned char *)json, strlen(json), 9) == Z_OK);
    RS_REQUIRE(rs_elfb_build(&elf, 1, 0, ".dep-v0", z, keep ? keep : n));
    char err[256];
    return rs_analyzer_rustaudit.parse("/usr/bin/app", (const char *)elf.b, elf.len, a, err,
                                      sizeof err);
}

static void test_crates(void)
{
    const char *json =
        "{\"packages\":["
        "{\"name\":\"app\",\"version\":\"0.1.0\",\"source\":\"local\",\"dependencies\":[1,2],\"root\":true},"
        "{\"name\":\"regex\",\"version\":\"1.5.4\",\"source\":\"crates.io\",\"dependencies\":[3]},"
        "{\"name\":\"cc\",\"version\":\"1.0.0\",\"source\":\"crates.io\",\"kind\":\"build\"},"
        "{\"name\":\"memchr\",\"version\":\"2.4.0\",\"source\":\"crates.io\",\"kind\":\"runtime\"},"
        "{\"name\":\"forked\",\"version\":\"1.0.0\",\"source\":\"git\"},"
        "{\"name\":\"nover\",\"source\":\"crates.io\"},"
        "{\"name\":\"bad name\",\"version\":\"1\"},"
        "7]}";
    rs_analysis a = {0};
    RS_CHECK_INT(parse_json(json, 0, &a), 0);
    RS_REQUIRE(a.n_pkgs == 4);
    const char *want[4][4] = {{"app", "0.1.0", "pkg:cargo/app@0.1.0", NULL},
                              {"regex", "1.5.4", "pkg:cargo/regex@1.5.4", "crates.io"},
                              {"memchr", "2.4.0", "pkg:cargo/memchr@2.4.0", "crates.io"},
                              {"forked", "1.0.0", "pkg:cargo/forked@1.0.0", NULL}};
    for (size_t i = 0; i < 4; i++) {
        RS_CHECK_STR(a.pkgs[i].name, want[i][0]);
        RS_CHECK_STR(a.pkgs[i].version, want[i][1]);
        RS_CHECK_STR(a.pkgs[i].purl, want[i][2]);
        RS_CHECK_STR(a.pkgs[i].ecosystem, want[i][3]);
        RS_CHECK_STR(a.pkgs[i].type, "rust-binary");
        RS_CHECK_STR(a.pkgs[i].path, "/usr/bin/app");
    }
    RS_CHECK_INT(a.n_malformed, 3);
    rs_analysis_clear(&a);
}

static void test_broken(void)
{
    rs_analysis a = {0};
    const char *json = "{\"packages\":[{\"name\":\"regex\",\"version\":\"1.5.4\",\"source\":\"crates.io\"}]}";
    RS_CHECK_INT(parse_json(json, 20, &a), RS_ERR_INVALID); /* truncated */
    RS_CHECK_INT(parse_json("{\"packages\":{}}", 0, &a), RS_ERR_INVALID);
    RS_CHECK_INT(parse_json("[1,2", 0, &a), RS_ERR_INVALID);
    /* inflates past 8 MiB */
    size_t big = (9u << 20);
    char *s = malloc(big + 32);
    RS_REQUIRE(s);
    memcpy(s, "{\"packages\":[", 13);
    memset(s + 13, ' ', big);
    memcpy(s + 13 + big, "]}", 3);
    RS_CHECK_INT(parse_json(s, 0, &a), RS_ERR_LIMIT_EXCEEDED);
    free(s);
    RS_CHECK_INT(a.n_pkgs, 0);
    /* no section, or not ELF: nothing */
    RS_REQUIRE(rs_elfb_build(&elf, 0, 1, ".text", "x", 1));
    RS_CHECK_INT(rs_analyzer_rustaudit.parse("/a", (const char *)elf.b, elf.len, &a, NULL, 0), 0);
    RS_CHECK_INT(rs_analyzer_rustaudit.parse("/a", "MZ\x90", 3, &a, NULL, 0), 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    rs_analysis_clear(&a);
}

int main(void)
{
    test_crates();
    test_broken();
    return RS_TEST_RESULT();
}
