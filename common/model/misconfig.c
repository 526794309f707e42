/* misconfig.c - configuration weaknesses: the list and its JSON form (see
 * model.h). Decoding treats its input as untrusted. */
#include "model.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

#define MISCONFIG_MAX_ITEMS 1000
#define MISCONFIG_MAX_STR 65536

static void item_clear(rs_misconfig *m)
{
    free(m->id);
    free(m->severity);
    free(m->title);
    free(m->evidence);
    free(m->cis);
    memset(m, 0, sizeof *m);
}

int rs_misconfigs_add(rs_misconfigs *l, const char *id, const char *severity, const char *title,
                      const char *evidence, const char *cis)
{
    if (RS_GROW(l->items, l->n + 1, l->cap))
        return RS_ERR_INTERNAL;
    rs_misconfig *m = &l->items[l->n];
    memset(m, 0, sizeof *m);
    m->id = strdup(id);
    m->severity = strdup(severity);
    m->title = strdup(title ? title : "");
    /* evidence may hold bytes of the image (paths): kept as valid UTF-8 */
    m->evidence = evidence ? rs_utf8_dup(evidence, strlen(evidence), NULL) : strdup("");
    m->cis = cis ? strdup(cis) : NULL;
    if (!m->id || !m->severity || !m->title || !m->evidence || (cis && !m->cis)) {
        item_clear(m);
        return RS_ERR_INTERNAL;
    }
    l->n++;
    return 0;
}

void rs_misconfigs_clear(rs_misconfigs *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        item_clear(&l->items[i]);
    if (l) {
        free(l->items);
        memset(l, 0, sizeof *l);
    }
}

static int cmp_id(const void *a, const void *b)
{
    const rs_misconfig *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : strcmp(x->evidence, y->evidence);
}

void rs_misconfigs_sort(rs_misconfigs *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, cmp_id);
}

json_t *rs_misconfigs_to_json(const rs_misconfigs *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a && l && i < l->n; i++) {
        const rs_misconfig *m = &l->items[i];
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o}", "id", rs_utf8_json_string(m->id),
                              "severity", rs_utf8_json_string(m->severity), "title",
                              rs_utf8_json_string(m->title), "evidence",
                              rs_utf8_json_string(m->evidence), "cis", rs_utf8_json_string(m->cis));
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* A bounded string member, or NULL (absent, null, or not a bounded string:
 * *bad set for the latter). */
static const char *member(const json_t *o, const char *key, int *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > MISCONFIG_MAX_STR ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

int rs_misconfigs_from_json(const json_t *j, rs_misconfigs *l, char *errstr, size_t errsz)
{
    if (!j || json_is_null(j))
        return 0;
    if (!json_is_array(j) || json_array_size(j) > MISCONFIG_MAX_ITEMS)
        return rs_errf(errstr, errsz, RS_ERR_INVALID,
                       "invalid misconfigurations: not a bounded array");
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        int bad = !json_is_object(v);
        const char *id = member(v, "id", &bad), *sev = member(v, "severity", &bad),
                   *title = member(v, "title", &bad), *ev = member(v, "evidence", &bad),
                   *cis = member(v, "cis", &bad);
        if (bad || !id || !sev)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid misconfiguration %zu", i);
        if (rs_misconfigs_add(l, id, sev, title, ev, cis))
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    return 0;
}
