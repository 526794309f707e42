/* inverror.c - what the index stage could not read, kept with the inventory
 * (so a rematch from the cached inventory reports it too) and written as the
 * report's "errors": one shape for every limit and parse failure. */
#include "base.h"
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define ERR_MAX_STR 1024

static void error_clear(rs_inv_error *e)
{
    char **f[] = {&e->layer, &e->path, &e->code, &e->limit, &e->analyzer, &e->detail};
    rs_strs_free(f, sizeof f / sizeof *f);
}

void rs_inv_errors_free(rs_inventory *inv)
{
    for (size_t i = 0; i < inv->n_errors; i++)
        error_clear(&inv->errors[i]);
    free(inv->errors);
    inv->errors = NULL;
    inv->n_errors = inv->cap_errors = 0;
}

/* A valid UTF-8 copy of at most ERR_MAX_STR bytes of s; *bad on failure. */
static char *copy(const char *s, int *bad)
{
    if (!s)
        return NULL;
    char *d = rs_utf8_dup(s, strnlen(s, ERR_MAX_STR), NULL);
    if (!d)
        *bad = 1;
    return d;
}

int rs_inventory_add_error(rs_inventory *inv, const rs_inv_error *e)
{
    if (inv->n_errors >= RS_INV_MAX_ERRORS) {
        inv->errors_omitted++;
        return 0;
    }
    if (RS_GROW(inv->errors, inv->n_errors + 1, inv->cap_errors))
        return RS_ERR_INTERNAL;
    rs_inv_error *d = &inv->errors[inv->n_errors];
    int bad = 0;
    d->layer = copy(e->layer, &bad);
    d->path = copy(e->path ? e->path : "", &bad);
    d->code = copy(e->code ? e->code : "INTERNAL", &bad);
    d->limit = copy(e->limit, &bad);
    d->analyzer = copy(e->analyzer, &bad);
    d->detail = copy(e->detail, &bad);
    if (bad) {
        error_clear(d);
        return RS_ERR_INTERNAL;
    }
    inv->n_errors++;
    return 0;
}

json_t *rs_inv_errors_to_json(const rs_inventory *inv)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < inv->n_errors; i++) {
        const rs_inv_error *e = &inv->errors[i];
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "layer",
                              rs_utf8_json_string(e->layer), "path", rs_utf8_json_string(e->path),
                              "code", rs_utf8_json_string(e->code), "limit",
                              rs_utf8_json_string(e->limit), "analyzer",
                              rs_utf8_json_string(e->analyzer), "detail",
                              rs_utf8_json_string(e->detail));
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* The string at o[key]: NULL for absent or null; *ok 0 for another type or
 * a string longer than ERR_MAX_STR. */
static const char *opt_str(const json_t *o, const char *key, int *ok)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > ERR_MAX_STR) {
        *ok = 0;
        return NULL;
    }
    return json_string_value(v);
}

static int error_from_json(const json_t *o, void *inv)
{
    int ok = json_is_object(o);
    rs_inv_error e = {
        .layer = (char *)opt_str(o, "layer", &ok),
        .path = (char *)opt_str(o, "path", &ok),
        .code = (char *)opt_str(o, "code", &ok),
        .limit = (char *)opt_str(o, "limit", &ok),
        .analyzer = (char *)opt_str(o, "analyzer", &ok),
        .detail = (char *)opt_str(o, "detail", &ok),
    };
    if (!ok || !e.path || !e.code)
        return RS_ERR_INVALID;
    return rs_inventory_add_error(inv, &e) ? RS_ERR_INTERNAL : 0;
}

int rs_inv_errors_from_json(const json_t *a, rs_inventory *inv, char *errstr, size_t errsz)
{
    return rs_json_each(a, RS_INV_MAX_ERRORS, "inventory errors", error_from_json, inv, errstr,
                        errsz);
}
