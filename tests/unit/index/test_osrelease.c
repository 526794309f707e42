/* test_osrelease.c - the os-release analyzer: real files, quoting rules,
 * bytes that are not UTF-8 and cuts on character boundaries. */
#include "analyzers/osrelease_int.h"
#include "base.h"
#include "rs_test.h"
#include "rs_testfile.h"

static rs_os parse_file(const char *rel)
{
    char err[256];
    size_t len;
    char *data = rs_test_load(rel, 1 << 16, &len);
    rs_analysis a = {0};
    RS_CHECK_INT(rs_analyzer_osrelease.parse("/etc/os-release", data, len, &a, err, sizeof err), 0);
    RS_CHECK_INT(a.n_pkgs, 0);
    free(data);
    return a.os;
}

static rs_os parse_text(const char *text, size_t *malformed)
{
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(
        rs_analyzer_osrelease.parse("/usr/lib/os-release", text, strlen(text), &a, err, sizeof err),
        0);
    *malformed = a.n_malformed;
    return a.os;
}

#define FFFD "\xEF\xBF\xBD"

/* "KEY=\"" + prefix + count times unit + "\"\n" into buf. */
static const char *repeat_value(char *buf, size_t size, const char *key, const char *prefix,
                                const char *unit, size_t count)
{
    size_t o = (size_t)snprintf(buf, size, "%s=\"%s", key, prefix);
    for (size_t i = 0; i < count && o + strlen(unit) < size; i++, o += strlen(unit))
        memcpy(buf + o, unit, strlen(unit));
    snprintf(buf + o, size - o, "\"\n");
    return buf;
}

/* k when s is exactly k times unit, else -1. */
static int units(const char *s, const char *unit)
{
    size_t n = strlen(s), u = strlen(unit);
    if (n % u)
        return -1;
    for (size_t i = 0; i < n; i += u)
        if (memcmp(s + i, unit, u) != 0)
            return -1;
    return (int)(n / u);
}

static void test_utf8(void)
{
    char text[1024];
    size_t m;
    /* 200 'é' (400 bytes): the 127 bytes of the field hold 63 of them, 126 bytes */
    rs_os os = parse_text(repeat_value(text, sizeof text, "PRETTY_NAME", "", "\xC3\xA9", 200), &m);
    RS_CHECK_INT(strlen(os.pretty_name), 126);
    RS_CHECK_INT(units(os.pretty_name, "\xC3\xA9"), 63);
    RS_CHECK_INT(os.text_replaced, 0);
    RS_CHECK_INT(m, 0);
    /* after one ASCII byte, the 63rd 'é' ends on the field's last byte */
    os = parse_text(repeat_value(text, sizeof text, "PRETTY_NAME", "x", "\xC3\xA9", 200), &m);
    RS_CHECK_INT(strlen(os.pretty_name), 127);
    RS_CHECK_INT(units(os.pretty_name + 1, "\xC3\xA9"), 63);
    /* a U+FFFD counts 3 bytes: FFFD + 62 'é' = 127 */
    os = parse_text(repeat_value(text, sizeof text, "PRETTY_NAME", "\xFF", "\xC3\xA9", 199), &m);
    RS_CHECK_INT(strlen(os.pretty_name), 127);
    RS_CHECK_INT(memcmp(os.pretty_name, FFFD, 3), 0);
    RS_CHECK_INT(units(os.pretty_name + 3, "\xC3\xA9"), 62);
    RS_CHECK_INT(os.text_replaced, 1);
    /* a 4-byte character that does not fit is left out whole */
    os = parse_text(repeat_value(text, sizeof text, "PRETTY_NAME", "", "a", 124), &m);
    RS_CHECK_INT(units(os.pretty_name, "a"), 124);
    size_t n = strlen(text);
    memcpy(text + n - 2, "\xF0\x9F\x98\x80\"\n", 7);
    os = parse_text(text, &m);
    RS_CHECK_INT(units(os.pretty_name, "a"), 124);
    RS_CHECK_INT(os.text_replaced, 0);

    os = parse_text("ID=debian\nVERSION_ID=12\nVERSION_CODENAME=bookworm\xFF\n", &m);
    RS_CHECK_STR(os.id, "debian");
    RS_CHECK_STR(os.version_codename, "bookworm" FFFD);
    RS_CHECK_INT(os.text_replaced, 1);
    /* a NUL byte inside a value (the file is bytes, not a C string) */
    static const char nul[] = "ID=\"deb\0ian\"\n";
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(
        rs_analyzer_osrelease.parse("/etc/os-release", nul, sizeof nul - 1, &a, err, sizeof err),
        0);
    RS_CHECK_STR(a.os.id, "deb" FFFD "ian");
    RS_CHECK_INT(a.os.text_replaced, 1);
    /* a key given twice: the last value and its flag win */
    os = parse_text("ID=\xFF\nID=debian\n", &m);
    RS_CHECK_STR(os.id, "debian");
    RS_CHECK_INT(os.text_replaced, 0);
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
    RS_CHECK_INT(os.text_replaced, 0);
    test_utf8();
    return RS_TEST_RESULT();
}
