/* inventory.c - the image inventory: packages, OS, OSV ecosystems, purls and
 * the JSON form the cache and the inventory topic share.
 *
 * Does no I/O. JSON decoding treats its input as untrusted (cache entries can
 * be tampered with): every type and length is checked. */
#include "model.h"
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a string of a package: its path is a tar path of up to 4096 bytes, each of
 * which may have become a 3-byte U+FFFD */
#define INV_MAX_STR (3 * 4097)
#define INV_MAX_PKGS 1000000
#define INV_MAX_LAYERS 4096
#define INV_MAX_FLAGS 16

rs_inventory *rs_inventory_new(void)
{
    return calloc(1, sizeof(rs_inventory));
}

void rs_pkg_clear(rs_pkg *p)
{
    if (!p)
        return;
    free(p->type);
    free(p->ecosystem);
    free(p->name);
    free(p->version);
    free(p->source_name);
    free(p->source_version);
    free(p->arch);
    free(p->purl);
    free(p->path);
    free(p->layer);
    memset(p, 0, sizeof *p);
}

void rs_pkgs_free(rs_pkg *pkgs, size_t n)
{
    for (size_t i = 0; pkgs && i < n; i++)
        rs_pkg_clear(&pkgs[i]);
    free(pkgs);
}

void rs_inventory_free(rs_inventory *inv)
{
    if (!inv)
        return;
    rs_pkgs_free(inv->pkgs, inv->n_pkgs);
    for (size_t i = 0; i < inv->n_layers; i++)
        free(inv->layers[i]);
    free(inv->layers);
    rs_inv_errors_free(inv);
    rs_secrets_clear(&inv->secrets);
    rs_misconfigs_clear(&inv->misconfigs);
    free(inv);
}

static int dup_field(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : RS_ERR_INTERNAL;
}

void rs_pkg_clear_read(rs_pkg *p)
{
    char **f[] = {&p->name, &p->version, &p->arch, &p->source_name, &p->source_version};
    rs_strs_free(f, sizeof f / sizeof *f);
}

int rs_pkg_copy(rs_pkg *d, const rs_pkg *p)
{
    memset(d, 0, sizeof *d);
    if (dup_field(&d->type, p->type) || dup_field(&d->ecosystem, p->ecosystem) ||
        dup_field(&d->name, p->name) || dup_field(&d->version, p->version) ||
        dup_field(&d->source_name, p->source_name) ||
        dup_field(&d->source_version, p->source_version) || dup_field(&d->arch, p->arch) ||
        dup_field(&d->purl, p->purl) || dup_field(&d->path, p->path) ||
        dup_field(&d->layer, p->layer)) {
        rs_pkg_clear(d);
        return RS_ERR_INTERNAL;
    }
    d->text_replaced = p->text_replaced;
    return 0;
}

int rs_inventory_add(rs_inventory *inv, const rs_pkg *p)
{
    if (RS_GROW(inv->pkgs, inv->n_pkgs + 1, inv->cap_pkgs) ||
        rs_pkg_copy(&inv->pkgs[inv->n_pkgs], p))
        return RS_ERR_INTERNAL;
    inv->n_pkgs++;
    return 0;
}

int rs_inventory_add_layer(rs_inventory *inv, const char *digest)
{
    if (RS_GROW(inv->layers, inv->n_layers + 1, inv->cap_layers) ||
        !(inv->layers[inv->n_layers] = strdup(digest ? digest : "")))
        return RS_ERR_INTERNAL;
    inv->n_layers++;
    return 0;
}

void rs_inventory_ecosystem(const rs_os *os, const char *type, char *out, size_t out_size)
{
    if (!out_size)
        return;
    out[0] = '\0';
    if (!os || !type || !os->found || !os->version_id[0])
        return;
    /* the package type's family names it, when the image is of that family */
    const rs_ecosystem *e = rs_ecosystem_for_type(type);
    if (e && e->owns_os && e->owns_os(os))
        e->osv_ecosystem(os, out, out_size);
}

/* Percent-encodes s into b: everything but A-Z a-z 0-9 . - _ ~ (purl spec). */
static int purl_encode(rs_buf *b, const char *s, int lower)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (lower && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_' || c == '~') {
            if (rs_buf_append(b, &c, 1))
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (rs_buf_append(b, e, 3))
                return -1;
        }
    }
    return 0;
}

