/* invbase.c - the base image annotations an inventory keeps (the image
 * manifest's org.opencontainers.image.base.name and .base.digest), so that a
 * rematch from the cached inventory, which reads no manifest, names the base
 * as the scan did. Finding the base and splitting findings is the report's
 * job (common/report/base.c). */
#include "base.h"
#include "model.h"

#include <string.h>

int rs_inv_base_to_json(const rs_inventory *inv, json_t *o)
{
    if (!inv->base_name[0] && !inv->base_digest[0])
        return 0;
    json_t *b = json_pack("{s:o, s:o}", "name", rs_utf8_json_string(inv->base_name), "digest",
                          rs_utf8_json_string(inv->base_digest));
    return b && !json_object_set_new(o, "base_annotation", b) ? 0 : -1;
}

/* Copies string member `key` of b into out (size bytes); absent is "". */
static int copy_member(const json_t *b, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(b, key);
    out[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= size ||
        strlen(json_string_value(v)) != json_string_length(v) ||
        !rs_utf8_valid(json_string_value(v), json_string_length(v)))
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int rs_inv_base_from_json(const json_t *j, rs_inventory *inv, char *errstr, size_t errstr_size)
{
    json_t *b = json_object_get(j, "base_annotation");
    inv->base_name[0] = inv->base_digest[0] = '\0';
    if (!b)
        return 0;
    if (!json_is_object(b) || copy_member(b, "name", inv->base_name, sizeof inv->base_name) ||
        copy_member(b, "digest", inv->base_digest, sizeof inv->base_digest) ||
        (inv->base_digest[0] && !rs_digest_valid(inv->base_digest))) {
        inv->base_name[0] = inv->base_digest[0] = '\0';
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "invalid inventory: 'base_annotation' is malformed");
    }
    return 0;
}
