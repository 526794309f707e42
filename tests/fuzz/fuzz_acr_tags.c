/* fuzz_acr_tags.c - libFuzzer target for rs_acr_tags_parse: ACR's _tags
 * pages are untrusted. Every tag handed out must be a valid tag with a valid
 * digest, and times must never increase (the early stop relies on it). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "base.h"
#include "registry.h"

static int check(const rs_acr_tag *t, void *opaque)
{
    int64_t *last = opaque;
    if (!rs_registry_valid_tag(t->name) || !rs_digest_valid(t->digest) || t->updated > *last)
        abort();
    *last = t->updated;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    int64_t prev = INT64_MAX, last = INT64_MAX;
    rs_acr_tags_parse((const char *)data, size, "team/web", &prev, check, &last, err, sizeof err);
    return 0;
}
