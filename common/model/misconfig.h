/* misconfig.h - a configuration weakness of an image: a stable check id, a
 * severity, a title, the evidence (paths, config fields; never a secret
 * value) and the CIS Docker Benchmark item where one exists.
 *
 * Part of the index stage's result (rs_inventory), cached in `inv:` with the
 * packages, so a rematch still reports it. */
#ifndef RS_MISCONFIG_H
#define RS_MISCONFIG_H

#include <jansson.h>
#include <stddef.h>

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

#endif
