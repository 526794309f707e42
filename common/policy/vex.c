/* vex.c - reads OpenVEX documents (v0.0.1 and v0.2.0) into flat statements,
 * and compares package URLs.
 *
 * A statement names a vulnerability ("vulnerability": {"name", "aliases"}
 * in v0.2.0, a string in v0.0.1), products (objects with "@id" and
 * optional "subcomponents", or plain strings in v0.0.1) and a status. Only
 * not_affected and fixed suppress findings (apply.c); the others are kept
 * so that the report can say a document spoke of the finding. A statement
 * without products is rejected: OpenVEX requires them, and a statement
 * that applied to every image would suppress too much. */
#include "policy_int.h"

#include <stdlib.h>
#include <string.h>

#define VEX_MAX_STATEMENTS 100000

void rs_vex_statement_clear(rs_vex_statement *s)
{
    rs_policy_strv_free(s->vulns, s->n_vulns);
    rs_policy_strv_free(s->products, s->n_products);
    rs_policy_strv_free(s->subcomponents, s->n_subcomponents);
    free(s->status);
    free(s->justification);
    free(s->document);
    memset(s, 0, sizeof *s);
}

/* Appends a copy of s to (*v, *n). */
static int strv_push(char ***v, size_t *n, const char *s)
{
    char **g = realloc(*v, (*n + 1) * sizeof **v);
    if (!g)
        return RS_ERR_INTERNAL;
    *v = g;
    if (!(g[*n] = strdup(s)))
        return RS_ERR_INTERNAL;
    (*n)++;
    return 0;
}

/* The vulnerability: its name and aliases (v0.2.0) or the string (v0.0.1). */
static int read_vulns(rs_vex_statement *s, const json_t *v, const char *name, char *errstr,
                      size_t errsz)
{
    if (json_is_string(v))
        return strv_push(&s->vulns, &s->n_vulns, json_string_value(v));
    const char *id = json_string_value(json_object_get(v, "name"));
    if (!json_is_object(v) || !id)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "VEX document %s: a statement's \"vulnerability\" needs a \"name\"", name);
    int rc = strv_push(&s->vulns, &s->n_vulns, id);
    json_t *aliases = json_object_get(v, "aliases");
    for (size_t i = 0; !rc && i < json_array_size(aliases); i++)
        if (json_is_string(json_array_get(aliases, i)))
            rc = strv_push(&s->vulns, &s->n_vulns, json_string_value(json_array_get(aliases, i)));
    return rc;
}

static int read_products(rs_vex_statement *s, const json_t *prods, const char *name,
                         char *errstr, size_t errsz)
{
    int rc = 0;
    if (!json_is_array(prods) || !json_array_size(prods))
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "VEX document %s: a statement needs a non-empty \"products\" array", name);
    for (size_t i = 0; !rc && i < json_array_size(prods); i++) {
        json_t *p = json_array_get(prods, i);
        const char *id = json_is_string(p) ? json_string_value(p)
                                           : json_string_value(json_object_get(p, "@id"));
        if (!id)
            return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                           "VEX document %s: a product needs an \"@id\"", name);
        rc = strv_push(&s->products, &s->n_products, id);
        json_t *subs = json_object_get(p, "subcomponents");
        for (size_t k = 0; !rc && k < json_array_size(subs); k++) {
            json_t *c = json_array_get(subs, k);
            const char *cid = json_is_string(c) ? json_string_value(c)
                                                : json_string_value(json_object_get(c, "@id"));
            if (cid)
                rc = strv_push(&s->subcomponents, &s->n_subcomponents, cid);
        }
    }
    return rc;
}

