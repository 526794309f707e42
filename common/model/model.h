/* model.h - the nouns every stage shares: the inventory of an image (its OS,
 * its packages with the file and layer each came from, what could not be
 * read), the secrets and configuration weaknesses found in it, and what
 * regscan knows of each family of distributions (one backend per family).
 *
 * The one public header of common/model. */
#ifndef RS_MODEL_H
#define RS_MODEL_H

#include <jansson.h>
#include <stddef.h>

/* ---- secret: a secret found in an image: which rule, where, and a redacted
 * form of the match. The secret's value itself is never held here, so it
 * can reach no report, log, cache entry or message.
 *
 * Part of the index stage's result (rs_inventory): cached with the packages
 * in `inv:`, so a rematch still reports it. JSON encoding here is the one the
 * cache, the layer result and the report share. */

typedef struct rs_secret {
    char *rule;     /* stable rule id: "aws-access-key-id" */
    char *severity; /* "critical", "high", "medium", "low" */
    char *title;    /* "AWS access key ID" */
    char *path;     /* "/app/.env", or "config:Env", "config:history[3]" */
    size_t line;    /* 1-based; 0 for image-config fields without lines */
    char *match;    /* redacted: "AKIA****", "password=****" */
    char *layer;    /* digest of the layer that put it there; NULL until merged */
    char *deleted_in_layer; /* digest of the layer that deleted or replaced it; NULL: present */
    int text_replaced;      /* the path held bytes that were not UTF-8 (now U+FFFD) */
} rs_secret;

/* A growable list. Zero-initialise. */
typedef struct rs_secrets {
    rs_secret *items;
    size_t n, cap;
} rs_secrets;

/* Appends a copy of `s` (every string copied). Returns 0 or RS_ERR_INTERNAL. */
int rs_secrets_add(rs_secrets *l, const rs_secret *s);
/* Frees every item and empties the list. */
void rs_secrets_clear(rs_secrets *l);
/* Copies every string of `src` into a zeroed `dst`. Returns 0 or RS_ERR_INTERNAL. */
int rs_secret_copy(rs_secret *dst, const rs_secret *src);
void rs_secret_clear(rs_secret *s);
/* 1 when a and b are the same finding of the same file version (rule, line,
 * match), whatever their layers. */
int rs_secret_same(const rs_secret *a, const rs_secret *b);
/* Sorts by (path, line, rule, deleted_in_layer) for a deterministic output. */
void rs_secrets_sort(rs_secrets *l);

/* {"rule","severity","title","path","line","match","layer","deleted_in_layer"}
 * (new reference; NULL when out of memory). */
json_t *rs_secret_to_json(const rs_secret *s);
/* An array of every item (new reference; NULL when out of memory). */
json_t *rs_secrets_to_json(const rs_secrets *l);
/* Decodes an array written by rs_secrets_to_json (untrusted: types, lengths
 * and the count checked; path may be null: a layer result's file holds
 * its secrets without it), appending to *l. NULL or absent `j` is an empty
 * list (entries written before secrets existed). Returns 0 or RS_ERR_INVALID. */
int rs_secrets_from_json(const json_t *j, rs_secrets *l, char *errstr, size_t errstr_size);

/* ---- misconfig: a configuration weakness of an image: a stable check id, a
 * severity, a title, the evidence (paths, config fields; never a secret
 * value) and the CIS Docker Benchmark item where one exists.
 *
 * Part of the index stage's result (rs_inventory), cached in `inv:` with the
 * packages, so a rematch still reports it. */

typedef struct rs_misconfig {
    char *id;       /* stable: "root-user", "no-healthcheck", ... */
    char *severity; /* "critical", "high", "medium", "low" */
    char *title;
    char *evidence; /* what was seen: "config.User is empty", a list of paths */
    char *cis;      /* CIS Docker Benchmark item ("4.1"); NULL when none */
} rs_misconfig;

typedef struct rs_misconfigs {
    rs_misconfig *items;
    size_t n, cap;
} rs_misconfigs;

/* Appends a finding (strings copied; cis may be NULL). Returns 0 or RS_ERR_INTERNAL. */
int rs_misconfigs_add(rs_misconfigs *l, const char *id, const char *severity, const char *title,
                      const char *evidence, const char *cis);
void rs_misconfigs_clear(rs_misconfigs *l);
/* Sorts by id for a deterministic output. */
void rs_misconfigs_sort(rs_misconfigs *l);
/* An array of {"id","severity","title","evidence","cis"} (new reference;
 * NULL when out of memory). */
