/* fuzz_npm.c - libFuzzer target for the npm analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("npm", "/app/node_modules/x/package.json", data, size);
    return 0;
}
