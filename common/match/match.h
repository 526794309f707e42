/* match.h - the match stage: an inventory against a vulnerability database
 * gives findings (DESIGN.md §1, §9).
 *
 * Works on the inventory alone (no layers, no registry), so a rematch after a
 * database update costs no pull. OS packages are matched by their source
 * package (dpkg Source:, apk origin) and, for Debian and Ubuntu, the source
 * version; records of the image's release and of the distribution without a
 * release both apply. One vulnerability known under several ids (a
 * distribution record, a GHSA, a CVE) is reported once per package with all
 * its ids. */
#ifndef RS_MATCH_H
#define RS_MATCH_H

#include <jansson.h>
#include <stddef.h>

#include "inventory.h"
#include "vulndb.h"

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
