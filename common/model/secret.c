/* secret.c - secret findings: copies, ordering and their JSON form (see
 * model.h). Decoding treats its input as untrusted. */
#include "model.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

#define SECRET_MAX_ITEMS 100000
#define SECRET_MAX_STR (3 * 4097)

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    return (*dst = strdup(src)) ? 0 : RS_ERR_INTERNAL;
}

void rs_secret_clear(rs_secret *s)
{
    if (!s)
        return;
    char **f[] = {&s->rule,  &s->severity, &s->title,           &s->path,
                  &s->match, &s->layer,    &s->deleted_in_layer};
    rs_strs_free(f, sizeof f / sizeof *f);
    memset(s, 0, sizeof *s);
}

int rs_secret_copy(rs_secret *d, const rs_secret *s)
{
    memset(d, 0, sizeof *d);
    if (dup_opt(&d->rule, s->rule) || dup_opt(&d->severity, s->severity) ||
        dup_opt(&d->title, s->title) || dup_opt(&d->path, s->path) ||
        dup_opt(&d->match, s->match) || dup_opt(&d->layer, s->layer) ||
        dup_opt(&d->deleted_in_layer, s->deleted_in_layer)) {
        rs_secret_clear(d);
        return RS_ERR_INTERNAL;
    }
    d->line = s->line;
    d->text_replaced = s->text_replaced;
    return 0;
}

int rs_secrets_add(rs_secrets *l, const rs_secret *s)
{
    if (RS_GROW(l->items, l->n + 1, l->cap) || rs_secret_copy(&l->items[l->n], s))
        return RS_ERR_INTERNAL;
    l->n++;
    return 0;
}

void rs_secrets_clear(rs_secrets *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        rs_secret_clear(&l->items[i]);
    if (l) {
        free(l->items);
        memset(l, 0, sizeof *l);
    }
}

static int cmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

int rs_secret_same(const rs_secret *a, const rs_secret *b)
{
    return a->line == b->line && !cmp_null(a->rule, b->rule) && !cmp_null(a->match, b->match);
}

static int secret_cmp(const void *x, const void *y)
{
    const rs_secret *a = x, *b = y;
    int c;
    if ((c = cmp_null(a->path, b->path)))
        return c;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if ((c = cmp_null(a->rule, b->rule)) || (c = cmp_null(a->match, b->match)))
        return c;
    return cmp_null(a->deleted_in_layer, b->deleted_in_layer);
}

void rs_secrets_sort(rs_secrets *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, secret_cmp);
}

static json_t *str(const char *s)
{
    return rs_utf8_json_string(s);
}

json_t *rs_secret_to_json(const rs_secret *s)
{
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o}", "rule", str(s->rule),
                          "severity", str(s->severity), "title", str(s->title), "path",
                          str(s->path), "line", (json_int_t)s->line, "match", str(s->match),
                          "layer", str(s->layer), "deleted_in_layer", str(s->deleted_in_layer));
    if (o && s->text_replaced &&
        json_object_set_new(o, "flags", json_pack("[s]", "invalid-utf8"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rs_secrets_to_json(const rs_secrets *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && l && i < l->n; i++)
        if (json_array_append_new(a, rs_secret_to_json(&l->items[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* A bounded string member (required or not) copied into *dst. */
static int get_str(const json_t *o, const char *key, int required, char **dst)
{
    json_t *v = json_object_get(o, key);
    *dst = NULL;
    if (!v || json_is_null(v))
        return required ? -1 : 0;
    if (!json_is_string(v) || json_string_length(v) > SECRET_MAX_STR ||
        strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    return (*dst = strdup(json_string_value(v))) ? 0 : -1;
}

static int decode_one(const json_t *v, rs_secret *s)
{
    memset(s, 0, sizeof *s);
    json_t *line = json_object_get(v, "line"), *flags = json_object_get(v, "flags");
    if (!json_is_object(v) || !json_is_integer(line) || json_integer_value(line) < 0 ||
        (flags && !json_is_array(flags)))
        return -1;
    s->line = (size_t)json_integer_value(line);
    s->text_replaced = flags && json_array_size(flags) > 0;
    if (get_str(v, "rule", 1, &s->rule) || get_str(v, "severity", 1, &s->severity) ||
        get_str(v, "title", 0, &s->title) || get_str(v, "path", 0, &s->path) ||
        get_str(v, "match", 1, &s->match) || get_str(v, "layer", 0, &s->layer) ||
        get_str(v, "deleted_in_layer", 0, &s->deleted_in_layer)) {
        rs_secret_clear(s);
        return -1;
    }
    return 0;
}

static int secret_from_json(const json_t *v, void *list)
{
    rs_secrets *l = list;
    if (RS_GROW(l->items, l->n + 1, l->cap))
        return RS_ERR_INTERNAL;
    if (decode_one(v, &l->items[l->n]))
        return RS_ERR_INVALID;
    l->n++;
    return 0;
}

int rs_secrets_from_json(const json_t *j, rs_secrets *l, char *errstr, size_t errsz)
{
    return rs_json_each(j, SECRET_MAX_ITEMS, "secrets", secret_from_json, l, errstr, errsz);
}
