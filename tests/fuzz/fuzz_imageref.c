/* fuzz_imageref.c - libFuzzer target for rs_imageref_parse: an image
 * reference comes from a user's command line or a CI pipeline. The tag and
 * repository validators and the artifact tag rule see the same string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "image.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    char *const insecure[] = {"registry.test:5000"};
    rs_imageref ref;
    rs_skip_reason why;
    char *s = rs_fuzz_cstr(data, size);
    if (!s)
        return 0;
    (void)rs_imageref_parse(s, insecure, 1, &ref, errstr, sizeof errstr);
    (void)rs_registry_valid_repository(s);
    (void)rs_registry_valid_tag(s);
    (void)rs_manifest_tag_is_artifact(s, &why);
    free(s);
    return 0;
}
