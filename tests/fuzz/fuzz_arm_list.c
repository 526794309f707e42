/* fuzz_arm_list.c - libFuzzer target for the parsers of Azure Resource
 * Manager's list pages (coordinator/discovery.c): the first byte picks the
 * subscriptions or the registries parser. Every id handed out must be valid
 * (a subscription id, a login server) and a nextLink must stay on the
 * resource manager's origin. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discovery_int.h"
#include "registry.h"

#define RM "https://127.0.0.1:7443"

static int check(const char *id, const char *name, void *opaque)
{
    int registries = *(int *)opaque;
    if (!*id || strlen(id) > 253 || !name ||
        (registries && !rs_arm_login_server_valid(id)) || (!registries && strlen(id) > 64))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512], *next = NULL;
    if (size < 1)
        return 0;
    int registries = data[0] & 1;
    const char *body = (const char *)data + 1;
    int rc = registries ? rs_arm_registries_parse(body, size - 1, RM, check, &registries, &next,
                                                  err, sizeof err)
                        : rs_arm_subscriptions_parse(body, size - 1, RM, check, &registries,
                                                     &next, err, sizeof err);
    if (next && (rc || !rs_http_same_origin(next, RM)))
        abort();
    free(next);
    return 0;
}
