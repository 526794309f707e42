/* fuzz_gobinary.c - libFuzzer target for the gobinary analyzer: its input is a file of
 * a layer, untrusted and not NUL-terminated; files over the analyzer's size
 * limit are never handed to it, so they are not fuzzed. */
#include <stddef.h>
#include <stdint.h>

#include "index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_analysis an = {0};
    const rs_analyzer *a = rs_analyzer_find("gobinary");
    if (!a || size > a->max_file_size)
        return 0;
    (void)a->parse("/usr/bin/app", (const char *)data, size, &an, errstr, sizeof errstr);
    rs_analysis_clear(&an);
    return 0;
}
