/* analyzers/langpkg.h - what the analyzers of language packages share: one
 * way to check a name or version read from an image, and to add a package
 * with its OSV ecosystem and purl (rs_inventory_finish fills neither for
 * types without an OS backend). */
#ifndef RS_LANGPKG_H
#define RS_LANGPKG_H

#include <jansson.h>
#include <stddef.h>

#include "index.h"

/* Longest name and version kept; longer ones are malformed records. */
#define RS_LANGPKG_NAME_MAX 256
#define RS_LANGPKG_VERSION_MAX 128

/* What one package is: the purl's type, namespace (NULL: none) and name. */
typedef struct rs_langpkg {
    const char *type;      /* rs_pkg.type: the analyzer, "npm" */
    const char *ecosystem; /* OSV ecosystem: "npm", "PyPI" */
    const char *purl_type; /* "npm", "pypi", "gem", "nuget", "composer" */
    const char *purl_ns;   /* "@scope", "vendor"; NULL: none */
    const char *purl_name; /* the name in the purl (without namespace) */
    int purl_lower;        /* the purl type's names are lowercase */
    const char *name;      /* as reported: "@scope/name", "vendor/pkg" */
    const char *version;
    const char *path; /* the file read */
    int text_replaced;
} rs_langpkg;

/* 1 when s[0..n) is a plausible token for a name or version: 1..max bytes,
 * no control character, no space, no byte 0x7f. Bytes >= 0x80 pass (callers
 * sanitise them as UTF-8). */
int rs_langpkg_token(const char *s, size_t n, size_t max);

/* Adds the package (every string copied, purl built with rs_purl_make).
 * Returns 0 or RS_ERR_INTERNAL. */
int rs_langpkg_add(rs_analysis *out, const rs_langpkg *lp);
/* As rs_langpkg_add for a package whose purl has no namespace and keeps the
 * name's case: the name is the purl's name. */
int rs_langpkg_add_plain(rs_analysis *out, const char *type, const char *ecosystem,
                         const char *purl_type, const char *name, const char *version,
                         const char *path, int text_replaced);

/* The string value of key `k` of JSON object `o` when it is a token (see
 * rs_langpkg_token, max bytes), else NULL. */
const char *rs_langpkg_json_token(const json_t *o, const char *k, size_t max);

/* Parses data[0..len) as JSON (depth bounded by jansson, strings UTF-8
 * checked). Returns a new reference, or NULL when malformed. */
json_t *rs_langpkg_json_load(const char *data, size_t len);

#endif