/* Encodes a namespace segment by segment: "/" separates segments and stays. */
static int purl_encode_ns(rs_buf *b, const char *ns)
{
    for (const char *s = ns; *s;) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        char seg[256];
        if (n >= sizeof seg)
            return -1;
        memcpy(seg, s, n);
        seg[n] = '\0';
        if (n && (purl_encode(b, seg, 0) || rs_buf_puts(b, "/")))
            return -1;
        s += n;
        if (*s == '/')
            s++;
    }
    return 0;
}

char *rs_purl_make(const char *type, const char *ns, const char *name, const char *version,
                   int lower)
{
    if (!type || !name || !*name || !version)
        return NULL;
    rs_buf b = RS_BUF_INIT;
    int bad = rs_buf_printf(&b, "pkg:%s/", type) || (ns && purl_encode_ns(&b, ns)) ||
              purl_encode(&b, name, lower) || rs_buf_puts(&b, "@") || purl_encode(&b, version, 0);
    if (bad) {
        rs_buf_free(&b);
        return NULL;
    }
    return rs_buf_steal(&b);
}

/* The version of a purl and its epoch qualifier: "1:2.0-3" is "2.0-3" and
 * "1" when the family writes epochs as a qualifier (rs_ecosystem.purl_epoch). */
static void purl_version(const rs_ecosystem *e, const char *v, const char **ver, size_t *ep_len)
{
    size_t d = rs_ecosystem_digits(v);
    *ver = v;
    *ep_len = 0;
    if (e->purl_epoch && d && v[d] == ':' && v[d + 1]) {
        *ver = v + d + 1;
        *ep_len = d;
    }
}

char *rs_pkg_purl(const rs_os *os, const rs_pkg *p)
{
    const char *ptype, *ns, *ver;
    int lower = 0;
    size_t ep;
    if (!os || !p || !p->type || !p->name || !p->version || !os->found)
        return NULL;
    const rs_ecosystem *e = rs_ecosystem_for_type(p->type);
    if (!e || !e->owns_os || !e->owns_os(os) || !e->purl_parts)
        return NULL;
    e->purl_parts(os, &ptype, &ns, &lower);
    purl_version(e, p->version, &ver, &ep);
    rs_buf b = RS_BUF_INIT;
    int bad = rs_buf_printf(&b, "pkg:%s/%s/", ptype, ns) || purl_encode(&b, p->name, lower) ||
              rs_buf_puts(&b, "@") || purl_encode(&b, ver, 0);
    /* qualifiers sorted by key: arch, distro, epoch */
    char sep = '?';
    if (!bad && p->arch && p->arch[0]) {
        bad = rs_buf_printf(&b, "%carch=", sep) || purl_encode(&b, p->arch, 0);
        sep = '&';
    }
    if (!bad && os->version_id[0]) {
        bad = rs_buf_printf(&b, "%cdistro=", sep) || purl_encode(&b, os->id, 0) ||
              rs_buf_puts(&b, "-") || purl_encode(&b, os->version_id, 0);
        sep = '&';
    }
    if (!bad && ep)
        bad = rs_buf_printf(&b, "%cepoch=%.*s", sep, (int)ep, p->version);
    if (bad) {
        rs_buf_free(&b);
        return NULL;
    }
    return rs_buf_steal(&b);
}

static int strcmp_null(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

static int pkg_cmp(const void *x, const void *y)
{
    const rs_pkg *a = x, *b = y;
    int c;
    if ((c = strcmp_null(a->type, b->type)) || (c = strcmp_null(a->name, b->name)) ||
        (c = strcmp_null(a->version, b->version)) || (c = strcmp_null(a->path, b->path)))
        return c;
    return strcmp_null(a->arch, b->arch);
}

void rs_inventory_finish(rs_inventory *inv)
{
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        rs_pkg *p = &inv->pkgs[i];
        if (!p->ecosystem) {
            char eco[64];
            rs_inventory_ecosystem(&inv->os, p->type, eco, sizeof eco);
            if (eco[0])
                p->ecosystem = strdup(eco); /* stays NULL when out of memory */
        }
        if (!p->purl)
            p->purl = rs_pkg_purl(&inv->os, p);
    }
    if (inv->n_pkgs > 1)
        qsort(inv->pkgs, inv->n_pkgs, sizeof *inv->pkgs, pkg_cmp);
    rs_secrets_sort(&inv->secrets);
    rs_misconfigs_sort(&inv->misconfigs);
}

int rs_inventory_flags_set(json_t *o, int text_replaced)
{
    if (!text_replaced)
        return 0;
    return json_object_set_new(o, "flags", json_pack("[s]", RS_FLAG_INVALID_UTF8));
}

/* Strings are written through rs_utf8_json_string: a value that is not UTF-8
 * (a bug upstream, or a path from a tar header) becomes U+FFFD instead of
 * failing the whole document. */
