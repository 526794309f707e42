/* fuzz_link_next.c - libFuzzer target for rs_registry_link_next: the Link
 * header of catalog and tag list pages is untrusted. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[2048];
    char *s = rs_fuzz_cstr(data, size);
    if (!s)
        return 0;
    if (rs_registry_link_next(s, out, sizeof out) == 1 && !memchr(out, '\0', sizeof out))
        abort();
    free(s);
    return 0;
}
