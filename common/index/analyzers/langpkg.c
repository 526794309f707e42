/* analyzers/langpkg.c - shared by the analyzers of language packages (see
 * langpkg.h). */
#include "analyzers/langpkg_int.h"
#include "base.h"

#include <stdlib.h>
#include <string.h>

int rs_langpkg_token(const char *s, size_t n, size_t max)
{
    if (!s || n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return 0;
    }
    return 1;
}

int rs_langpkg_add(rs_analysis *out, const rs_langpkg *lp)
{
    char *purl = rs_purl_make(lp->purl_type, lp->purl_ns, lp->purl_name, lp->version,
                              lp->purl_lower);
    if (!purl)
        return RS_ERR_INTERNAL;
    rs_pkg p = {0};
    p.type = (char *)lp->type;
    p.ecosystem = (char *)lp->ecosystem;
    p.name = (char *)lp->name;
    p.version = (char *)lp->version;
    p.path = (char *)lp->path;
    p.purl = purl;
    p.text_replaced = lp->text_replaced;
    int rc = rs_analysis_add_pkg(out, &p);
    free(purl);
    return rc;
}

const char *rs_langpkg_json_token(const json_t *o, const char *k, size_t max)
{
    const json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    /* an embedded NUL (\u0000) would cut the C string: refused */
    if (strlen(s) != n || !rs_langpkg_token(s, n, max))
        return NULL;
    return s;
}

json_t *rs_langpkg_json_load(const char *data, size_t len)
{
    json_error_t jerr;
    return json_loadb(data, len, 0, &jerr);
}

int rs_langpkg_add_plain(rs_analysis *out, const char *type, const char *ecosystem,
                         const char *purl_type, const char *name, const char *version,
                         const char *path, int text_replaced)
{
    rs_langpkg lp = {.type = type, .ecosystem = ecosystem, .purl_type = purl_type,
                     .purl_name = name, .name = name, .version = version, .path = path,
                     .text_replaced = text_replaced};
    return rs_langpkg_add(out, &lp);
}
