/* version.h - version orderings, one module per scheme, each following its
 * reference implementation (issue 3; DESIGN.md §9).
 *
 * A scheme compares two version strings of its ecosystem. A version that
 * cannot be parsed never crashes anything: compare returns RS_ERR_INVALID and
 * the caller reports the comparison as unknown. Every scheme is pure (no I/O,
 * no global state) and safe to call from several threads. */
#ifndef RS_VERSION_H
#define RS_VERSION_H

#include <stddef.h>

typedef struct rs_version_scheme {
    const char
        *name; /* "dpkg", "apk", "rpm", "pep440", "semver", "go", "maven", "rubygems", "nuget" */
    /* Sets *cmp to a negative number, 0 or a positive number as a < b, a == b,
     * a > b in this scheme. Returns 0, or RS_ERR_INVALID (cmp untouched) when
     * either string is not a version of this scheme. */
    int (*compare)(const char *a, const char *b, int *cmp);
    /* Returns 1 when `v` parses as a version of this scheme. */
    int (*valid)(const char *v);
} rs_version_scheme;

/* The scheme named `name` ("dpkg", ...), or NULL. */
const rs_version_scheme *rs_version_scheme_find(const char *name);

/* The scheme an OSV ecosystem uses: "Debian:12" → dpkg, "Ubuntu:22.04:LTS" → dpkg,
 * "Alpine:v3.19" → apk, "Red Hat:…", "Rocky Linux:…", "AlmaLinux:…", "SUSE:…",
 * "openSUSE:…" → rpm, "PyPI" → pep440, "npm" and "crates.io" → semver, "Go" → go,
 * "Maven" → maven, "RubyGems" → rubygems, "NuGet" → nuget, "Packagist" → semver
 * (Composer's normalisation is close to SemVer for released versions); NULL when
 * unknown. */
const rs_version_scheme *rs_version_scheme_for_ecosystem(const char *ecosystem);

/* Sorts `v` (n strings, borrowed) into one total order that does not depend
 * on the input order: versions `s` parses first, in the scheme's order (ties
 * between versions the scheme holds equal, such as "1.0" and "1.0.0", broken
 * by strcmp), then the others by strcmp. With `s` NULL everything is sorted
 * by strcmp. Keeps no state: safe from several threads. Returns 0, or
 * RS_ERR_INTERNAL when out of memory (v untouched). */
int rs_version_sort(const rs_version_scheme *s, char **v, size_t n);

/* Defines the scheme rs_version_<sym> called `name` for an order whose
 * versions parse into a `type` with `int parse_fn(const char *, type *)` (0
 * when valid) and compare with `int cmp_fn(const type *, const type *)`:
 * compare parses both sides (RS_ERR_INVALID when one does not parse), valid
 * parses one. The parsed values live on the stack. */
#define RS_VERSION_SCHEME_DEFINE(sym, name, type, parse_fn, cmp_fn)                                \
    static int sym##_compare(const char *a, const char *b, int *cmp)                               \
    {                                                                                              \
        type x_, y_;                                                                               \
        if (parse_fn(a, &x_) != 0 || parse_fn(b, &y_) != 0)                                        \
            return RS_ERR_INVALID;                                                                 \
        *cmp = cmp_fn(&x_, &y_);                                                                   \
        return 0;                                                                                  \
    }                                                                                              \
    static int sym##_valid(const char *v)                                                          \
    {                                                                                              \
        type x_;                                                                                   \
        return parse_fn(v, &x_) == 0;                                                              \
    }                                                                                              \
    const rs_version_scheme rs_version_##sym = {name, sym##_compare, sym##_valid}

/* NULL-terminated list of every scheme. */
const rs_version_scheme *const *rs_version_schemes_all(void);

/* The schemes (defined in their own modules). */
extern const rs_version_scheme rs_version_dpkg;
extern const rs_version_scheme rs_version_apk;
extern const rs_version_scheme rs_version_rpm;
extern const rs_version_scheme rs_version_pep440;
extern const rs_version_scheme rs_version_semver;
extern const rs_version_scheme rs_version_go;
extern const rs_version_scheme rs_version_maven;
extern const rs_version_scheme rs_version_rubygems;
extern const rs_version_scheme rs_version_nuget;

#endif
