/* rs-index-layer - the index stage alone: one layer blob (tar, gzip or zstd)
 * from a file, its analysis as JSON on stdout; with a second argument, a
 * vulnerability snapshot loaded too (the match stage's library). It links only
 * the index and match libraries (and base, model), so the test lint.link_deps
 * can check on it that they need no libcurl, librdkafka or hiredis: what a
 * sandboxed parser process will be.
 *
 * usage: rs-index-layer LAYER [VULNDB] */
#include "base.h"
#include "index.h"
#include "match.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char errstr[1024];
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: rs-index-layer LAYER [VULNDB]\n");
        return 2;
    }
    rs_reader *in = rs_reader_file_new(argv[1], errstr, sizeof errstr);
    if (!in) {
        fprintf(stderr, "rs-index-layer: %s\n", errstr);
        return 2;
    }
    rs_layer_result *res = NULL;
    int rc = rs_layer_analyze(in, NULL, NULL, &res, errstr, sizeof errstr);
    rs_reader_destroy(in);
    if (rc) {
        fprintf(stderr, "rs-index-layer: %s\n", errstr);
        return rs_err_exit_code(rc);
    }
    json_t *j = rs_layer_result_to_json(res);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (s)
        printf("%s\n", s);
    free(s);
    json_decref(j);
    rs_layer_result_free(res);
    if (argc == 3) {
        rs_vulndb *db = NULL;
        rs_vulndb_stats st;
        if ((rc = rs_vulndb_load(argv[2], &db, &st, errstr, sizeof errstr))) {
            fprintf(stderr, "rs-index-layer: %s\n", errstr);
            return rs_err_exit_code(rc);
        }
        printf("%zu records\n", rs_vulndb_count(db));
        rs_vulndb_destroy(db);
    }
    return s ? 0 : 3;
}
