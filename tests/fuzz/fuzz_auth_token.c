/* fuzz_auth_token.c - libFuzzer target for rs_auth_token_parse: a token
 * endpoint's JSON answer (and the JWT inside it) is untrusted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    char *token = NULL;
    time_t expires_at = 0;
    /* a fixed "now" keeps every run reproducible */
    (void)rs_auth_token_parse((const char *)data, size, (time_t)1700000000, &token, &expires_at,
                              errstr, sizeof errstr);
    free(token);
    return 0;
}
