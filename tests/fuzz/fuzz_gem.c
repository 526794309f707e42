/* fuzz_gem.c - libFuzzer target for the gem analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("gem", "/g/specifications/x.gemspec", data, size);
    return 0;
}
