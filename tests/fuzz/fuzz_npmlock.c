/* fuzz_npmlock.c - libFuzzer target for the npm-lock analyzer: the first
 * byte picks the file (odd: yarn.lock, even: package-lock.json), the rest is
 * its content (fuzz_analyzer.h). */
#include "fuzz_analyzer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    rs_fuzz_analyzer("npm-lock", (data[0] & 1) ? "/app/yarn.lock" : "/app/package-lock.json",
                     data + 1, size - 1);
    return 0;
}
