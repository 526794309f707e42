/* fuzz_auth_challenge.c - libFuzzer target for rs_auth_challenge_parse: a
 * registry's WWW-Authenticate header is untrusted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "registry.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rs_auth_challenge ch;
    char *s = rs_fuzz_cstr(data, size);
    if (!s)
        return 0;
    (void)rs_auth_challenge_parse(s, &ch);
    free(s);
    return 0;
}
