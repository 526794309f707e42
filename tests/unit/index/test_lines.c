/* test_lines.c - the package-database line reader: "\n" and "\r\n", a last
 * line without a newline, blank lines, a lone "\r" kept inside a line. */
#include "analyzers/lines_int.h"
#include "rs_test.h"

#include <string.h>

/* Joins the lines of s with '|' into out; returns the number of lines. */
static int split(const char *s, size_t len, char *out, size_t out_size)
{
    size_t off = 0, n, o = 0;
    const char *line;
    int count = 0;
    out[0] = '\0';
    while (rs_lines_next(s, len, &off, &line, &n)) {
        RS_REQUIRE(o + n + 2 <= out_size);
        if (count)
            out[o++] = '|';
        memcpy(out + o, line, n);
        o += n;
        out[o] = '\0';
        count++;
    }
    RS_CHECK_INT(off, len);
    return count;
}

static void test_lines(void)
{
    char out[256];
    RS_CHECK_INT(split("", 0, out, sizeof out), 0);
    RS_CHECK_STR(out, "");
    RS_CHECK_INT(split("a\n", 2, out, sizeof out), 1);
    RS_CHECK_STR(out, "a");
    RS_CHECK_INT(split("a", 1, out, sizeof out), 1);
    RS_CHECK_STR(out, "a");
    RS_CHECK_INT(split("a\r\nb\nc", 7, out, sizeof out), 3);
    RS_CHECK_STR(out, "a|b|c");
    RS_CHECK_INT(split("\n\n", 2, out, sizeof out), 2);
    RS_CHECK_STR(out, "|");
    RS_CHECK_INT(split("a\rb\r\n\r\nlast\r", 12, out, sizeof out), 3);
    RS_CHECK_STR(out, "a\rb||last");
}

static void test_not_nul_terminated(void)
{
    /* the reader never looks past len: a NUL inside a line is a byte */
    const char data[] = {'x', '\0', 'y', '\n', 'z', 'Q'};
    size_t off = 0, n;
    const char *line;
    RS_REQUIRE(rs_lines_next(data, 5, &off, &line, &n));
    RS_CHECK_INT(n, 3);
    RS_CHECK_INT(memcmp(line, "x\0y", 3), 0);
    RS_REQUIRE(rs_lines_next(data, 5, &off, &line, &n));
    RS_CHECK_INT(n, 1);
    RS_CHECK_INT(line[0], 'z');
    RS_CHECK_INT(rs_lines_next(data, 5, &off, &line, &n), 0);
    RS_CHECK_INT(off, 5);
}

int main(void)
{
    test_lines();
    test_not_nul_terminated();
    return RS_TEST_RESULT();
}
