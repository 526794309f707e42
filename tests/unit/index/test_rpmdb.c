/* test_rpmdb.c - the rpm header parser on headers built here (tags, file
 * lists of both kinds, an epoch, hostile offsets and counts), the ndb and
 * bdb readers on what is not their format, and the Azure Linux manifest. */
#include "index.h"
#include "analyzers/rpmbdb_int.h"
#include "analyzers/rpmdb_int.h"
#include "analyzers/rpmhdr_int.h"
#include "analyzers/rpmmanifest_int.h"
#include "analyzers/rpmndb_int.h"
#include "base.h"
#include "rs_test.h"

#include <string.h>

/* A header under construction: entries and data store, as lib/header.c. */
typedef struct hb {
    uint8_t idx[64 * 16], store[4096];
    size_t il, dl;
} hb;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void entry(hb *h, uint32_t tag, uint32_t type, uint32_t off, uint32_t count)
{
    uint8_t *e = h->idx + h->il++ * 16;
    put32(e, tag), put32(e + 4, type), put32(e + 8, off), put32(e + 12, count);
}

/* Strings separated by '|' as one STRING (count 1) or a STRING_ARRAY. */
static void strs(hb *h, uint32_t tag, const char *s, int array)
{
    uint32_t off = (uint32_t)h->dl, n = 1;
    for (; *s; s++) {
        h->store[h->dl++] = *s == '|' ? '\0' : (uint8_t)*s;
        n += *s == '|';
    }
    h->store[h->dl++] = '\0';
    entry(h, tag, array ? 8 : 6, off, n);
}

static void ints(hb *h, uint32_t tag, const uint32_t *v, uint32_t n)
{
    while (h->dl % 4)
        h->store[h->dl++] = 0;
    entry(h, tag, 4, (uint32_t)h->dl, n);
    for (uint32_t i = 0; i < n; i++, h->dl += 4)
        put32(h->store + h->dl, v[i]);
}

static size_t blob(const hb *h, uint8_t *out)
{
    put32(out, (uint32_t)h->il);
    put32(out + 4, (uint32_t)h->dl);
    memcpy(out + 8, h->idx, h->il * 16);
    memcpy(out + 8 + h->il * 16, h->store, h->dl);
    return 8 + h->il * 16 + h->dl;
}

static void base(hb *h, const char *name)
{
    memset(h, 0, sizeof *h);
    strs(h, RS_RPMTAG_NAME, name, 0);
    strs(h, RS_RPMTAG_VERSION, "1.2.3", 0);
    strs(h, RS_RPMTAG_RELEASE, "4.el9", 0);
    strs(h, RS_RPMTAG_ARCH, "x86_64", 0);
}

static void test_package(void)
{
    hb h;
    uint8_t b[8192];
    base(&h, "rs-suite-libs");
    uint32_t epoch = 2, di[] = {1, 0, 1};
    ints(&h, RS_RPMTAG_EPOCH, &epoch, 1);
    strs(&h, RS_RPMTAG_SOURCERPM, "rs-suite-1.2.3-4.el9.src.rpm", 0);
    strs(&h, RS_RPMTAG_VENDOR, "regscan", 0);
    strs(&h, RS_RPMTAG_BASENAMES, "a.so|rs|b.so", 1);
    strs(&h, RS_RPMTAG_DIRNAMES, "/usr/bin/|/usr/lib64/", 1);
    ints(&h, RS_RPMTAG_DIRINDEXES, di, 3);
    size_t n = blob(&h, b);
    rs_rpmhdr p;
    RS_REQUIRE(rs_rpmhdr_parse(b, n, &p) == 0);
    RS_CHECK_INT(p.has_epoch, 1);
    RS_CHECK_INT(p.vendor.n, 7);
    rs_analysis a = {0};
    RS_CHECK_INT(rs_rpmhdr_add("/var/lib/rpm/rpmdb.sqlite", b, n, &a), 0);
    RS_REQUIRE(a.n_pkgs == 1);
    RS_CHECK_STR(a.pkgs[0].type, "rpm");
    RS_CHECK_STR(a.pkgs[0].name, "rs-suite-libs");
    RS_CHECK_STR(a.pkgs[0].version, "2:1.2.3-4.el9");
    RS_CHECK_STR(a.pkgs[0].arch, "x86_64");
    RS_CHECK_STR(a.pkgs[0].source_name, "rs-suite");
    RS_CHECK_STR(a.pkgs[0].source_version, "2:1.2.3-4.el9");
    RS_CHECK_STR(a.pkgs[0].path, "/var/lib/rpm/rpmdb.sqlite");
    RS_REQUIRE(a.n_owned == 3);
    RS_CHECK_STR(a.owned[0], "/usr/lib64/a.so");
    RS_CHECK_STR(a.owned[1], "/usr/bin/rs");
    RS_CHECK_STR(a.owned[2], "/usr/lib64/b.so");
    RS_CHECK_INT(a.n_malformed, 0);
    rs_analysis_clear(&a);

    /* OLDFILENAMES, no epoch, no source rpm */
    base(&h, "old");
    strs(&h, RS_RPMTAG_OLDFILENAMES, "/bin/old|/etc/old.conf", 1);
    n = blob(&h, b);
    RS_CHECK_INT(rs_rpmhdr_add("/var/lib/rpm/Packages", b, n, &a), 0);
    RS_REQUIRE(a.n_pkgs == 1 && a.n_owned == 2);
    RS_CHECK_STR(a.pkgs[0].version, "1.2.3-4.el9");
    RS_CHECK(a.pkgs[0].source_name == NULL);
    RS_CHECK_STR(a.owned[1], "/etc/old.conf");
    rs_analysis_clear(&a);
}

