/* match.h - the match stage: version orders, OSV records, vulnerability
 * snapshots, matching an inventory, CVSS scores and end-of-life dates. It
 * reads an inventory and a snapshot; it links no network or state store.
 *
 * The one public header of common/match. */
#ifndef RS_MATCH_H
#define RS_MATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* ---- version: version orderings, one module per scheme, each following its
 * reference implementation (issue 3; DESIGN.md §9).
 *
 * A scheme compares two version strings of its ecosystem. A version that
 * cannot be parsed never crashes anything: compare returns RS_ERR_INVALID and
 * the caller reports the comparison as unknown. Every scheme is pure (no I/O,
 * no global state) and safe to call from several threads. */

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

/* ---- osv: OSV vulnerability records (https://ossf.github.io/osv-schema/):
 * parse an untrusted record into what matching and reporting need, evaluate
 * a version against its affected ranges, and the ecosystem / name keys that
 * records and packages are looked up by.
 *
 * Keeps only what matching and reporting use: id, aliases, upstream,
 * summary, withdrawn, severity inputs (CVSS vectors, database severity,
 * distribution urgency or priority) and the affected packages with their
 * ranges and versions. Does no I/O. */

typedef enum { RS_RANGE_ECOSYSTEM = 0, RS_RANGE_SEMVER, RS_RANGE_GIT } rs_range_type;
typedef enum { RS_EV_INTRODUCED = 0, RS_EV_FIXED, RS_EV_LAST_AFFECTED, RS_EV_LIMIT } rs_event_kind;

typedef struct rs_osv_event {
    rs_event_kind kind;
    char *version;
} rs_osv_event;

typedef struct rs_osv_range {
    rs_range_type type;
    rs_osv_event *events;
    size_t n_events;
} rs_osv_range;

typedef struct rs_osv_affected {
    char *ecosystem; /* as written: "Debian:12", "Ubuntu:22.04:LTS", "PyPI" */
    char *name;      /* as written */
    char *key;       /* rs_osv_key of ecosystem and name */
    rs_osv_range *ranges;
    size_t n_ranges;
    char **versions;
    size_t n_versions;
    char *severity; /* per-package: Debian urgency, affected[].severity, "" when none */
} rs_osv_affected;

typedef struct rs_osv_record {
    char *id;
    char **aliases; /* deduplicated, without id */
    size_t n_aliases;
    char **upstream; /* ids of the upstream vulnerabilities (OSV `upstream`) */
    size_t n_upstream;
    char *summary; /* "" when none; details' first line when no summary */
    char *modified;
    int withdrawn;
    char *cvss2;    /* a CVSS v2 vector ("AV:N/AC:L/Au:N/…") or NULL */
    char *cvss3;    /* "CVSS:3.x/…" vector or NULL */
    char *cvss4;    /* "CVSS:4.0/…" vector or NULL */
    char *severity; /* database_specific.severity or a distribution priority, lowercased; "" */
    rs_osv_affected *affected;
    size_t n_affected;
} rs_osv_record;

#define RS_OSV_MAX_RECORD_BYTES (16u << 20)

/* Parses one record (untrusted). Returns 0 with *out (free with
 * rs_osv_record_free), or RS_ERR_INVALID naming the field. Affected entries
 * without a package are dropped (they are not matchable). */
int rs_osv_parse(const json_t *j, rs_osv_record **out, char *errstr, size_t errstr_size);
void rs_osv_record_free(rs_osv_record *r);
/* Frees the fields of one affected entry. */
void rs_osv_affected_clear(rs_osv_affected *a);

/* The compact form kept in snapshots (what rs_osv_parse reads back). */
json_t *rs_osv_to_json(const rs_osv_record *r);

/* The lookup key of a package: "<ecosystem key>\x1f<normalised name>", where
 * the ecosystem key drops Ubuntu's ":LTS" and the name is normalised the way
 * the ecosystem compares names (PyPI: PEP 503; NuGet, Packagist: lowercase;
 * others as written). *out is malloc'd. */
