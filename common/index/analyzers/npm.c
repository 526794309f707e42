/* analyzers/npm.c - npm packages installed in node_modules: the package.json
 * of each package, nested (node_modules/a/node_modules/b) and scoped
 * (node_modules/@scope/name).
 *
 * Only a package's own manifest counts: a package.json directly in
 * node_modules/<name>/ or node_modules/@scope/<name>/, never one deeper in a
 * package (test fixtures, templates). Name and version come from the JSON and
 * are checked (npm's name rules, a version that starts with a digit); a
 * manifest without them, or that is not JSON, is a malformed record. Lock
 * files are npmlock.c's. */
#include "analyzers/npm_int.h"
#include "analyzers/langpkg_int.h"
#include "base.h"

#include <string.h>

#define NPM_NAME_MAX 214 /* npm's own limit */

/* The n-th component from the end of `path` (0: the last), or NULL; its
 * length in *len. */
static const char *component(const char *path, int nth, size_t *len)
{
    const char *end = path + strlen(path);
    for (int k = 0;; k++) {
        const char *start = end;
        while (start > path && start[-1] != '/')
            start--;
        if (k == nth) {
            *len = (size_t)(end - start);
            return start;
        }
        if (start <= path + 1)
            return NULL;
        end = start - 1;
    }
}

static int is(const char *c, size_t n, const char *word)
{
    return c && n == strlen(word) && memcmp(c, word, n) == 0;
}

int rs_npm_manifest_path(const char *path)
{
    size_t n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    const char *c0 = component(path, 0, &n0), *c1 = component(path, 1, &n1);
    if (!is(c0, n0, "package.json") || !c1 || n1 == 0 || c1[0] == '.' || c1[0] == '@')
        return 0;
    const char *c2 = component(path, 2, &n2);
    if (is(c2, n2, "node_modules"))
        return 1;
    if (!c2 || n2 < 2 || c2[0] != '@')
        return 0;
    const char *c3 = component(path, 3, &n3);
    return is(c3, n3, "node_modules");
}

int rs_npm_valid_name(const char *s)
{
    size_t n = strlen(s);
    if (!rs_langpkg_token(s, n, NPM_NAME_MAX) || s[0] == '.' || s[0] == '_')
        return 0;
    const char *slash = strchr(s, '/');
    if (s[0] != '@')
        return slash == NULL;
    /* "@scope/name": one slash, both parts non-empty */
    return slash && slash > s + 1 && slash[1] && !strchr(slash + 1, '/');
}

int rs_npm_valid_version(const char *s)
{
    /* a registry version is semver: a digit first ("file:", "git+", "npm:"
     * aliases and URLs are no registry package's version) */
    return s[0] >= '0' && s[0] <= '9' && rs_langpkg_token(s, strlen(s), RS_LANGPKG_VERSION_MAX);
}

int rs_npm_add(rs_analysis *out, const char *path, const char *name, const char *version)
{
    char ns[NPM_NAME_MAX + 1] = "";
    const char *bare = name;
    if (name[0] == '@') {
        const char *slash = strchr(name, '/');
        memcpy(ns, name, (size_t)(slash - name));
        ns[slash - name] = '\0';
        bare = slash + 1;
    }
    rs_langpkg lp = {.type = "npm",
                     .ecosystem = "npm",
                     .purl_type = "npm",
                     .purl_ns = ns[0] ? ns : NULL,
                     .purl_name = bare,
                     .purl_lower = 0,
                     .name = name,
                     .version = version,
                     .path = path};
    return rs_langpkg_add(out, &lp);
}

static int npm_wants(const char *path)
{
    return rs_npm_manifest_path(path);
}

static int npm_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                     char *errstr, size_t errsz)
{
    json_t *j = rs_langpkg_json_load(data, len);
    const char *name = j ? rs_langpkg_json_token(j, "name", NPM_NAME_MAX) : NULL;
    const char *version = j ? rs_langpkg_json_token(j, "version", RS_LANGPKG_VERSION_MAX) : NULL;
    int rc = 0;
    if (!name || !version || !rs_npm_valid_name(name) || !rs_npm_valid_version(version))
        out->n_malformed++;
    else if (rs_npm_add(out, path, name, version))
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory parsing '%s'", path);
    json_decref(j);
    return rc;
}

const rs_analyzer rs_analyzer_npm = {
    RS_ANALYZER_ID("npm", 1),
    .wants = npm_wants,
    /* a manifest is a few KB; old npm versions embedded the readme */
    .max_file_size = 4u * 1024 * 1024,
    .parse = npm_parse,
};
