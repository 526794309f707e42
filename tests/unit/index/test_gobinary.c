/* test_gobinary.c - the Go binary analyzer on hand-made ELF files: both
 * build-information formats, 32/64-bit, both byte orders, with and without
 * section headers, replacements, and broken blobs. Real binaries (normal,
 * PIE, stripped) are in tests/integration/test_binaries.py. */
#include "analyzers/elf_int.h"
#include "analyzers/gobinary_int.h"
#include "base.h"
#include "rs_elfbuild.h"
#include "rs_test.h"

#define SENTINEL "0123456789abcdef" /* any 16 bytes frame the module information */

static const char modinfo[] = SENTINEL "path\texample.com/m\n"
                                       "mod\texample.com/m\t(devel)\t\n"
                                       "dep\tgolang.org/x/text\tv0.3.6\th1:x=\n"
                                       "dep\tgithub.com/a/b\tv1.0.0\th1:y=\n"
                                       "=>\tgithub.com/c/d\tv1.1.0\th1:z=\n"
                                       "dep\tgithub.com/l/l\tv1.0.0\n"
                                       "=>\t../local\t\n"
                                       "dep\tbroken\n"
                                       "build\t-compiler=gc\n" SENTINEL;

/* An inline (Go >= 1.18) blob: header, then the two varint-prefixed strings. */
static size_t inline_blob(unsigned char *b, const char *vers, const char *mod, size_t modn)
{
    memset(b, 0, 32);
    memcpy(b, "\xff Go buildinf:", 14);
    b[14] = 8;
    b[15] = 2;
    size_t o = 32, vn = strlen(vers);
    b[o++] = (unsigned char)vn;
    memcpy(b + o, vers, vn);
    o += vn;
    b[o++] = (unsigned char)(0x80 | (modn & 0x7f));
    b[o++] = (unsigned char)(modn >> 7);
    memcpy(b + o, mod, modn);
    return o + modn;
}

static void check_modules(const rs_analysis *a, const char *path)
{
    RS_REQUIRE(a->n_pkgs == 5);
    const char *want[5][3] = {
        {"stdlib", "v1.21.3", "pkg:golang/stdlib@v1.21.3"},
        {"example.com/m", "(devel)", "pkg:golang/example.com/m@%28devel%29"},
        {"golang.org/x/text", "v0.3.6", "pkg:golang/golang.org/x/text@v0.3.6"},
        {"github.com/c/d", "v1.1.0", "pkg:golang/github.com/c/d@v1.1.0"},
        {"github.com/l/l", "(devel)", "pkg:golang/github.com/l/l@%28devel%29"},
    };
    for (size_t i = 0; i < 5; i++) {
        RS_CHECK_STR(a->pkgs[i].name, want[i][0]);
        RS_CHECK_STR(a->pkgs[i].version, want[i][1]);
        RS_CHECK_STR(a->pkgs[i].purl, want[i][2]);
        RS_CHECK_STR(a->pkgs[i].ecosystem, "Go");
        RS_CHECK_STR(a->pkgs[i].type, "gobinary");
        RS_CHECK_STR(a->pkgs[i].path, path);
    }
    RS_CHECK_INT(a->n_malformed, 1); /* "dep\tbroken" */
}

static int parse(const rs_elfb *e, rs_analysis *a)
{
    char err[256];
    return rs_analyzer_gobinary.parse("/bin/app", (const char *)e->b, e->len, a, err, sizeof err);
}

static void test_inline(void)
{
    static rs_elfb e;
    unsigned char blob[1024];
    size_t n = inline_blob(blob, "go1.21.3", modinfo, sizeof modinfo - 1);
    for (int stripped = 0; stripped < 2; stripped++) {
        RS_REQUIRE(rs_elfb_build(&e, 1, 0, stripped ? NULL : ".go.buildinfo", blob, n));
        rs_analysis a = {0};
        RS_CHECK_INT(parse(&e, &a), 0);
        check_modules(&a, "/bin/app");
        rs_analysis_clear(&a);
    }
    /* no framing: the toolchain alone */
    n = inline_blob(blob, "go1.21.3", "dep\tx\tv1\n", 9);
    RS_REQUIRE(rs_elfb_build(&e, 1, 0, ".go.buildinfo", blob, n));
    rs_analysis a = {0};
    RS_CHECK_INT(parse(&e, &a), 0);
    RS_CHECK_INT(a.n_pkgs, 1);
    rs_analysis_clear(&a);
}

/* The older format: pointers to string headers, 32-bit big-endian and
 * 64-bit little-endian. */
