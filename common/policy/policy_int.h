/* policy_int.h - what a loaded policy holds, shared by its loader
 * (policy.c), the OpenVEX reader (vex.c) and the evaluation (apply.c). */
#ifndef RS_POLICY_INT_H
#define RS_POLICY_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "base.h"
#include "policy.h"

/* Severity ranks: unknown 0 … critical 5; -1 is "no threshold". */
int rs_policy_severity_rank(const char *name);
/* The name of a rank ("high"), "?" when out of range. */
const char *rs_policy_severity_label(int rank);

/* One allow-list entry: suppresses findings whose id (or alias, or rule id)
 * is `id` and whose path matches `path` (an fnmatch glob; NULL: any path),
 * until `expires` (0: never). */
typedef struct rs_policy_allow {
    char *id;
    char *path;
    time_t expires;
    char *expires_text; /* as written, for the report */
    char *reason;
} rs_policy_allow;

/* A package no image may contain: `versions` NULL means every version. */
typedef struct rs_policy_forbidden {
    char *ecosystem; /* NULL: any ecosystem; an OS ecosystem matches without its release */
    char *name;
    char **versions;
    size_t n_versions;
    char *reason;
} rs_policy_forbidden;

/* One OpenVEX statement, flattened: it applies to a finding whose id or an
 * alias is in `vulns` and whose package is one of `products` or
 * `subcomponents` (purls; an image product is its digest). */
typedef struct rs_vex_statement {
    char **vulns;
    size_t n_vulns;
    char **products; /* purls or image digests */
    size_t n_products;
    char **subcomponents; /* purls; none: the whole product */
    size_t n_subcomponents;
    char *status; /* "not_affected", "fixed", "affected", "under_investigation" */
    char *justification;
    char *document; /* the VEX file's name, for the report */
} rs_vex_statement;

/* A file a policy was read from, as stat(2) saw it before the read. */
typedef struct rs_policy_file {
    char *path;
    struct stat st;
    int missing; /* stat failed */
} rs_policy_file;

struct rs_policy {
    atomic_int refs; /* rs_policy_ref / rs_policy_free */
    rs_policy_file *files; /* the policy, then its VEX documents */
    size_t n_files, cap_files;
    char *name;
    char *label; /* the operator's "version" */
    int fail_vuln;    /* severity rank, -1: vulnerabilities never fail */
    int only_fixable; /* only findings with a fix fail */
    int fail_secrets;
    int fail_partial; /* fail_on.partial: a report missing data (status partial) fails */
    int fail_misconf; /* severity rank, -1: never */
    rs_policy_allow *allow;
    size_t n_allow, cap_allow;
    rs_policy_forbidden *forbidden;
    size_t n_forbidden, cap_forbidden;
    rs_vex_statement *vex;
    size_t n_vex, cap_vex;
    rs_sha256 *content; /* the policy's bytes, then each VEX document's */
    char content_digest[RS_DIGEST_SIZE];
};

/* Reads the OpenVEX document `data` (named `name` in errors and reports)
 * into p->vex. Returns 0 or RS_ERR_CONFIG. */
int rs_vex_parse(rs_policy *p, const char *name, const char *data, size_t len, char *errstr,
                 size_t errstr_size);
void rs_vex_statement_clear(rs_vex_statement *s);

/* 1 when purl `a` names the same package as `b`: type, namespace, name and
 * version compared, qualifiers and subpath ignored; a side without a
 * version matches every version. */
int rs_purl_same_package(const char *a, const char *b);

/* A malloc'd copy of the string at j[key], NULL when absent; RS_ERR_CONFIG
 * through *rc when present but not a string. */
char *rs_policy_str(const json_t *j, const char *key, const char *file, int *rc, char *errstr,
                    size_t errstr_size);
/* Frees n strings and the array. */
void rs_policy_strv_free(char **v, size_t n);
/* Copies a JSON array of strings (or one string) into *out. Returns 0 or
 * RS_ERR_CONFIG naming `what`. */
int rs_policy_strv(const json_t *j, const char *what, const char *file, char ***out, size_t *n,
                   char *errstr, size_t errstr_size);

#endif
