/* test_path.c - the path component walker: runs of '/', leading and trailing
 * slashes, "." and ".." handed back as they are, the empty path. */
#include "base.h"
#include "rs_test.h"

#include <string.h>

/* Joins the components of path with '|' into out; returns their count. */
static int walk(const char *path, char *out, size_t out_size)
{
    const char *p = path, *c;
    size_t n, o = 0;
    int count = 0;
    out[0] = '\0';
    while (rs_path_next(&p, &c, &n)) {
        RS_REQUIRE(o + n + 2 <= out_size);
        if (count)
            out[o++] = '|';
        memcpy(out + o, c, n);
        o += n;
        out[o] = '\0';
        count++;
    }
    RS_CHECK_INT(*p, '\0');
    return count;
}

int main(void)
{
    char out[256];
    RS_CHECK_INT(walk("", out, sizeof out), 0);
    RS_CHECK_INT(walk("///", out, sizeof out), 0);
    RS_CHECK_INT(walk("/", out, sizeof out), 0);
    RS_CHECK_INT(walk("a", out, sizeof out), 1);
    RS_CHECK_STR(out, "a");
    RS_CHECK_INT(walk("/etc/os-release", out, sizeof out), 2);
    RS_CHECK_STR(out, "etc|os-release");
    RS_CHECK_INT(walk("./var//lib/./dpkg/../x/", out, sizeof out), 7);
    RS_CHECK_STR(out, ".|var|lib|.|dpkg|..|x");
    RS_CHECK_INT(walk("..", out, sizeof out), 1);
    RS_CHECK_STR(out, "..");
    return RS_TEST_RESULT();
}