int rs_osv_key(const char *ecosystem, const char *name, char **out);

/* The ecosystem without its release ("Debian:12" → "Debian"), into out. */
void rs_osv_ecosystem_base(const char *ecosystem, char *out, size_t out_size);

typedef enum { RS_AFFECTED_NO = 0, RS_AFFECTED_YES = 1, RS_AFFECTED_UNKNOWN = 2 } rs_affected_state;

typedef struct rs_osv_eval {
    rs_affected_state state;
    int git_ranges_skipped; /* GIT ranges are not evaluated */
    const char *unparsed;   /* the version that could not be compared (borrowed) */
} rs_osv_eval;

/* Evaluates `version` against one affected entry with the OSV algorithm
 * (versions list, then every non-GIT range: BeforeLimits, sorted events,
 * introduced / fixed / last_affected). ECOSYSTEM ranges use `scheme`; SEMVER
 * ranges use SemVer. A version that cannot be compared makes the answer
 * RS_AFFECTED_UNKNOWN (never a crash, never a silent "no"). */
void rs_osv_evaluate(const rs_osv_affected *a, const rs_version_scheme *scheme, const char *version,
                     rs_osv_eval *out);

/* Every fixed version of `a` (borrowed pointers into a), into a caller array
 * of at most max entries; returns how many. */
size_t rs_osv_fixed_versions(const rs_osv_affected *a, const char **out, size_t max);

/* ---- vulndb: a vulnerability database in memory: OSV records from
 * directories of .json files, osv.dev all.zip exports or a snapshot file,
 * looked up by (ecosystem, package name) key; and the snapshot file itself
 * (DESIGN.md §9).
 *
 * A snapshot is JSON lines: a header {"schema":"regscan.vulndb-snapshot/v1",
 * "version":N,"built_at":…,"records":N,"sources":[…]} then one compact record
 * per line, sorted by id. Loading never trusts its input: a malformed record,
 * one with an unknown ecosystem or one whose versions cannot be read is
 * skipped and counted, never a crash. */

#define RS_VULNDB_SCHEMA "regscan.vulndb-snapshot/v1"

typedef struct rs_vulndb rs_vulndb;

typedef struct rs_vulndb_stats {
    long files;             /* .json files or zip members read */
    long records;           /* records kept */
    long withdrawn;         /* skipped: withdrawn */
    long invalid;           /* skipped: malformed (JSON or fields) */
    long unknown_ecosystem; /* affected entries dropped: no version order for their ecosystem */
    long unmatchable;       /* records skipped: nothing left to match */
    long replaced;          /* the same id seen again: the newer `modified` kept */
    long unparseable;       /* records kept with a version their ecosystem cannot parse: such a
                             * range evaluates to "unknown" (reported unconfirmed), never "no" */
} rs_vulndb_stats;

/* An empty database. NULL when out of memory. */
rs_vulndb *rs_vulndb_new(void);
void rs_vulndb_destroy(rs_vulndb *db);

/* Adds every record of `path`: a directory (searched recursively for .json
 * files), a .zip (osv.dev's all.zip) or a snapshot file. Bad records are
 * counted in *st (may be NULL) and logged as warnings, at most a few lines.
 * Returns 0, or RS_ERR_INVALID / RS_ERR_UNREACHABLE when `path` itself
 * cannot be read. */
int rs_vulndb_add(rs_vulndb *db, const char *path, rs_vulndb_stats *st, char *errstr,
                  size_t errstr_size);
/* Sorts and indexes the records added; call once after the last add. */
int rs_vulndb_finish(rs_vulndb *db, char *errstr, size_t errstr_size);

/* rs_vulndb_new + add + finish for one path. */
int rs_vulndb_load(const char *path, rs_vulndb **out, rs_vulndb_stats *st, char *errstr,
                   size_t errstr_size);

