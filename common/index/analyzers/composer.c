/* analyzers/composer.c - PHP packages Composer installed:
 * vendor/composer/installed.json, in Composer 1's form (a top-level array of
 * packages) and Composer 2's ({"packages": [...]}).
 *
 * Names are "vendor/package". Versions are reported as OSV's Packagist records
 * and Packagist's own metadata normalise them: one leading "v" before a digit
 * is dropped ("v5.4.0" -> "5.4.0"); anything else is kept as Composer wrote
 * it ("dev-main"). A package without a valid name or version is a malformed
 * record. */
#include "analyzers/composer_int.h"
#include "analyzers/langpkg_int.h"
#include "base.h"

#include <string.h>

static int composer_wants(const char *path)
{
    static const char tail[] = "/vendor/composer/installed.json";
    size_t n = strlen(path), k = sizeof tail - 1;
    return n >= k && strcmp(path + n - k, tail) == 0;
}

static int package(const char *path, const json_t *e, rs_analysis *out)
{
    const char *name = rs_langpkg_json_token(e, "name", RS_LANGPKG_NAME_MAX);
    const char *ver = rs_langpkg_json_token(e, "version", RS_LANGPKG_VERSION_MAX);
    const char *slash = name ? strchr(name, '/') : NULL;
    if (!name || !ver || !slash || slash == name || !slash[1] || strchr(slash + 1, '/')) {
        out->n_malformed++;
        return 0;
    }
    if ((ver[0] == 'v' || ver[0] == 'V') && ver[1] >= '0' && ver[1] <= '9')
        ver++;
    char vendor[RS_LANGPKG_NAME_MAX + 1];
    memcpy(vendor, name, (size_t)(slash - name));
    vendor[slash - name] = '\0';
    rs_langpkg lp = {.type = "composer",
                     .ecosystem = "Packagist",
                     .purl_type = "composer",
                     .purl_ns = vendor,
                     .purl_name = slash + 1,
                     .purl_lower = 1,
                     .name = name,
                     .version = ver,
                     .path = path};
    return rs_langpkg_add(out, &lp);
}

static int composer_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                          char *errstr, size_t errsz)
{
    json_t *j = rs_langpkg_json_load(data, len);
    /* Composer 2 wraps the list; Composer 1 writes the list itself */
    json_t *list = json_is_object(j) ? json_object_get(j, "packages") : j;
    if (!json_is_array(list)) {
        out->n_malformed++;
        json_decref(j);
        return 0;
    }
    size_t i;
    json_t *e;
    int rc = 0;
    json_array_foreach(list, i, e)
    {
        if ((rc = package(path, e, out)))
            break;
    }
    json_decref(j);
    return rc ? rs_errf(errstr, errsz, rc, "out of memory parsing '%s'", path) : 0;
}

const rs_analyzer rs_analyzer_composer = {
    RS_ANALYZER_ID("composer", 1),
    .wants = composer_wants,
    .max_file_size = 16u * 1024 * 1024,
    .parse = composer_parse,
};
