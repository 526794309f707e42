/* fuzz_dpkgfiles.c - libFuzzer target for the dpkg-files analyzer (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_fuzz_analyzer("dpkg-files", "/var/lib/dpkg/info/x.list", data, size);
    return 0;
}
