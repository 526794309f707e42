/* fuzz_layer_result.c - libFuzzer target for rs_layer_result_from_json: the
 * layer cache and the sandboxed analyzer child hand this JSON back, so it is
 * untrusted. A decoded result is encoded and decoded again. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_layer_result *r = NULL, *again = NULL;
    json_t *enc = NULL;
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        return 0;
    if (rs_layer_result_from_json(j, &r, errstr, sizeof errstr) != 0)
        goto out;
    if (!(enc = rs_layer_result_to_json(r)))
        goto out;
    if (rs_layer_result_from_json(enc, &again, errstr, sizeof errstr) != 0)
        abort();
out:
    rs_layer_result_free(again);
    rs_layer_result_free(r);
    json_decref(enc);
    json_decref(j);
    return 0;
}
