/* fuzz_python.c - libFuzzer target for the python analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("python", "/s/x-1.dist-info/METADATA", data, size);
    return 0;
}
