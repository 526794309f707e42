/* fuzz_secrets.c - libFuzzer target for the secret scanner: the input (any
 * bytes, a file of a layer) is fed in chunks whose size the first byte picks,
 * through the portable finder and, when the build has it, Hyperscan's; the
 * two must report the same findings (abort otherwise), each redacted ("****"
 * in every match). Then the secrets analyzer's stream over the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "secrets/scanner_int.h"

static void scan(const uint8_t *data, size_t size, size_t chunk, rs_secrets_backend b,
                 rs_secrets *out)
{
    rs_secrets_stream *s = rs_secrets_stream_new(b);
    if (!s)
        abort();
    for (size_t o = 0; o < size; o += chunk)
        if (rs_secrets_stream_feed(s, data + o, size - o < chunk ? size - o : chunk))
            abort();
    if (rs_secrets_stream_end(s, out))
        abort();
    rs_secrets_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = 1 + (size_t)data[0] * 37;
    data++;
    size--;
    rs_secrets p = {0}, h = {0};
    scan(data, size, chunk, RS_SECRETS_PORTABLE, &p);
    for (size_t i = 0; i < p.n; i++)
        if (!strstr(p.items[i].match, "****"))
            abort();
    if (rs_secrets_backend_available(RS_SECRETS_HYPERSCAN)) {
        scan(data, size, chunk, RS_SECRETS_HYPERSCAN, &h);
        if (h.n != p.n)
            abort();
        for (size_t i = 0; i < p.n; i++)
            if (strcmp(h.items[i].rule, p.items[i].rule) || h.items[i].line != p.items[i].line ||
                strcmp(h.items[i].match, p.items[i].match))
                abort();
    }
    rs_secrets_clear(&p);
    rs_secrets_clear(&h);

    const rs_analyzer *a = rs_analyzer_find("secrets");
    void *st = NULL;
    char err[256];
    rs_analysis an = {0};
    if (!a || a->begin("/app/.env", size, &st, err, sizeof err))
        abort();
    for (size_t o = 0; o < size; o += chunk)
        a->feed(st, data + o, size - o < chunk ? size - o : chunk);
    a->end(st, &an, err, sizeof err);
    rs_analysis_clear(&an);
    return 0;
}
