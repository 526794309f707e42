/* test_osrelease.c - the os-release analyzer: real files and quoting rules. */
#include "analyzers/osrelease.h"
#include "err.h"
#include "rs_test.h"
#include "rs_testfile.h"

static rs_os parse_file(const char *rel)
{
    char err[256];
    size_t len;
    char *data = rs_test_load(rel, 1 << 16, &len);
    rs_analysis a = {0};
    RS_CHECK_INT(rs_analyzer_osrelease.parse("/etc/os-release", data, len, &a, err, sizeof err),
                 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    free(data);
    return a.os;
}

static rs_os parse_text(const char *text, size_t *malformed)
{
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(rs_analyzer_osrelease.parse("/usr/lib/os-release", text, strlen(text), &a, err,
                                             sizeof err),
                 0);
    *malformed = a.n_malformed;
    return a.os;
}

int main(void)
{
    RS_CHECK_INT(rs_analyzer_osrelease.wants("/etc/os-release"), 1);
    RS_CHECK_INT(rs_analyzer_osrelease.wants("/usr/lib/os-release"), 1);
    RS_CHECK_INT(rs_analyzer_osrelease.wants("/etc/lsb-release"), 0);

    rs_os os = parse_file("osrelease/debian");
    RS_CHECK_INT(os.found, 1);
    RS_CHECK_STR(os.id, "debian");
    RS_CHECK_STR(os.version_id, "12");
    RS_CHECK_STR(os.version_codename, "bookworm");
    RS_CHECK_STR(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
    os = parse_file("osrelease/alpine");
    RS_CHECK_STR(os.id, "alpine");
    RS_CHECK_STR(os.version_id, "3.19.1");
    RS_CHECK_STR(os.version_codename, "");
    RS_CHECK_STR(os.pretty_name, "Alpine Linux v3.19");
    os = parse_file("osrelease/ubuntu");
    RS_CHECK_STR(os.id, "ubuntu");
    RS_CHECK_STR(os.version_id, "22.04");
    RS_CHECK_STR(os.version_codename, "jammy");

    size_t m;
    os = parse_text("# comment\n  ID='my os'\nPRETTY_NAME=\"A \\\"quoted\\\" \\$name \\\\ x\"\n"
                    "VERSION_ID=1\\ 2\nVERSION_CODENAME=abc # trailing comment\n",
                    &m);
    RS_CHECK_STR(os.id, "my os");
    RS_CHECK_STR(os.pretty_name, "A \"quoted\" $name \\ x");
    RS_CHECK_STR(os.version_id, "1 2");
    RS_CHECK_STR(os.version_codename, "abc");
    RS_CHECK_INT(m, 0);
    /* unterminated quote and a line without '=' are counted, never fatal */
    os = parse_text("ID=\"debian\nnonsense\nVERSION_ID=12\n", &m);
    RS_CHECK_STR(os.id, "");
    RS_CHECK_STR(os.version_id, "12");
    RS_CHECK_INT(m, 2);
    /* a value longer than the field is cut, not overflowed */
    char longv[400];
    memcpy(longv, "ID=", 3);
    memset(longv + 3, 'x', 300);
    longv[303] = '\0';
    os = parse_text(longv, &m);
    RS_CHECK_INT(strlen(os.id), sizeof os.id - 1);
    return RS_TEST_RESULT();
}
