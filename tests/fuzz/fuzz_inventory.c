/* fuzz_inventory.c - libFuzzer target for rs_inventory_from_json: cached
 * inventories (Redis inv:{digest}) and inventory messages are untrusted. A
 * decoded inventory is encoded and decoded again. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errstr[256];
    rs_inventory *inv = NULL, *again = NULL;
    json_t *enc = NULL;
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        return 0;
    if (rs_inventory_from_json(j, &inv, errstr, sizeof errstr) != 0)
        goto out;
    if (!(enc = rs_inventory_to_json(inv)))
        goto out;
    if (rs_inventory_from_json(enc, &again, errstr, sizeof errstr) != 0)
        abort();
out:
    rs_inventory_free(again);
    rs_inventory_free(inv);
    json_decref(enc);
    json_decref(j);
    return 0;
}