static json_t *str_or_null(const char *s)
{
    return rs_utf8_json_string(s);
}

json_t *rs_pkg_to_json(const rs_pkg *p)
{
    json_t *src = json_null();
    if (p->source_name)
        src = json_pack(
            "{s:o, s:o}", "name", str_or_null(p->source_name), "version",
            str_or_null(p->source_version ? p->source_version : (p->version ? p->version : "")));
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "type",
                          str_or_null(p->type), "ecosystem", str_or_null(p->ecosystem), "name",
                          str_or_null(p->name), "version", str_or_null(p->version), "source", src,
                          "arch", str_or_null(p->arch), "purl", str_or_null(p->purl), "path",
                          str_or_null(p->path), "layer", str_or_null(p->layer));
    if (o && rs_inventory_flags_set(o, p->text_replaced)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *rs_os_to_json(const rs_os *os)
{
    json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:b}", "id", str_or_null(os->id), "version_id",
                          str_or_null(os->version_id), "version_codename",
                          str_or_null(os->version_codename), "pretty_name",
                          str_or_null(os->pretty_name), "found", os->found);
    if (o && rs_inventory_flags_set(o, os->text_replaced)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The secrets and misconfigurations of the index stage, beside the packages. */
static int findings_to_json(json_t *j, const rs_inventory *inv)
{
    return json_object_set_new(j, "secrets", rs_secrets_to_json(&inv->secrets)) ||
           json_object_set_new(j, "misconfigurations", rs_misconfigs_to_json(&inv->misconfigs));
}

/* Reads them back; entries cached before they existed have neither (empty). */
static int findings_from_json(const json_t *j, rs_inventory *inv, char *errstr, size_t errsz)
{
    int rc = rs_secrets_from_json(json_object_get(j, "secrets"), &inv->secrets, errstr, errsz);
    return rc ? rc
              : rs_misconfigs_from_json(json_object_get(j, "misconfigurations"), &inv->misconfigs,
                                        errstr, errsz);
}

json_t *rs_inventory_to_json(const rs_inventory *inv)
{
    json_t *j = json_object(), *layers = json_array(), *pkgs = json_array();
    if (!j || !layers || !pkgs)
        goto fail;
    for (size_t i = 0; i < inv->n_layers; i++)
        if (json_array_append_new(layers, str_or_null(inv->layers[i])))
            goto fail;
    for (size_t i = 0; i < inv->n_pkgs; i++)
        if (json_array_append_new(pkgs, rs_pkg_to_json(&inv->pkgs[i])))
            goto fail;
    if (json_object_set_new(j, "os", rs_os_to_json(&inv->os)) ||
        json_object_set(j, "layers", layers) || json_object_set(j, "packages", pkgs) ||
        json_object_set_new(j, "errors", rs_inv_errors_to_json(inv)) ||
        findings_to_json(j, inv) || rs_inv_base_to_json(inv, j))
        goto fail;
    json_decref(layers);
    json_decref(pkgs);
    return j;
fail:
    json_decref(layers);
    json_decref(pkgs);
    json_decref(j);
    return NULL;
}

/* Reads the optional "flags" of `o`: an array of known flags (today only
 * "invalid-utf8"); anything else is refused. */
static int get_flags(const json_t *o, const char *what, int *text_replaced, char *errstr,
                     size_t errsz)
{
    json_t *f = json_object_get(o, "flags"), *v;
    size_t i;
    *text_replaced = 0;
    if (!f)
        return 0;
    if (!json_is_array(f) || json_array_size(f) > INV_MAX_FLAGS)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: bad 'flags'", what);
    json_array_foreach(f, i, v)
    {
        if (!json_is_string(v) || strcmp(json_string_value(v), RS_FLAG_INVALID_UTF8) != 0)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid %s: unknown flag %zu", what, i);
        *text_replaced = 1;
    }
    return 0;
}

/* Reads optional string member `key` of `o` into *dst (copied). */
static int get_str(const json_t *o, const char *key, int required, char **dst, char *errstr,
                   size_t errsz)
{
    json_t *v = json_object_get(o, key);
    *dst = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid package: missing '%s'", key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) > INV_MAX_STR ||
        strlen(json_string_value(v)) != json_string_length(v))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid package: bad '%s'", key);
    if (!(*dst = strdup(json_string_value(v))))
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    return 0;
}

