/* inventory.h - what an image contains: its OS and its packages, each with
 * the file it was read from and the layer that put it there.
 *
 * This is the result of the index stage (DESIGN.md §1), cached in Redis as
 * `inv:{digest}` and published as regscan.image-inventory/v1; the match stage
 * reads only this. JSON encoding here is the one both use.
 *
 * Every string is valid UTF-8: analyzers replace what is not by U+FFFD where
 * they read it and set text_replaced, written as "flags":["invalid-utf8"]. */
#ifndef RS_INVENTORY_H
#define RS_INVENTORY_H

#include <jansson.h>
#include <stddef.h>

#include "misconfig.h"
#include "secret.h"

/* The one flag a package or an OS carries in its "flags" array today. */
#define RS_FLAG_INVALID_UTF8 "invalid-utf8"

typedef struct rs_os {
    char id[32];         /* os-release ID: "debian", "alpine", "ubuntu" */
    char version_id[32]; /* "12", "3.19.1", "22.04" */
    char version_codename[32];
    char pretty_name[128];
    int found;         /* an os-release file was seen */
    int text_replaced; /* a value held bytes that were not UTF-8 (now U+FFFD) */
} rs_os;

typedef struct rs_pkg {
    char *type;      /* analyzer that found it: "dpkg", "apk" */
    char *ecosystem; /* OSV ecosystem: "Debian:12", "Alpine:v3.19"; NULL until known */
    char *name;
    char *version;
    char *source_name;    /* source (dpkg Source:) or origin (apk o:); NULL when none */
    char *source_version; /* NULL when the source has the binary's version */
    char *arch;           /* NULL when unknown */
    char *purl;           /* NULL until rs_inventory_finish */
    char *path;           /* the file it was read from: "/var/lib/dpkg/status" */
    char *layer;          /* digest of the layer that introduced it; NULL until merged */
    int text_replaced;    /* a field held bytes that were not UTF-8 (now U+FFFD) */
} rs_pkg;

/* What the index stage could not read, in one shape for every limit and
 * parse failure (the report's "errors"): a layer's file an analyzer skipped,
 * an entry that could not be applied. Strings are valid UTF-8. */
typedef struct rs_inv_error {
    char *layer;    /* digest of the layer; NULL when unknown */
    char *path;     /* the file, normalised ("/app/app.jar!/BOOT-INF/lib/x.jar" for a part) */
    char *code;     /* "LIMIT_EXCEEDED", "INVALID", ... (rs_err_code) */
    char *limit;    /* the limit exceeded ("max_file_size"); NULL when none */
    char *analyzer; /* the analyzer that gave up; NULL: the entry as a whole */
    char *detail;   /* one line; NULL when nothing to add */
} rs_inv_error;

/* At most this many errors are kept per image; the rest are counted. */
#define RS_INV_MAX_ERRORS 1000

typedef struct rs_inventory {
    rs_os os;
    rs_pkg *pkgs;
    size_t n_pkgs, cap_pkgs;
    char **layers; /* layer digests, bottom first */
    size_t n_layers, cap_layers;
    rs_inv_error *errors; /* in layer order; see rs_inventory_add_error */
    size_t n_errors, cap_errors;
    size_t errors_omitted; /* errors past RS_INV_MAX_ERRORS */
    rs_secrets secrets;         /* found in files and in the image config (secret.h) */
    rs_misconfigs misconfigs;   /* configuration weaknesses (misconfig.h) */
    /* the manifest's base image annotations (rs_manifest base_name and
     * base_digest), kept so that a rematch from the cached inventory names the
     * base too; "" when absent (invbase.c) */
    char base_name[256];
    char base_digest[72];
} rs_inventory;

/* Appends a copy of `e` (NULL fields stay NULL); past RS_INV_MAX_ERRORS only
 * counts it. Returns 0 or RS_ERR_INTERNAL. */
int rs_inventory_add_error(rs_inventory *inv, const rs_inv_error *e);
/* The errors as a JSON array (new reference, NULL when out of memory). */
json_t *rs_inv_errors_to_json(const rs_inventory *inv);
/* Reads an "errors" array as rs_inv_errors_to_json wrote it (untrusted:
 * types and lengths checked; absent is none). Returns 0 or RS_ERR_INVALID. */
int rs_inv_errors_from_json(const json_t *a, rs_inventory *inv, char *errstr, size_t errstr_size);
/* Frees the errors of inv. */
void rs_inv_errors_free(rs_inventory *inv);

