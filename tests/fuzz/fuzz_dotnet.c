/* fuzz_dotnet.c - libFuzzer target for the dotnet analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("dotnet", "/app/x.deps.json", data, size);
    return 0;
}
