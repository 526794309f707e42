/* test_python.c - the Python analyzer: which paths, the header read up to its
 * first blank line in chunks of any size, PEP 503 names, malformed headers,
 * and a body far larger than anything held. */
#include "analyzers/python_int.h"
#include "base.h"
#include "lang_check.h"

#include <string.h>

/* Streams data through the analyzer in chunks of `chunk` bytes. */
static int stream(const char *path, const char *data, size_t len, size_t chunk, rs_analysis *a)
{
    void *st = NULL;
    char err[256];
    int rc = rs_analyzer_python.begin(path, len, &st, err, sizeof err);
    if (rc)
        return rc;
    for (size_t o = 0; o < len; o += chunk)
        RS_CHECK_INT(rs_analyzer_python.feed(st, data + o, len - o < chunk ? len - o : chunk), 0);
    return rs_analyzer_python.end(st, a, err, sizeof err);
}

static void test_wants(void)
{
    static const struct {
        const char *path;
        int want;
    } cases[] = {
        {"/usr/lib/python3/dist-packages/requests-2.25.0.dist-info/METADATA", 1},
        {"/usr/lib/python3/dist-packages/urllib3-1.26.12.egg-info/PKG-INFO", 1},
        {"/usr/lib/python3/dist-packages/six-1.16.0.egg-info", 1},
        {"/usr/lib/python3/dist-packages/requests-2.25.0.dist-info/RECORD", 0},
        {"/usr/lib/python3/dist-packages/x/METADATA", 0},
        {"/usr/lib/python3/dist-packages/x.dist-info/PKG-INFO", 0},
        {"/usr/lib/python3/dist-packages/x.egg-info/METADATA", 0},
        {"/METADATA", 0},
        {"/.dist-info/METADATA", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        RS_CHECK_INT(rs_analyzer_python.wants(cases[i].path), cases[i].want);
}

static void test_metadata(void)
{
    static const char path[] = "/site/Zope.Interface_Extras-5.4.0.dist-info/METADATA";
    size_t len;
    char *data = rs_test_load("python/METADATA", 1 << 20, &len);
    static const size_t chunks[] = {1, 2, 7, 64, 1 << 20};
    static const lang_want want[] = {
        {"zope-interface-extras", "5.4.0", "pkg:pypi/zope-interface-extras@5.4.0"}};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        rs_analysis a = {0};
        RS_CHECK_INT(stream(path, data, len, chunks[c], &a), 0);
        check_pkgs(&a, "python", "PyPI", path, want, 1);
        RS_CHECK_INT(a.n_malformed, 0);
        rs_analysis_clear(&a);
    }
    free(data);

    /* CRLF, no blank line, no final newline: PKG-INFO of an egg */
    static const char egg[] = "/usr/lib/python3/dist-packages/six-1.16.0.egg-info";
    data = rs_test_load("python/PKG-INFO", 1 << 20, &len);
    rs_analysis a = {0};
    RS_CHECK_INT(stream(egg, data, len, 5, &a), 0);
    static const lang_want six[] = {{"six", "1.16.0", "pkg:pypi/six@1.16.0"}};
    check_pkgs(&a, "python", "PyPI", egg, six, 1);
    rs_analysis_clear(&a);
    free(data);
}

static size_t count(const char *text, size_t *malformed)
{
    rs_analysis a = {0};
    RS_CHECK_INT(stream("/x.dist-info/METADATA", text, strlen(text), 3, &a), 0);
    size_t n = a.n_pkgs;
    *malformed = a.n_malformed;
    rs_analysis_clear(&a);
    return n;
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        "",
        "Name: x\n",
        "Version: 1\n",
        "Name: x\n\nVersion: 1\n", /* the body is no header */
        "Name: x\nName: y\nVersion: 1\n",
        "Name: -x\nVersion: 1\n",
        "Name: x-\nVersion: 1\n",
        "Name: a b\nVersion: 1\n",
        "Name: caf\xC3\xA9\nVersion: 1\n",
        "Name: x\nVersion: 1 2\n",
        "Name:\nVersion: 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t m;
        RS_CHECK_INT(count(bad[i], &m), 0);
        RS_CHECK_INT(m, 1);
    }
    size_t m;
    RS_CHECK_INT(count("name:   A__b..C  \nVERSION:\t1.0rc1\n", &m), 1);
    RS_CHECK_INT(m, 0);
    char norm[16];
    RS_CHECK_INT(rs_python_normalize("A__b..C", 7, norm, sizeof norm), 0);
    RS_CHECK_STR(norm, "a-b-c");
    RS_CHECK_INT(rs_python_normalize("a-_-.b", 6, norm, sizeof norm), 0);
    RS_CHECK_STR(norm, "a-b");
    RS_CHECK_INT(rs_python_normalize("abcdefghijklmnopq", 17, norm, sizeof norm), -1);
}

/* A header line far longer than the line buffer is skipped, and a body of
 * 40 MB is streamed through without being held; abandoning a file (end with
 * no output) frees everything. */
static void test_large(void)
{
    size_t big = 40u << 20;
    char *data = malloc(big);
    RS_REQUIRE(data);
    static const char head[] = "Name: big\nVersion: 2\n";
    memset(data, 'x', big);
    memcpy(data, "Summary: ", 9);
    data[100000] = '\n';
    memcpy(data + 100001, head, sizeof head - 1);
    data[100001 + sizeof head - 1] = '\n';
    rs_analysis a = {0};
    RS_CHECK_INT(stream("/b.dist-info/METADATA", data, big, 65536, &a), 0);
    static const lang_want want[] = {{"big", "2", "pkg:pypi/big@2"}};
    check_pkgs(&a, "python", "PyPI", "/b.dist-info/METADATA", want, 1);
    rs_analysis_clear(&a);
    free(data);
    void *st = NULL;
    char err[256];
    RS_CHECK_INT(rs_analyzer_python.begin("/x.dist-info/METADATA", 5, &st, err, sizeof err), 0);
    RS_CHECK_INT(rs_analyzer_python.feed(st, "Name: x\n", 8), 0);
    RS_CHECK_INT(rs_analyzer_python.end(st, NULL, err, sizeof err), 0);
    RS_CHECK(rs_analyzer_python.max_file_size == 16u << 20);
}

int main(void)
{
    test_wants();
    test_metadata();
    test_malformed();
    test_large();
    return RS_TEST_RESULT();
}