int rs_pkg_from_json(const json_t *j, rs_pkg *out, char *errstr, size_t errsz)
{
    int rc;
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid package: not an object");
    if ((rc = get_str(j, "type", 1, &out->type, errstr, errsz)) ||
        (rc = get_str(j, "ecosystem", 0, &out->ecosystem, errstr, errsz)) ||
        (rc = get_str(j, "name", 1, &out->name, errstr, errsz)) ||
        (rc = get_str(j, "version", 1, &out->version, errstr, errsz)) ||
        (rc = get_str(j, "arch", 0, &out->arch, errstr, errsz)) ||
        (rc = get_str(j, "purl", 0, &out->purl, errstr, errsz)) ||
        (rc = get_str(j, "path", 0, &out->path, errstr, errsz)) ||
        (rc = get_str(j, "layer", 0, &out->layer, errstr, errsz)) ||
        (rc = get_flags(j, "package", &out->text_replaced, errstr, errsz)))
        goto out;
    json_t *src = json_object_get(j, "source");
    if (src && !json_is_null(src)) {
        if (!json_is_object(src)) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid package: bad 'source'");
            goto out;
        }
        if ((rc = get_str(src, "name", 1, &out->source_name, errstr, errsz)) ||
            (rc = get_str(src, "version", 0, &out->source_version, errstr, errsz)))
            goto out;
        if (out->source_version && strcmp(out->source_version, out->version) == 0) {
            free(out->source_version);
            out->source_version = NULL;
        }
    }
out:
    if (rc)
        rs_pkg_clear(out);
    return rc;
}

static int get_os_field(const json_t *o, const char *key, char *dst, size_t dsz, char *errstr,
                        size_t errsz)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= dsz ||
        strlen(json_string_value(v)) != json_string_length(v))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid os: bad '%s'", key);
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int rs_os_from_json(const json_t *j, rs_os *out, char *errstr, size_t errsz)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid os: not an object");
    int rc;
    if ((rc = get_os_field(j, "id", out->id, sizeof out->id, errstr, errsz)) ||
        (rc = get_os_field(j, "version_id", out->version_id, sizeof out->version_id, errstr,
                           errsz)) ||
        (rc = get_os_field(j, "version_codename", out->version_codename,
                           sizeof out->version_codename, errstr, errsz)) ||
        (rc = get_os_field(j, "pretty_name", out->pretty_name, sizeof out->pretty_name, errstr,
                           errsz)) ||
        (rc = get_flags(j, "os", &out->text_replaced, errstr, errsz)))
        return rc;
    json_t *f = json_object_get(j, "found");
    if (f && !json_is_boolean(f))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid os: bad 'found'");
    out->found = f ? json_is_true(f) : out->id[0] != '\0';
    return 0;
}

int rs_inventory_from_json(const json_t *j, rs_inventory **out, char *errstr, size_t errsz)
{
    int rc = 0;
    rs_inventory *inv = NULL;
    *out = NULL;
    if (!json_is_object(j)) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid inventory: not an object");
        goto out;
    }
    json_t *os = json_object_get(j, "os"), *layers = json_object_get(j, "layers"),
           *pkgs = json_object_get(j, "packages");
    if (!json_is_array(layers) || !json_is_array(pkgs) ||
        json_array_size(layers) > INV_MAX_LAYERS || json_array_size(pkgs) > INV_MAX_PKGS) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "invalid inventory: 'layers' and 'packages' must be bounded arrays");
        goto out;
    }
    if (!(inv = rs_inventory_new())) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if ((os && (rc = rs_os_from_json(os, &inv->os, errstr, errsz))) ||
        (rc = rs_inv_errors_from_json(json_object_get(j, "errors"), inv, errstr, errsz)) ||
        (rc = rs_inv_base_from_json(j, inv, errstr, errsz)))
        goto out;
    size_t i;
    json_t *v;
    json_array_foreach(layers, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > INV_MAX_STR) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid inventory: bad layer %zu", i);
            goto out;
        }
        if ((rc = rs_inventory_add_layer(inv, json_string_value(v)))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
    }
    json_array_foreach(pkgs, i, v)
    {
        if ((rc = RS_GROW(inv->pkgs, inv->n_pkgs + 1, inv->cap_pkgs))) {
            rc = rs_errf(errstr, errsz, rc, "out of memory");
            goto out;
        }
        if ((rc = rs_pkg_from_json(v, &inv->pkgs[inv->n_pkgs], errstr, errsz)))
            goto out;
        inv->n_pkgs++;
    }
    if ((rc = findings_from_json(j, inv, errstr, errsz)))
        goto out;
    *out = inv;
    inv = NULL;
out:
    rs_inventory_free(inv);
    return rc;
}
