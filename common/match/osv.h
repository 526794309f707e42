/* osv.h - OSV vulnerability records (https://ossf.github.io/osv-schema/):
 * parse an untrusted record into what matching and reporting need, evaluate
 * a version against its affected ranges, and the ecosystem / name keys that
 * records and packages are looked up by.
 *
 * Keeps only what matching and reporting use: id, aliases, upstream,
 * summary, withdrawn, severity inputs (CVSS vectors, database severity,
 * distribution urgency or priority) and the affected packages with their
 * ranges and versions. Does no I/O. */
#ifndef RS_OSV_H
#define RS_OSV_H

#include <jansson.h>
#include <stddef.h>

#include "versions/version.h"

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

#endif
