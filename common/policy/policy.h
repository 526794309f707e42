/* policy.h - a tenant's security policy and the verdict it gives a report.
 *
 * A policy (docs/contracts.md, "Policy") says which findings fail an image:
 * vulnerabilities at or above a severity (optionally only those with a fix),
 * forbidden packages, any secret, misconfigurations at or above a severity.
 * Its allow-list (by id and path glob, with an optional expiry) and the
 * OpenVEX documents it names (not_affected and fixed statements) suppress
 * findings: a suppressed finding leaves the report's arrays for its
 * "suppressed" array, with what suppressed it.
 *
 * The verdict depends on the policy file, its VEX files and which
 * time-limited allow entries are in force: rs_policy_version() hashes all
 * three, so a changed file or an expired entry gives a new version, the
 * coordinator asks for a rematch and the report a new report_id.
 *
 * It reads files only in rs_policy_load; evaluation is pure (the time is an
 * argument). Policy files are the operator's, not an image's, but are still
 * checked strictly: an unknown key or a wrong type is an error naming it.
 *
 * The one public header of common/policy. */
#ifndef RS_POLICY_H
#define RS_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "model.h"

typedef struct rs_policy rs_policy;

/* Policy and VEX files larger than this are refused (LIMIT_EXCEEDED). */
#define RS_POLICY_MAX_FILE (8u * 1024 * 1024)

/* Reads the policy at `path` and the VEX documents it names (relative to
 * its folder). Returns 0 with *out set, or RS_ERR_CONFIG (a file cannot be
 * read, is not JSON, has an unknown key or a wrong type: errstr names the
 * file and the key) or RS_ERR_LIMIT_EXCEEDED. */
int rs_policy_load(const char *path, rs_policy **out, char *errstr, size_t errstr_size);
/* As rs_policy_load from bytes already read (tests, fuzzing); VEX
 * documents named by the policy are read relative to `dir` (NULL: "."). */
int rs_policy_parse(const char *data, size_t len, const char *dir, rs_policy **out, char *errstr,
                    size_t errstr_size);
/* Drops one reference; the last one frees the policy (NULL is fine). */
void rs_policy_free(rs_policy *p);
/* Takes one more reference to p (a policy is immutable once loaded, so
 * several threads may use it). Returns p. */
rs_policy *rs_policy_ref(rs_policy *p);
/* 1 when every file rs_policy_load read for p (the policy and its VEX
 * documents) is still the same file with the same size and modification
 * time, so that loading again would read the same bytes; 0 otherwise (and
 * for a policy from rs_policy_parse that named VEX files it could read). */
int rs_policy_unchanged(const rs_policy *p);

/* The effective version at `now`: "p1-" and 16 hex digits of the sha256 of
 * the policy's bytes, each VEX document's bytes, and the indices of the
 * allow entries with an expiry that are in force. Writes it into out. */
void rs_policy_version(const rs_policy *p, time_t now, char out[24]);

/* Applies the policy to a report built by rs_report_build and filled by
 * rs_match_to_report and the index stage (vulnerabilities, secrets,
 * misconfigurations), for the image `digest` whose packages are `inv`:
 * moves suppressed entries to "suppressed" (each with "suppressed_by"),
 * recounts the summary, and sets "policy": {"verdict": "pass"|"fail",
 * "version", "violations": [...]}. `p` NULL: no policy, verdict "pass" with
 * no violations and nothing suppressed. Returns 0, or RS_ERR_INTERNAL when
 * out of memory. */
int rs_policy_apply(const rs_policy *p, const char *digest, const rs_inventory *inv, time_t now,
                    json_t *report);

/* 1 when the report's policy verdict is "fail". */
int rs_policy_failed(const json_t *report);

#endif