/* Writes a snapshot with `version` atomically (a temporary file next to it,
 * renamed), and its sha256 ("sha256:…") into sha256_out when not NULL. */
int rs_vulndb_write(const rs_vulndb *db, const char *path, int64_t version, char sha256_out[72],
                    char *errstr, size_t errstr_size);
/* Writes a snapshot with `version` into the store directory `dir` under its
 * content-unique name DIR/vulndb-NNNNNN-<first 16 hex digits of its
 * sha256>.jsonl (NNNNNN: the version, at least 6 digits), atomically: a
 * temporary DIR/.vulndb-tmp-XXXXXX renamed, mode 0644. The path goes to
 * path_out, the sha256 to sha256_out (may be NULL). Two writers never clash:
 * equal names mean equal content. */
int rs_vulndb_write_store(const rs_vulndb *db, const char *dir, int64_t version, char *path_out,
                          size_t path_size, char sha256_out[72], char *errstr, size_t errstr_size);
/* Returns 1 and sets *version when `name` (a file name, no directory) is a
 * snapshot's: "vulndb-" 6 to 18 digits (a version >= 1), optionally "-" and
 * 16 lowercase hex digits, ".jsonl"; 0 for any other name. */
int rs_vulndb_name_version(const char *name, int64_t *version);

/* The snapshot version (0 when built from raw sources), record count. */
int64_t rs_vulndb_version(const rs_vulndb *db);
size_t rs_vulndb_count(const rs_vulndb *db);
/* How many records rs_vulndb_finish dropped because a newer copy of the same
 * id was kept (rs_vulndb_load puts it in stats.replaced; callers of add +
 * finish copy it there themselves). */
long rs_vulndb_replaced(const rs_vulndb *db);

typedef struct rs_vulndb_hit {
    const rs_osv_record *record;
    const rs_osv_affected *affected;
} rs_vulndb_hit;

/* The affected entries whose key (rs_osv_key) is `key`; *n set to their
 * count; the array stays valid while the database lives. */
const rs_vulndb_hit *rs_vulndb_find(const rs_vulndb *db, const char *key, size_t *n);

/* ---- cvss: CVSS vectors: parse, validate and compute base scores.
 *
 * v3.0 and v3.1 ("CVSS:3.x/...") get the base score of the FIRST v3.1
 * specification (§7.1 formulas, Appendix A Roundup); v2 vectors (no prefix,
 * "AV:N/AC:L/Au:N/C:P/I:P/A:P") get the v2 base score and the NVD v2 severity;
 * v4 vectors ("CVSS:4.0/...") are checked for prefix and shape and kept as
 * they are, without a score. Temporal and environmental metrics are validated
 * but do not enter the score. Nothing else is computed here. */

/* The longest vector accepted, in bytes (without the terminator). */
#define RS_CVSS_VECTOR_MAX 255

typedef struct rs_cvss {
    int major, minor;  /* 2.0, 3.0, 3.1 or 4.0, from the vector itself */
    double base_score; /* 0.0 .. 10.0, one decimal; 0 when has_score is 0 */
    char severity[16]; /* "none", "low", "medium", "high", "critical"; "" for v4 */
    char vector[256];  /* the vector as given */
    int has_score;     /* 1 for v2 and v3.x, 0 for v4 */
} rs_cvss;

/* Parses `vector` (untrusted; at most RS_CVSS_VECTOR_MAX bytes) into `out`.
 * Returns 0, or RS_ERR_INVALID with a message naming the bad metric; `out` is
 * zeroed first and complete only on success. */
int rs_cvss_parse(const char *vector, rs_cvss *out, char *errstr, size_t errstr_size);

/* The v3.1 Roundup of Appendix A: the smallest one-decimal number >= x after
 * rounding x to 5 decimals (so 4.000000000000001 gives 4.0, 4.02 gives 4.1).
 * x must be in [0, 1000]. */