static int read_statement(rs_policy *p, const json_t *st, const char *name, char *errstr,
                          size_t errsz)
{
    static const char *const statuses[] = {"not_affected", "affected", "fixed",
                                           "under_investigation", NULL};
    const char *status = json_string_value(json_object_get(st, "status"));
    size_t k = 0;
    while (status && statuses[k] && strcmp(statuses[k], status))
        k++;
    if (!json_is_object(st) || !status || !statuses[k])
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "VEX document %s: a statement needs a \"status\" of not_affected, "
                       "affected, fixed or under_investigation",
                       name);
    if (RS_GROW(p->vex, p->n_vex + 1, p->cap_vex))
        return RS_ERR_INTERNAL;
    rs_vex_statement *s = &p->vex[p->n_vex++];
    memset(s, 0, sizeof *s);
    const char *just = json_string_value(json_object_get(st, "justification"));
    if (!(s->status = strdup(status)) || !(s->document = strdup(name)) ||
        (just && !(s->justification = strdup(just))))
        return RS_ERR_INTERNAL;
    int rc = read_vulns(s, json_object_get(st, "vulnerability"), name, errstr, errsz);
    return rc ? rc : read_products(s, json_object_get(st, "products"), name, errstr, errsz);
}

int rs_vex_parse(rs_policy *p, const char *name, const char *data, size_t len, char *errstr,
                 size_t errsz)
{
    json_error_t je;
    json_t *j = json_loadb(data, len, 0, &je);
    int rc = 0;
    json_t *sts = json_object_get(j, "statements");
    if (!j)
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG, "VEX document %s: not JSON: %s (line %d)",
                     name, je.text, je.line);
    else if (!json_is_array(sts) || json_array_size(sts) > VEX_MAX_STATEMENTS)
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG,
                     "VEX document %s: \"statements\" must be an array (at most %d)", name,
                     VEX_MAX_STATEMENTS);
    for (size_t i = 0; !rc && i < json_array_size(sts); i++)
        rc = read_statement(p, json_array_get(sts, i), name, errstr, errsz);
    if (rc == RS_ERR_INTERNAL)
        rs_errf(errstr, errsz, rc, "out of memory");
    json_decref(j);
    return rc;
}

/* Copies n bytes of s into out (out_size), percent-decoded, lowercasing
 * the purl type (what comes before the first '/'). Returns 0 or -1. */
static int purl_copy(const char *s, size_t n, int type_first, char *out, size_t out_size)
{
    size_t o = 0;
    int in_type = type_first;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '/')
            in_type = 0;
        int hi, lo;
        if (c == '%' && i + 2 < n && (hi = rs_hex_digit(s[i + 1])) >= 0 &&
            (lo = rs_hex_digit(s[i + 2])) >= 0) {
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (in_type && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (o + 1 >= out_size)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return 0;
}

/* Splits a purl into "type/namespace/name" and version, percent-decoded,
 * dropping qualifiers and subpath. Returns 0, or -1 when it is no purl. */
static int purl_parts(const char *purl, char *pkg, size_t pkg_size, char *ver, size_t ver_size)
{
    if (strncmp(purl, "pkg:", 4))
        return -1;
    const char *s = purl + 4;
    size_t n = strcspn(s, "?#");
    /* the version follows the '@' after the last '/': an npm scope's '@' comes before it */
    size_t last_slash = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/')
            last_slash = i;
    const char *at = memchr(s + last_slash, '@', n - last_slash);
    size_t name_len = at ? (size_t)(at - s) : n;
    if (purl_copy(s, name_len, 1, pkg, pkg_size))
        return -1;
    return at ? purl_copy(at + 1, n - name_len - 1, 0, ver, ver_size)
              : purl_copy("", 0, 0, ver, ver_size);
}

int rs_purl_same_package(const char *a, const char *b)
{
    char pa[1024], va[256], pb[1024], vb[256];
    if (!a || !b || purl_parts(a, pa, sizeof pa, va, sizeof va) ||
        purl_parts(b, pb, sizeof pb, vb, sizeof vb) || strcmp(pa, pb))
        return 0;
    return !va[0] || !vb[0] || !strcmp(va, vb);
}