/* Sets "base_annotation": {"name", "digest"} on `o` when inv has either
 * annotation (nothing otherwise). Returns 0, or -1 when out of memory. */
int rs_inv_base_to_json(const rs_inventory *inv, json_t *o);
/* Reads an optional "base_annotation" object of `j` (untrusted: a name over
 * 255 bytes or not UTF-8, a digest that is not 71 bytes, is RS_ERR_INVALID). */
int rs_inv_base_from_json(const json_t *j, rs_inventory *inv, char *errstr, size_t errstr_size);

/* Returns NULL when out of memory. */
rs_inventory *rs_inventory_new(void);
void rs_inventory_free(rs_inventory *inv);

/* Copies every string of `p` (NULL fields stay NULL). Returns 0 or RS_ERR_INTERNAL. */
int rs_inventory_add(rs_inventory *inv, const rs_pkg *p);
int rs_inventory_add_layer(rs_inventory *inv, const char *digest);

/* Sets ecosystem and purl of every package from inv->os and sorts packages
 * by (type, name, version, path) so output is deterministic. */
void rs_inventory_finish(rs_inventory *inv);

/* Frees the strings of one package and zeroes it. */
void rs_pkg_clear(rs_pkg *p);
/* Clears n packages and frees the array (NULL is fine). */
void rs_pkgs_free(rs_pkg *pkgs, size_t n);

/* Encodes {"os": {...}, "layers": [...], "packages": [...], "secrets": [...],
 * "misconfigurations": [...]} (new reference,
 * NULL only when out of memory: strings that are not UTF-8 are written with
 * U+FFFD). A package or OS whose text_replaced is set carries
 * "flags":["invalid-utf8"]. */
json_t *rs_inventory_to_json(const rs_inventory *inv);
json_t *rs_pkg_to_json(const rs_pkg *p);
json_t *rs_os_to_json(const rs_os *os);
/* Sets "flags":["invalid-utf8"] on object `o` when text_replaced, nothing
 * otherwise: the one encoding of the flag (packages, OS, report entries).
 * Returns 0, or -1 when out of memory. */
int rs_inventory_flags_set(json_t *o, int text_replaced);
/* Decodes what rs_inventory_to_json wrote (untrusted: types are checked).
 * Returns 0 with *out set, or RS_ERR_INVALID. */
int rs_inventory_from_json(const json_t *j, rs_inventory **out, char *errstr, size_t errstr_size);

/* The OSV ecosystem for a package type on an OS ("Debian:12", "Ubuntu:22.04",
 * "Alpine:v3.19"), written into out; "" when unknown. */
void rs_inventory_ecosystem(const rs_os *os, const char *type, char *out, size_t out_size);

/* Copies every string and flag of `src` into a zeroed `dst` (NULL fields stay NULL).
 * Returns 0 or RS_ERR_INTERNAL (dst left cleared). */
int rs_pkg_copy(rs_pkg *dst, const rs_pkg *src);
/* Decodes one package as rs_pkg_to_json wrote it into a zeroed *out
 * (untrusted: types and lengths checked). Returns 0 or RS_ERR_INVALID. */
int rs_pkg_from_json(const json_t *j, rs_pkg *out, char *errstr, size_t errstr_size);
/* Decodes an OS object as rs_os_to_json wrote it. Returns 0 or RS_ERR_INVALID. */
int rs_os_from_json(const json_t *j, rs_os *out, char *errstr, size_t errstr_size);
/* The package URL of `p` on `os` (purl spec: pkg:deb/debian/..., pkg:apk/alpine/...),
 * malloc'd; NULL when the type or OS has no purl type, or out of memory. */
char *rs_pkg_purl(const rs_os *os, const rs_pkg *p);

/* A package URL without qualifiers: "pkg:TYPE/NS/NAME@VERSION" (purl spec),
 * every part percent-encoded, `ns` (NULL or "" for none) encoded segment by
 * segment with its "/" kept ("golang.org/x" for golang, "@babel" for a scoped
 * npm package, a Maven groupId), the name lowercased when `lower`. For the
 * analyzers of language ecosystems, which set purl themselves. Malloc'd; NULL
 * when a part is missing, a namespace segment is longer than 255 bytes, or out
 * of memory. */
char *rs_purl_make(const char *type, const char *ns, const char *name, const char *version,
                   int lower);

#endif