/* Each hostile header: skipped, counted, nothing kept. */
static void check_bad(const uint8_t *b, size_t n, size_t pkgs, size_t owned, size_t malformed)
{
    rs_analysis a = {0};
    RS_CHECK_INT(rs_rpmhdr_add("/p", b, n, &a), 0);
    RS_CHECK_INT(a.n_pkgs, pkgs);
    RS_CHECK_INT(a.n_owned, owned);
    RS_CHECK_INT(a.n_malformed, malformed);
    rs_analysis_clear(&a);
}

static void test_hostile(void)
{
    hb h;
    uint8_t b[8192];
    base(&h, "x");
    size_t n = blob(&h, b);
    check_bad(b, n, 1, 0, 0);
    check_bad(b, n - 1, 0, 0, 1); /* the store is cut */
    check_bad(b, 7, 0, 0, 1);
    put32(b, 0x10000); /* too many entries */
    check_bad(b, n, 0, 0, 1);
    n = blob(&h, b);
    put32(b + 8 + 8, 0xfffffff0u); /* NAME's offset out of the store */
    check_bad(b, n, 0, 0, 1);
    n = blob(&h, b);
    put32(b + 8 + 4, 4); /* NAME typed INT32 */
    check_bad(b, n, 0, 0, 1);
    n = blob(&h, b);
    b[n - 1] = 'x'; /* the last string (ARCH) loses its NUL */
    check_bad(b, n, 0, 0, 1);
    /* a STRING_ARRAY counting more strings than the store holds */
    base(&h, "x");
    strs(&h, RS_RPMTAG_OLDFILENAMES, "/a", 1);
    put32(h.idx + (h.il - 1) * 16 + 12, 1000);
    n = blob(&h, b);
    check_bad(b, n, 0, 0, 1);
    /* a directory index out of range: the package stays, no file of it */
    base(&h, "x");
    uint32_t di[] = {0, 7};
    strs(&h, RS_RPMTAG_BASENAMES, "a|b", 1);
    strs(&h, RS_RPMTAG_DIRNAMES, "/d/", 1);
    ints(&h, RS_RPMTAG_DIRINDEXES, di, 2);
    n = blob(&h, b);
    check_bad(b, n, 1, 0, 1);
    /* counts that disagree */
    base(&h, "x");
    strs(&h, RS_RPMTAG_BASENAMES, "a|b", 1);
    strs(&h, RS_RPMTAG_DIRNAMES, "/d/", 1);
    ints(&h, RS_RPMTAG_DIRINDEXES, di, 1);
    n = blob(&h, b);
    check_bad(b, n, 1, 0, 1);
}

static void test_not_databases(void)
{
    char err[256];
    rs_analysis a = {0};
    static const char junk[8192] = "not a database";
    const rs_analyzer *an = &rs_analyzer_rpmdb;
    RS_CHECK_INT(an->wants("/var/lib/rpm/rpmdb.sqlite"), 1);
    RS_CHECK_INT(an->wants("/usr/lib/sysimage/rpm/Packages.db"), 1);
    RS_CHECK_INT(an->wants("/usr/share/rpm/Packages"), 1);
    RS_CHECK_INT(an->wants("/var/lib/rpm/Basenames"), 0);
    RS_CHECK_INT(an->parse("/var/lib/rpm/rpmdb.sqlite", junk, sizeof junk, &a, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK_INT(an->parse("/var/lib/rpm/Packages", junk, sizeof junk, &a, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK_INT(an->parse("/var/lib/rpm/Packages.db", junk, sizeof junk, &a, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK_INT(a.n_pkgs, 0);
    /* an ndb announcing more slot pages than allowed */
    uint8_t ndb[64] = {'R', 'p', 'm', 'P', 0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0, 0};
    RS_CHECK_INT(rs_rpmndb_each(ndb, sizeof ndb, NULL, NULL, &a.n_malformed, err, sizeof err),
                 RS_ERR_LIMIT_EXCEEDED);
    rs_analysis_clear(&a);
}

static void test_manifest(void)
{
    char err[256];
    static const char m[] =
        "rs-hello\t1.2.3-4.azl3\t1700000000\t1700000000\tMicrosoft\t(none)\t12\tx86_64\t0\t"
        "rs-hello-1.2.3-4.azl3.src.rpm\n"
        "rs-libs\t0.9-1.azl3\t1\t1\t(none)\t2\t4\tx86_64\t2\trs-0.9-1.azl3.src.rpm\n"
        "short\tline\n"
        "bad-epoch\t1-1\t1\t1\tv\tx2\t4\tnoarch\t2\t(none)\n";
    rs_analysis a = {0};
    RS_CHECK_INT(rs_analyzer_rpmmanifest.wants("/var/lib/rpmmanifest/container-manifest-2"), 1);
    RS_CHECK_INT(rs_analyzer_rpmmanifest.parse("/var/lib/rpmmanifest/container-manifest-2", m,
                                               sizeof m - 1, &a, err, sizeof err),
                 0);
    RS_REQUIRE(a.n_pkgs == 2);
    RS_CHECK_INT(a.n_malformed, 2);
    RS_CHECK_STR(a.pkgs[0].version, "1.2.3-4.azl3");
    RS_CHECK_STR(a.pkgs[0].source_name, "rs-hello");
    RS_CHECK_STR(a.pkgs[1].version, "2:0.9-1.azl3");
    RS_CHECK_STR(a.pkgs[1].source_name, "rs");
    RS_CHECK_STR(a.pkgs[1].source_version, "2:0.9-1.azl3");
    rs_analysis_clear(&a);
}

int main(void)
{
    test_package();
    test_hostile();
    test_not_databases();
    test_manifest();
    return RS_TEST_RESULT();
}
