/* fuzz_composer.c - libFuzzer target for the composer analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("composer", "/app/vendor/composer/installed.json", data, size);
    return 0;
}
