/* ratelimit.c - the "rate_limit" setting of a registry entry or of a tenant's
 * azure block, and ACR's documented read limits per SKU (docs/azure.md,
 * "Throttling"). Parsing only: the limit itself lives in common/redis. */
#include "config.h"
#include "config_int.h"
#include "base.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int rs_config_int_rate_limit(const json_t *o, const char *path, int *out, char *errstr,
                             size_t errsz)
{
    *out = 0;
    json_t *rl = json_object_get(o, "rate_limit");
    if (!rl)
        return 0;
    if (!json_is_object(rl))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "%s.rate_limit: must be an object", path);
    const char *key;
    json_t *v;
    json_object_foreach(rl, key, v)
    {
        if (strcmp(key, "requests_per_second"))
            return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                           "%s.rate_limit: unknown key '%.64s' (requests_per_second)", path, key);
    }
    v = json_object_get(rl, "requests_per_second");
    if (!v)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "%s.rate_limit.requests_per_second: is required", path);
    if (!json_is_integer(v) || json_integer_value(v) < 1 ||
        json_integer_value(v) > RS_RATE_LIMIT_MAX)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "%s.rate_limit.requests_per_second: must be an integer from 1 to %d", path,
                       RS_RATE_LIMIT_MAX);
    *out = (int)json_integer_value(v);
    return 0;
}

/* ACR's read operations per minute by SKU, as Azure's SKU page stated them
 * (the page no longer gives figures: docs/azure.md, "Throttling"). */
static const struct {
    const char *sku;
    int per_minute;
} acr_skus[] = {
    {"Basic", 1000},
    {"Standard", 3000},
    {"Premium", 10000},
};

int rs_acr_sku_rate_per_minute(const char *sku)
{
    for (size_t i = 0; sku && i < sizeof acr_skus / sizeof *acr_skus; i++)
        if (!strcasecmp(sku, acr_skus[i].sku))
            return acr_skus[i].per_minute;
    return 0;
}

int rs_acr_sku_rate_per_second(const char *sku)
{
    return rs_acr_sku_rate_per_minute(sku) / 60; /* rounded down: never above the limit */
}
