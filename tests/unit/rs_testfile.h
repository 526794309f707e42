/* rs_testfile.h - reading a file of tests/data whole, for the unit tests that
 * parse one (test_apk.c, test_dpkg.c, test_osrelease.c, test_auth.c,
 * test_manifest.c). A file that cannot be read stops the test (RS_REQUIRE). */
#ifndef RS_TESTFILE_H
#define RS_TESTFILE_H

#include "base.h"
#include "rs_test.h"

/* The contents of tests/data/<rel>, at most max bytes, and their size in *len;
 * the caller frees them. */
static inline char *rs_test_load(const char *rel, size_t max, size_t *len)
{
    char path[1024], errstr[256];
    char *data = NULL;
    rs_reader *r = rs_reader_file_new(rs_test_data(rel, path, sizeof path), errstr, sizeof errstr);
    RS_REQUIRE(r != NULL);
    RS_REQUIRE(rs_reader_slurp(r, max, &data, len, errstr, sizeof errstr) == 0);
    rs_reader_destroy(r);
    return data;
}

#endif