static void test_pointers(void)
{
    static rs_elfb e;
    for (int is64 = 0; is64 < 2; is64++) {
        unsigned char blob[1024] = {0};
        size_t ptr = is64 ? 8 : 4, base = RS_ELFB_VADDR + RS_ELFB_DATA;
        e.is64 = is64;
        e.big = !is64;
        memcpy(blob, "\xff Go buildinf:", 14);
        blob[14] = (unsigned char)ptr;
        blob[15] = (unsigned char)e.big;
        /* string headers at 64 and 96, strings at 128 and 144 */
        rs_elfb tmp = e; /* only for rs_elfb_put's byte order */
        size_t vn = 8, mn = sizeof modinfo - 1;
        rs_elfb_put(&tmp, 16, base + 64, (int)ptr);
        rs_elfb_put(&tmp, 16 + ptr, base + 96, (int)ptr);
        rs_elfb_put(&tmp, 64, base + 128, (int)ptr);
        rs_elfb_put(&tmp, 64 + ptr, vn, (int)ptr);
        rs_elfb_put(&tmp, 96, base + 144, (int)ptr);
        rs_elfb_put(&tmp, 96 + ptr, mn, (int)ptr);
        memcpy(tmp.b + 128, "go1.21.3", vn);
        memcpy(tmp.b + 144, modinfo, mn);
        memcpy(blob + 16, tmp.b + 16, 2 * ptr);
        memcpy(blob + 64, tmp.b + 64, 144 + mn - 64);
        RS_REQUIRE(rs_elfb_build(&e, is64, !is64, ".go.buildinfo", blob, 144 + mn));
        rs_analysis a = {0};
        RS_CHECK_INT(parse(&e, &a), 0);
        check_modules(&a, "/bin/app");
        rs_analysis_clear(&a);
        /* a pointer outside every segment */
        e.b[RS_ELFB_DATA + 16 + (is64 ? 0 : 3)] ^= 0x40;
        RS_CHECK_INT(parse(&e, &a), RS_ERR_INVALID);
        rs_analysis_clear(&a);
    }
}

static void test_broken(void)
{
    static rs_elfb e;
    unsigned char blob[1024];
    size_t n = inline_blob(blob, "go1.21.3", modinfo, sizeof modinfo - 1);
    rs_analysis a = {0};
    /* the module information runs past the section */
    RS_REQUIRE(rs_elfb_build(&e, 1, 0, ".go.buildinfo", blob, n - 10));
    RS_CHECK_INT(parse(&e, &a), RS_ERR_INVALID);
    /* a pointer size of 3 in the pointer format */
    blob[15] = 0;
    blob[14] = 3;
    RS_REQUIRE(rs_elfb_build(&e, 1, 0, ".go.buildinfo", blob, n));
    RS_CHECK_INT(parse(&e, &a), RS_ERR_INVALID);
    /* the magic not 16-aligned in the section: no blob, no package */
    unsigned char shifted[1100] = {0};
    n = inline_blob(shifted + 8, "go1.21.3", modinfo, sizeof modinfo - 1);
    RS_REQUIRE(rs_elfb_build(&e, 1, 0, ".go.buildinfo", shifted, n + 8));
    RS_CHECK_INT(parse(&e, &a), 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    /* not ELF; an ELF without a blob; a truncated ELF header */
    RS_CHECK_INT(rs_analyzer_gobinary.parse("/bin/sh", "#!/bin/sh\n", 10, &a, NULL, 0), 0);
    RS_REQUIRE(rs_elfb_build(&e, 1, 0, ".text", "\x90\x90", 2));
    RS_CHECK_INT(parse(&e, &a), 0);
    RS_CHECK_INT(rs_analyzer_gobinary.parse("/bin/x", "\x7f" "ELF\x02\x01", 6, &a, NULL, 0), 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    rs_analysis_clear(&a);
}

static void test_stdlib_version(void)
{
    const char *cases[][2] = {{"go1.21.3", "v1.21.3"},        {"go1.21", "v1.21.0"},
                              {"go1.21rc2", "v1.21.0-rc.2"},  {"go1.9beta1", "v1.9.0-beta.1"},
                              {"go1.22.0 X:boringcrypto", "v1.22.0"}};
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        RS_CHECK_INT(rs_gobinary_stdlib_version(cases[i][0], strlen(cases[i][0]), out, sizeof out), 0);
        RS_CHECK_STR(out, cases[i][1]);
    }
    const char *bad[] = {"devel go1.22-abc", "go1", "go", "1.21.3", "go1.21.3x", "go1.2.3.4",
                         "go1.21rc", "go9999999999.1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        RS_CHECK_INT(rs_gobinary_stdlib_version(bad[i], strlen(bad[i]), out, sizeof out),
                     RS_ERR_INVALID);
    RS_CHECK_INT(rs_analyzer_gobinary.executables_only, 1);
    RS_CHECK_INT(rs_analyzer_gobinary.wants("/usr/bin/anything"), 1);
}

int main(void)
{
    test_inline();
    test_pointers();
    test_broken();
    test_stdlib_version();
    return RS_TEST_RESULT();
}