double rs_cvss_roundup(double x);

/* ---- eol: end of security support of distribution releases.
 *
 * Built-in tables, one per family in its ecosystem backend (analyzers/
 * debian.c: Debian end of LTS, Ubuntu LTS end of standard support, ESM not
 * counted, interim Ubuntu releases; analyzers/alpine.c: end of the branch's
 * security fixes), from the distributions' own release pages. A release no
 * table knows is reported as not end-of-life with no date. */

/* Looks `os` up. Returns 1 with date ("YYYY-MM-DD") set when the release is
 * known, 0 otherwise. *eol is 1 when today ("YYYY-MM-DD"; NULL: the current
 * UTC date) is after that date. */
int rs_eol_lookup(const rs_os *os, const char *today, char date[11], int *eol);

/* ---- match: the match stage: an inventory against a vulnerability database
 * gives findings (DESIGN.md §1, §9).
 *
 * Works on the inventory alone (no layers, no registry), so a rematch after a
 * database update costs no pull. OS packages are matched by their source
 * package (dpkg Source:, apk origin) and, for Debian and Ubuntu, the source
 * version; records of the image's release and of the distribution without a
 * release both apply. One vulnerability known under several ids (a
 * distribution record, a GHSA, a CVE) is reported once per package with all
 * its ids. */

typedef enum {
    RS_SEV_UNKNOWN = 0,
    RS_SEV_NEGLIGIBLE,
    RS_SEV_LOW,
    RS_SEV_MEDIUM,
    RS_SEV_HIGH,
    RS_SEV_CRITICAL
} rs_severity;

/* "unknown", "negligible", "low", "medium", "high", "critical". */
const char *rs_severity_name(rs_severity s);

typedef struct rs_finding {
    char *id;       /* the primary id of the group */
    char **aliases; /* every other id of the group, sorted */
    size_t n_aliases;
    char **upstream; /* upstream ids of the group, sorted */
    size_t n_upstream;
    const rs_pkg *pkg;     /* borrowed from the inventory */
    char *matched_name;    /* the name matched: the source package for OS packages */
    char *matched_version; /* the version matched: the source version where given */
    char **fixed;          /* every fixed version, in the ecosystem's order */
    size_t n_fixed;
    char *nearest_fix; /* the lowest fixed version above the installed one, or NULL */
    rs_severity severity;
    char cvss_version[8]; /* "3.1", "3.0", "2.0" or "" */
    double cvss_score;
    char *cvss_vector;  /* the vector the score comes from, or NULL */
    char *cvss4_vector; /* a v4 vector, kept as is, or NULL */
    char *summary;
    char *remediation;   /* "upgrade … to … or later" or "no fix available" */
    int version_unknown; /* 1: a version could not be compared: affected not proven */
} rs_finding;

typedef struct rs_match_result {
    rs_finding *findings; /* sorted: severity (highest first), package, id */
    size_t n;
    long by_severity[6]; /* indexed by rs_severity, confirmed findings only */
    long fixable;        /* confirmed findings with a fix above the installed version */
    long unconfirmed;    /* findings whose versions could not be compared */
    long git_ranges_skipped;
} rs_match_result;

/* Matches every package of `inv`. Returns 0 with *out (free with
 * rs_match_result_free) or RS_ERR_INTERNAL. */
int rs_match_inventory(const rs_vulndb *db, const rs_inventory *inv, rs_match_result **out,
                       char *errstr, size_t errstr_size);
void rs_match_result_free(rs_match_result *m);

/* Fills a report's "vulnerabilities" array and its summary counts
 * (vulnerabilities by severity, fixable) from `m`. */
int rs_match_to_report(const rs_match_result *m, json_t *report);

/* A stable digest of the findings (ids, packages, versions, fixes, severity):
 * equal when a rematch found the same thing, so no new report is needed. */
void rs_match_fingerprint(const rs_match_result *m, char out[72]);

#endif
