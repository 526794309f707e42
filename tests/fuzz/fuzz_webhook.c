/* fuzz_webhook.c - libFuzzer target for the payloads `regscan-coordinator
 * serve` accepts (coordinator/webhook.c): ACR webhook bodies and Event Grid
 * deliveries come from the network. Every parsed event must hold what the
 * parser promises: a known kind, checked names, NUL-terminated fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "webhook_int.h"

static void check(const rs_wh_event *e)
{
    if (e->kind != RS_WH_PUSH && e->kind != RS_WH_DELETE)
        return;
    if (!rs_registry_valid_repository(e->repository) || !e->host[0] ||
        (e->tag[0] && !rs_registry_valid_tag(e->tag)) ||
        (e->digest[0] && !rs_digest_valid(e->digest)) ||
        (e->kind == RS_WH_PUSH && !e->tag[0] && !e->digest[0]))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_wh_event one, *ev = NULL;
    size_t n = 0;
    if (rs_webhook_parse_acr((const char *)data, size, &one, errstr, sizeof errstr) == 0)
        check(&one);
    if (rs_webhook_parse_eventgrid((const char *)data, size, &ev, &n, errstr, sizeof errstr) == 0) {
        if (n == 0 || n > RS_WEBHOOK_MAX_EVENTS)
            abort();
        for (size_t i = 0; i < n; i++)
            check(&ev[i]);
    }
    free(ev);
    return 0;
}
