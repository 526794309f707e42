/* fuzz_manifest.c - libFuzzer target for rs_manifest_parse: registry and
 * OCI-layout manifests and indexes are untrusted. The content type is left
 * to the document; entries of a parsed index go through the skip rules. */
#include <stddef.h>
#include <stdint.h>

#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_manifest *m = NULL;
    if (rs_manifest_parse(data, size, NULL, &m, errstr, sizeof errstr) != 0)
        return 0;
    for (size_t i = 0; i < m->n_manifests; i++) {
        char plat[160];
        rs_platform_format(&m->manifests[i].platform, plat, sizeof plat);
        (void)rs_manifest_entry_skip(&m->manifests[i], NULL, 0);
    }
    rs_manifest_free(m);
    return 0;
}
