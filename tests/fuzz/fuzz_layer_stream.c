/* fuzz_layer_stream.c - libFuzzer target for the stream form of a layer
 * result (rs_layer_stream_*), what the sandboxed child writes to its parent:
 * untrusted. The input, fed in chunks of a size its first byte picks, is
 * decoded; a result is written again, must decode again, and both decodings
 * must have the same JSON form. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "index.h"

static rs_layer_result *decode(const uint8_t *data, size_t size, size_t step)
{
    char errstr[512];
    rs_layer_result *r = NULL;
    rs_layer_stream *d = rs_layer_stream_new();
    int rc = d ? 0 : -1;
    for (size_t off = 0; !rc && off < size; off += step)
        rc = rs_layer_stream_feed(d, data + off, size - off < step ? size - off : step, errstr,
                                  sizeof errstr);
    if (!rc)
        rs_layer_stream_finish(d, &r, errstr, sizeof errstr);
    rs_layer_stream_free(d);
    return r;
}

static int to_buf(const char *s, size_t n, void *ctx)
{
    return rs_buf_append(ctx, s, n) ? RS_ERR_INTERNAL : 0;
}

static char *dump(const rs_layer_result *r)
{
    json_t *j = rs_layer_result_to_json(r);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = 1 + (size_t)data[0] * 257;
    rs_layer_result *r = decode(data + 1, size - 1, step), *again = NULL;
    rs_buf b = {0};
    char *x = NULL, *y = NULL;
    if (!r || rs_layer_result_write_stream(r, to_buf, &b))
        goto out;
    if (!(again = decode((const uint8_t *)b.data, b.len, 4096)))
        abort();
    x = dump(r);
    y = dump(again);
    if (x && y && strcmp(x, y) != 0)
        abort();
out:
    free(x);
    free(y);
    rs_buf_free(&b);
    rs_layer_result_free(again);
    rs_layer_result_free(r);
    return 0;
}
