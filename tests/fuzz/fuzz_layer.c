/* fuzz_layer.c - libFuzzer target for rs_layer_analyze over a memory reader:
 * layer blobs (tar, gzip, zstd) are untrusted. Limits are small so that a
 * bomb fails fast; a result that comes out goes through its JSON form and
 * back, as it does between the sandboxed child and the worker. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "index.h"
#include "base.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    const rs_layer_limits limits = {
        .max_entries = 1000,
        .max_uncompressed_bytes = 8u << 20,
        .max_ratio = 100.0,
        .ratio_min_bytes = 1u << 20,
        .max_path_len = 1024,
    };
    rs_layer_result *res = NULL, *again = NULL;
    json_t *enc = NULL;
    rs_reader *r = rs_reader_mem_new(data, size);
    if (!r)
        return 0;
    if (rs_layer_analyze(r, NULL, &limits, &res, errstr, sizeof errstr) != 0)
        goto out;
    if (!(enc = rs_layer_result_to_json(res)))
        goto out;
    if (rs_layer_result_from_json(enc, &again, errstr, sizeof errstr) != 0)
        abort();
out:
    rs_layer_result_free(again);
    rs_layer_result_free(res);
    json_decref(enc);
    rs_reader_destroy(r);
    return 0;
}
