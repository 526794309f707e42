/* test_dpkg.c - the dpkg analyzer on a realistic status file, a distroless
 * status.d file and malformed input. */
#include "analyzer_check.h"
#include "analyzers/dpkg_int.h"
#include "base.h"
#include "rs_test.h"
#include "rs_testfile.h"

static char *load(const char *rel, size_t *len)
{
    return rs_test_load(rel, 1 << 20, len);
}

static const rs_pkg *find(const rs_analysis *a, const char *name)
{
    for (size_t i = 0; i < a->n_pkgs; i++)
        if (strcmp(a->pkgs[i].name, name) == 0)
            return &a->pkgs[i];
    return NULL;
}

static void test_wants(void)
{
    const rs_analyzer *d = &rs_analyzer_dpkg;
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status"), 1);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status.d/libssl3"), 1);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status.d/libssl3.md5sums"), 0);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status.d/"), 0);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status.d/sub/x"), 0);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/status-old"), 0);
    RS_CHECK_INT(d->wants("/var/lib/dpkg/available"), 0);
}

static void test_status(void)
{
    size_t len;
    char *data = load("dpkg/status", &len);
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(rs_analyzer_dpkg.parse("/var/lib/dpkg/status", data, len, &a, err, sizeof err), 0);
    RS_CHECK_INT(a.n_pkgs, 5); /* base-files bsdutils libc6 tzdata(hold) zlib1g */
    RS_CHECK_INT(a.n_malformed, 1);
    RS_CHECK(find(&a, "oldpkg") == NULL); /* deinstall ok config-files */
    RS_CHECK(find(&a, "broken-no-version") == NULL);
    const rs_pkg *p = find(&a, "base-files");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->type, "dpkg");
    RS_CHECK_STR(p->version, "12.4+deb12u5");
    RS_CHECK_STR(p->arch, "amd64");
    RS_CHECK_STR(p->source_name, "base-files"); /* Source defaults to the package */
    RS_CHECK_STR(p->path, "/var/lib/dpkg/status");
    RS_CHECK_STR(p->layer, NULL);
    p = find(&a, "bsdutils");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "1:2.38.1-5+b1");
    RS_CHECK_STR(p->source_name, "util-linux");
    RS_CHECK_STR(p->source_version, "2.38.1-5");
    p = find(&a, "libc6");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->source_name, "glibc");
    RS_CHECK_STR(p->source_version, NULL);
    RS_CHECK_STR(p->version, "2.36-9+deb12u4");
    p = find(&a, "tzdata");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->arch, "all");
    p = find(&a, "zlib1g"); /* field names in odd case */
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "1:1.2.13.dfsg-1");
    RS_CHECK_STR(p->arch, "amd64");
    RS_CHECK_STR(p->source_name, "zlib");
    rs_analysis_clear(&a);
    free(data);
}

