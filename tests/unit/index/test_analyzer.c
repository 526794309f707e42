/* test_analyzer.c - the analyzer registry: every analyzer carries its own
 * version, and the index stage's version is derived from all of them. */
#include "index.h"
#include "rs_test.h"
#include "scan.h"
#include "base.h"

#include <stdio.h>
#include <string.h>

static void test_versions(void)
{
    const rs_analyzer *const *all = rs_analyzers_all();
    char list[1024] = "";
    size_t o = 0, count = 0;
    for (size_t i = 0; all[i]; i++, count++) {
        /* "<name>/<n>", n a positive number */
        const char *v = all[i]->version;
        RS_REQUIRE(v);
        size_t nl = strlen(all[i]->name);
        RS_CHECK_INT(strncmp(v, all[i]->name, nl), 0);
        RS_CHECK_INT(v[nl], '/');
        RS_CHECK(v[nl + 1] >= '1' && v[nl + 1] <= '9');
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? "," : "", v);
        RS_REQUIRE(o < sizeof list);
    }
    RS_CHECK_INT(count, 17);
    RS_CHECK_STR(rs_analyzers_list(), "dpkg/2,apk/3,os-release/2,rpmdb/1,rpm-manifest/1,"
                                      "dpkg-files/1,npm/1,npm-lock/1,python/1,gem/1,dotnet/1,"
                                      "composer/1,jar/1,gobinary/1,rust-binary/1,secrets/1,files/1");
    RS_CHECK_STR(rs_analyzers_list(), list);

    char digest[RS_DIGEST_SIZE], want[64];
    rs_sha256_digest(list, strlen(list), digest);
    snprintf(want, sizeof want, "regscan-index/3-%.12s", digest + 7);
    RS_CHECK_STR(rs_analyzers_version(), want);
    RS_CHECK_STR(RS_ANALYZER_VERSION, want);
    RS_CHECK_INT(strlen(RS_ANALYZER_VERSION), 28);
    /* the same storage each time: callers keep the pointer */
    RS_CHECK(rs_analyzers_version() == rs_analyzers_version());
    /* the value pinned: a change here is a rescan of every image */
    RS_CHECK_STR(rs_analyzers_version(), "regscan-index/3-66b4b8380b05");
}

int main(void)
{
    test_versions();
    return RS_TEST_RESULT();
}
