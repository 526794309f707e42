/* test_dpkgfiles.c - the dpkg file-list analyzer: .list and distroless
 * .md5sums files, paths normalised, the root and escaping paths left out. */
#include "analyzers/dpkgfiles_int.h"
#include "base.h"
#include "lang_check.h"

static void test_wants(void)
{
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/info/python3-six.list"), 1);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/info/libc6:amd64.list"), 1);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/info/python3-six.md5sums"), 0);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/info/x/y.list"), 0);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/info/.list"), 0);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/status.d/base.md5sums"), 1);
    RS_CHECK_INT(rs_analyzer_dpkgfiles.wants("/var/lib/dpkg/status.d/base"), 0);
}

static void test_list(void)
{
    rs_analysis a = {0};
    parse_data(&rs_analyzer_dpkgfiles, "dpkgfiles/python3-six.list",
               "/var/lib/dpkg/info/python3-six.list", &a);
    static const char *const want[] = {
        "/usr",
        "/usr/lib",
        "/usr/lib/python3",
        "/usr/lib/python3/dist-packages",
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info",
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
        "/usr/lib/python3/dist-packages/six.py",
    };
    RS_REQUIRE(a.n_owned == 7);
    for (size_t i = 0; i < 7; i++)
        RS_CHECK_STR(a.owned[i], want[i]);
    RS_CHECK_INT(a.n_pkgs, 0);
    RS_CHECK_INT(a.n_malformed, 1); /* the ".." path */
    rs_analysis_clear(&a);
}

static void test_md5sums(void)
{
    static const char md5[] = "d41d8cd98f00b204e9800998ecf8427e  usr/lib/os-release\n"
                              "d41d8cd98f00b204e9800998ecf8427e  ./usr//share/x\n"
                              "no-two-spaces usr/x\n"
                              "\n";
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(rs_analyzer_dpkgfiles.parse("/var/lib/dpkg/status.d/base.md5sums", md5,
                                             sizeof md5 - 1, &a, err, sizeof err),
                 0);
    RS_REQUIRE(a.n_owned == 2);
    RS_CHECK_STR(a.owned[0], "/usr/lib/os-release");
    RS_CHECK_STR(a.owned[1], "/usr/share/x");
    RS_CHECK_INT(a.n_malformed, 1);
    rs_analysis_clear(&a);
}

int main(void)
{
    test_wants();
    test_list();
    test_md5sums();
    return RS_TEST_RESULT();
}