static void test_status_d(void)
{
    size_t len;
    char *data = load("dpkg/status.d/libssl3", &len);
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(
        rs_analyzer_dpkg.parse("/var/lib/dpkg/status.d/libssl3", data, len, &a, err, sizeof err),
        0);
    RS_REQUIRE(a.n_pkgs == 1);
    RS_CHECK_STR(a.pkgs[0].name, "libssl3");
    RS_CHECK_STR(a.pkgs[0].version, "3.0.11-1~deb12u2");
    RS_CHECK_STR(a.pkgs[0].source_name, "openssl");
    RS_CHECK_STR(a.pkgs[0].path, "/var/lib/dpkg/status.d/libssl3");
    rs_analysis_clear(&a);
    /* the same stanza in the main database lacks Status: not installed */
    RS_CHECK_INT(rs_analyzer_dpkg.parse("/var/lib/dpkg/status", data, len, &a, err, sizeof err), 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    rs_analysis_clear(&a);
    free(data);
}

static size_t count(const char *text, size_t *malformed)
{
    return count_pkgs(&rs_analyzer_dpkg, "/var/lib/dpkg/status", text, malformed);
}

static void test_malformed(void)
{
    size_t m;
    RS_CHECK_INT(count("", &m), 0);
    RS_CHECK_INT(m, 0);
    RS_CHECK_INT(count("\n\n\n", &m), 0);
    RS_CHECK_INT(m, 0);
    /* no trailing newline, CRLF line ends */
    RS_CHECK_INT(count("Package: a1\r\nStatus: install ok installed\r\nVersion: 1.0\r\n", &m), 1);
    RS_CHECK_INT(count("Package: a1\nStatus: install ok installed\nVersion: 1.0", &m), 1);
    /* continuation before any field */
    RS_CHECK_INT(count(" orphan\nPackage: a1\nStatus: install ok installed\nVersion: 1\n", &m), 0);
    RS_CHECK_INT(m, 1);
    /* a line without a colon */
    RS_CHECK_INT(count("Package: a1\ngarbage\nStatus: install ok installed\nVersion: 1\n", &m), 0);
    RS_CHECK_INT(m, 1);
    /* a continuation of Version (ours are single-line) */
    RS_CHECK_INT(count("Package: a1\nStatus: install ok installed\nVersion: 1\n 2\n", &m), 0);
    RS_CHECK_INT(m, 1);
    /* a duplicated field, a bad epoch, a bad name, a bad Source */
    RS_CHECK_INT(count("Package: a1\nPackage: a2\nStatus: install ok installed\nVersion: 1\n\n"
                       "Package: b1\nStatus: install ok installed\nVersion: x:1\n\n"
                       "Package: c d\nStatus: install ok installed\nVersion: 1\n\n"
                       "Package: e1\nStatus: install ok installed\nVersion: 1\nSource: s (1\n\n"
                       "Package: ok\nStatus: install ok installed\nVersion: 2\nSource: s (1)\n",
                       &m),
                 1);
    RS_CHECK_INT(m, 4);
    /* binary junk never crashes */
    char junk[512];
    for (size_t i = 0; i < sizeof junk - 1; i++)
        junk[i] = (char)((i * 131 + 7) % 251 + 1);
    junk[sizeof junk - 1] = '\0';
    (void)count(junk, &m);
    /* status words must be exact */
    RS_CHECK_INT(count("Package: a1\nStatus: install ok half-installed\nVersion: 1\n", &m), 0);
    RS_CHECK_INT(m, 0);
    RS_CHECK_INT(count("Package: a1\nStatus: purge ok not-installed\nVersion: 1\n", &m), 0);
}

#define FFFD "\xEF\xBF\xBD"

/* Bytes that are not UTF-8 in the fields kept become U+FFFD and flag the
 * package: Architecture is free-form, Version and Source take bytes >= 0x80
 * as dpkg's status parser does; Package names stay strict, as dpkg's are. */
static void test_invalid_utf8(void)
{
    static const char db[] =
        "Package: archbad\nStatus: install ok installed\nArchitecture: amd\xFF"
        "64\nVersion: 1.0-1\n\n"
        "Package: verbad\nStatus: install ok installed\nVersion: 1.0\xE2\x82-1\n\n"
        "Package: srcbad\nStatus: install ok installed\nArchitecture: all\n"
        "Source: src\xC3 (2.0\xED\xA0\x80-1)\nVersion: 2.0-1+b1\n\n"
        "Package: nulbad\nStatus: install ok installed\nArchitecture: amd\0"
        "64\nVersion: 3.0-1\n\n"
        "Package: clean\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n"
        "Package: b\xFFname\nStatus: install ok installed\nVersion: 1\n\n"
        "Package: ctrl\nStatus: install ok installed\nVersion: 1\x1B[0m\n";
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(
        rs_analyzer_dpkg.parse("/var/lib/dpkg/status", db, sizeof db - 1, &a, err, sizeof err), 0);
    RS_CHECK_INT(a.n_pkgs, 5);
    RS_CHECK_INT(a.n_malformed, 2); /* the name with 0xFF, the version with ESC */
    const rs_pkg *p = find(&a, "archbad");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->arch, "amd" FFFD "64");
    RS_CHECK_STR(p->version, "1.0-1");
    RS_CHECK_STR(p->source_name, "archbad");
    RS_CHECK_INT(p->text_replaced, 1);
    p = find(&a, "verbad");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "1.0" FFFD "-1"); /* E2 82: one maximal subpart */
    RS_CHECK_STR(p->source_name, "verbad");
    RS_CHECK_STR(p->source_version, NULL);
    RS_CHECK_STR(p->arch, NULL);
    RS_CHECK_INT(p->text_replaced, 1);
    p = find(&a, "srcbad");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->source_name, "src" FFFD);
    RS_CHECK_STR(p->source_version, "2.0" FFFD FFFD FFFD "-1"); /* a surrogate: 3 subparts */
    RS_CHECK_STR(p->version, "2.0-1+b1");
    RS_CHECK_INT(p->text_replaced, 1);
    p = find(&a, "nulbad");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->arch, "amd" FFFD "64");
    RS_CHECK_INT(p->text_replaced, 1);
    p = find(&a, "clean");
    RS_REQUIRE(p);
    RS_CHECK_INT(p->text_replaced, 0);
    rs_analysis_clear(&a);

    /* a status.d file named with bytes that are not UTF-8: the path is flagged */
    static const char one[] = "Package: tzdata\nVersion: 2024a-0+deb12u1\n";
    RS_CHECK_INT(rs_analyzer_dpkg.parse("/var/lib/dpkg/status.d/tzdata\xFF", one, sizeof one - 1,
                                        &a, err, sizeof err),
                 0);
    RS_REQUIRE(a.n_pkgs == 1);
    RS_CHECK_STR(a.pkgs[0].path, "/var/lib/dpkg/status.d/tzdata" FFFD);
    RS_CHECK_STR(a.pkgs[0].version, "2024a-0+deb12u1");
    RS_CHECK_INT(a.pkgs[0].text_replaced, 1);
    rs_analysis_clear(&a);
}

int main(void)
{
    test_wants();
    test_status();
    test_status_d();
    test_malformed();
    test_invalid_utf8();
    return RS_TEST_RESULT();
}
