/* fuzz_rpmmanifest.c - libFuzzer target for the Azure Linux rpm manifest analyzer: the input is the file as a
 * layer holds it, untrusted and not NUL-terminated; files over the analyzer's
 * size limit are never handed to it, so they are not fuzzed. */
#include <stddef.h>
#include <stdint.h>

#include "index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_analysis an = {0};
    const rs_analyzer *a = rs_analyzer_find("rpm-manifest");
    if (!a || size > a->max_file_size)
        return 0;
    (void)a->parse("/var/lib/rpmmanifest/container-manifest-2", (const char *)data, size, &an, errstr, sizeof errstr);
    rs_analysis_clear(&an);
    return 0;
}
