/* Walking JSON arrays that come from outside: bounded, typed per item. */
#include "base.h"

int rs_json_each(const json_t *a, size_t max, const char *what, rs_json_item_fn *item, void *ctx,
                 char *errstr, size_t errsz)
{
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a) || json_array_size(a) > max)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: not an array of at most %zu",
                       what, max);
    for (size_t i = 0; i < json_array_size(a); i++) {
        int rc = item(json_array_get(a, i), ctx);
        if (rc == RS_ERR_INTERNAL)
            return rs_errf(errstr, errsz, rc, "out of memory reading %s", what);
        if (rc)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: item %zu", what, i);
    }
    return 0;
}
