/* fuzz_rpmhdr.c - libFuzzer target for the rpm header blob parser
 * (rpmhdr.c): the input is one header blob as a database row holds it,
 * untrusted; parsed, its package built and its file list walked. */
#include <stddef.h>
#include <stdint.h>

#include "analyzers/rpmhdr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_analysis an = {0};
    (void)rs_rpmhdr_add("/var/lib/rpm/rpmdb.sqlite", data, size, &an);
    rs_analysis_clear(&an);
    return 0;
}