json_t *rs_misconfigs_to_json(const rs_misconfigs *l);
/* Decodes what rs_misconfigs_to_json wrote (untrusted), appending to *l; NULL
 * `j` is an empty list. Returns 0 or RS_ERR_INVALID. */
int rs_misconfigs_from_json(const json_t *j, rs_misconfigs *l, char *errstr, size_t errstr_size);

/* ---- inventory: what an image contains: its OS and its packages, each with
 * the file it was read from and the layer that put it there.
 *
 * This is the result of the index stage (DESIGN.md §1), cached in Redis as
 * `inv:{digest}` and published as regscan.image-inventory/v1; the match stage
 * reads only this. JSON encoding here is the one both use.
 *
 * Every string is valid UTF-8: analyzers replace what is not by U+FFFD where
 * they read it and set text_replaced, written as "flags":["invalid-utf8"]. */

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
    rs_secrets secrets;         /* found in files and in the image config */
    rs_misconfigs misconfigs;   /* configuration weaknesses */
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

/* Frees what an analyzer read into p (name, version, arch, source_name,
 * source_version) and sets them NULL; type, ecosystem, purl, path and layer
 * are the analyzer's borrowed strings and stay. */
void rs_pkg_clear_read(rs_pkg *p);
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

/* ---- analyzers/ecosystem: what regscan knows about one family of
 * distributions, behind one table of function pointers.
 *
 * Everything about one ecosystem has one home: its OSV ecosystem names, its
 * purl type, its source-package rule for matching and its end-of-life table
 * sit in one file per family (debian.c for Debian and Ubuntu, alpine.c,
 * rpm.c), next to the analyzer that reads its package database. inventory.c,
 * match.c and eol.c call through this table and know no distribution. */

/* One release's end of security support. */
typedef struct rs_eol_release {
    const char *id;      /* os-release ID */
    const char *release; /* as the family's eol_release writes it */
    const char *date;    /* "YYYY-MM-DD" */
} rs_eol_release;

typedef struct rs_ecosystem {
    const char *name;     /* "debian" (Debian and Ubuntu), "alpine", "rpm" */
    const char *pkg_type; /* the rs_pkg.type of its packages: "dpkg", "apk", "rpm" */
    /* 1 when `os` (found) is a release of this family. NULL: no OS known yet. */
    int (*owns_os)(const rs_os *os);
    /* Writes the OSV ecosystem of its packages on `os` (one it owns, with a
     * VERSION_ID): "Debian:12", "Alpine:v3.19"; "" when the version says none. */
    void (*osv_ecosystem)(const rs_os *os, char *out, size_t out_size);
    /* The purl type and namespace of its packages on `os` (one it owns);
     * *lower is 1 when the type's names are lowercase. */
    void (*purl_parts)(const rs_os *os, const char **type, const char **ns, int *lower);
    /* 1 when a version's "EPOCH:" prefix goes to the purl's epoch qualifier
     * (the rpm purl type), 0 when it stays in the version (deb). */
    int purl_epoch;
    /* The name and version a package is matched by (its source-package rule).
     * NULL: the package's own. */
    void (*match_identity)(const rs_pkg *p, const char **name, const char **version);
    /* Writes the release of `os` (one it owns) as its eol table names it. */
    void (*eol_release)(const rs_os *os, char *out, size_t out_size);
    const rs_eol_release *eol; /* the end-of-life table, n_eol entries */
    size_t n_eol;
} rs_ecosystem;

/* The NULL-terminated table of every ecosystem backend, in a fixed order. */
const rs_ecosystem *const *rs_ecosystems_all(void);
/* The backend of packages of type `type` (rs_pkg.type), or NULL. */
const rs_ecosystem *rs_ecosystem_for_type(const char *type);
/* The backend that owns `os` (found), or NULL. */
const rs_ecosystem *rs_ecosystem_for_os(const rs_os *os);
/* Writes the OSV ecosystem the OS packages of `os` are matched in
 * ("Debian:12", "Rocky Linux:9"); "" when no OSV source covers that release
 * (Amazon Linux, Fedora, CentOS, an OS no family knows). */
void rs_ecosystem_os_source(const rs_os *os, char *out, size_t out_size);
/* The number of ASCII digits `s` starts with (for VERSION_ID parsing). */
size_t rs_ecosystem_digits(const char *s);

extern const rs_ecosystem rs_ecosystem_debian;
extern const rs_ecosystem rs_ecosystem_alpine;
extern const rs_ecosystem rs_ecosystem_rpm;

#endif
