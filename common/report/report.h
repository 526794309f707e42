/* report.h - the messages: scan requests, reports and inventories, their
 * JSON codecs, and splitting a report into parts that fit a Kafka message.
 *
 * The one public header of common/report. */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "image.h"
#include "match.h"
#include "base.h"

/* ---- message: the Kafka messages of DESIGN.md §4: scan requests (encode and
 * decode of untrusted bytes), image reports and inventories (build), their
 * ids, and splitting an oversized document into complete parts.
 *
 * Does no I/O besides reading randomness for scan ids. */

#define RS_SCHEMA_SCAN_REQUEST "regscan.scan-request/v1"
#define RS_SCHEMA_IMAGE_REPORT "regscan.image-report/v1"
#define RS_SCHEMA_IMAGE_INVENTORY "regscan.image-inventory/v1"

/* Bounds a decoded request is checked against (untrusted input). */
#define RS_REQUEST_MAX_BYTES (1024 * 1024)
#define RS_REQUEST_MAX_TENANT 64
#define RS_REQUEST_MAX_REGISTRY 255
#define RS_REQUEST_MAX_REPOSITORY 255
#define RS_REQUEST_MAX_TAG 128
#define RS_REQUEST_MAX_ID 128 /* batch_id, requested_at */
#define RS_REQUEST_MAX_REFS 1024
#define RS_REQUEST_MAX_TAGS 16384 /* over all refs */
/* Tags a request or report lists; the others are counted in "refs_omitted"
 * (well under the decoder's bounds above, so a request always decodes). */
#define RS_REFS_MAX_TAGS 100

/* The tags of one repository that point to a digest. */
typedef struct rs_ref {
    char *registry; /* host[:port] as in rs_registry_conf.host */
    char *repository;
    char **tags; /* sorted */
    size_t n_tags;
    size_t cap_tags; /* RS_GROW's capacity of tags */
} rs_ref;

/* A list of refs, sorted by (registry, repository). Zero-initialise. */
typedef struct rs_refs {
    rs_ref *items;
    size_t n;
    size_t omitted; /* tags that point to the digest and are not in items (a cap) */
    size_t cap;     /* RS_GROW's capacity of items */
} rs_refs;

/* Adds registry/repository:tag, keeping items and tags sorted and unique.
 * Returns 0 or RS_ERR_INTERNAL. */
int rs_refs_add(rs_refs *r, const char *registry, const char *repository, const char *tag);
/* Frees every item and empties the list (omitted = 0). */
void rs_refs_clear(rs_refs *r);
/* [{"registry","repository","tags":[...]}] with at most RS_REFS_MAX_TAGS
 * tags, in order, leaving out what a request decoder rejects (a malformed
 * registry, repository or tag). *omitted = r->omitted plus the tags left
 * out. r may be NULL ([]). New reference, NULL when out of memory. */
json_t *rs_refs_to_json(const rs_refs *r, size_t *omitted);

/* regscan.scan-request/v1. Strings may be borrowed by an encoder; a decoded
 * request owns them and is released with rs_scan_request_free. */
typedef struct rs_scan_request {
    char *mode; /* "scan" or "rematch" */
    int force;  /* the pass was a --rescan */
    char *tenant;
    char *registry;
    char *repository;
    char digest[RS_DIGEST_SIZE];
    char index_digest[RS_DIGEST_SIZE]; /* "" when the image is not part of an index */
    rs_platform platform;              /* fields "" when unknown */
    /* at most RS_REFS_MAX_TAGS tags are encoded; refs.omitted is "refs_omitted"
     * (decoded leniently: absent or not a non-negative integer is 0) */
    rs_refs refs;
    char *batch_id;     /* NULL or "" when none */
    char *requested_at; /* RFC 3339 UTC, NULL or "" when none */
} rs_scan_request;

/* Writes the compact JSON of `req` into *json (free()). Returns 0,
 * RS_ERR_INVALID when a required field is missing or malformed (mode,
 * tenant, registry, repository, digest), RS_ERR_INTERNAL when out of memory. */
int rs_scan_request_encode(const rs_scan_request *req, char **json);

/* Decodes untrusted bytes into *req (zeroed first; free with
 * rs_scan_request_free even on error). Returns 0, or RS_ERR_INVALID with
 * errstr naming the field (bad JSON, non-UTF-8, wrong schema, unknown mode,
 * missing, mistyped or oversized fields, invalid digests). */
int rs_scan_request_decode(const void *data, size_t len, rs_scan_request *req, char *errstr,
                           size_t errstr_size);

/* Frees the strings a decode allocated and zeroes *req. */
void rs_scan_request_free(rs_scan_request *req);

typedef enum { RS_REPORT_OK = 0, RS_REPORT_ERROR } rs_report_status;

/* What a report says besides its findings. Every string is borrowed; NULL
 * strings are written as null (registry, repository, worker, ...). */
typedef struct rs_report_meta {
    const char *tenant;
    const char *registry;
    const char *repository;
    const char *digest;
    const rs_refs *refs;         /* NULL: []; capped as rs_refs_to_json does */
    const rs_platform *platform; /* NULL: {} */
    const char *analyzer_version;
    int64_t vulndb_version;     /* 0: none (written as null) */
    const char *policy_version; /* NULL: none */
    const char *worker;
    const char *scan_id;
    const char *scanned_at;
    rs_report_status status;
    const char *error_code; /* with RS_REPORT_ERROR: "MANIFEST_UNKNOWN", ... */
    const char *error_message;
    int64_t pull_ms, analyze_ms, match_ms, total_ms;
} rs_report_meta;

/* The one place report metadata starts from, for the worker and the
 * embedded scan alike: zeroes *m, then sets the image (tenant may be "" for
 * the embedded scan), the analyzer and database versions, no policy version (the
 * caller sets one when there is a policy), the
 * worker's name, a new scan id and the time now (written into the caller's
 * scan_id and when, which must outlive m). */
void rs_report_meta_init(rs_report_meta *m, const char *tenant, const char *registry,
                         const char *repository, const char *digest, const char *analyzer_version,
                         int64_t vulndb_version, const char *worker, char scan_id[40],
                         char when[32]);
/* The outcome of the scan: ok when status is 0, else an error report with
 * rs_err_code(status) and `message` (borrowed). */
void rs_report_meta_outcome(rs_report_meta *m, int status, const char *message);

/* The full regscan.image-report/v1 document (part 1 of 1) with the os and
 * package count of `inv` (may be NULL for an error report), empty finding
 * arrays, zero counts and a passing policy. New reference, NULL when out of
 * memory. */
json_t *rs_report_build(const rs_report_meta *m, const rs_inventory *inv);

/* The regscan.image-inventory/v1 document: the report's header fields, the
 * os, layers and every package of `inv`. New reference, NULL when out of memory. */
json_t *rs_inventory_msg_build(const rs_report_meta *m, const rs_inventory *inv);

/* Deterministic report id: hex sha256 of the fields joined by NUL bytes (a
 * byte none of them can contain). NULL strings count as "". */
void rs_report_id(const char *tenant, const char *digest, const char *analyzer_version,
                  int64_t vulndb_version, const char *policy_version, char out[65]);

/* A random UUID v4 ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") from OpenSSL's
 * RAND_bytes. Returns 0 or RS_ERR_INTERNAL (out is then ""). */
int rs_scan_id_new(char out[37]);

/* Serialises `doc` compactly into parts of at most max_bytes each. When it
 * fits, one part with "part": 1, "parts": 1. Otherwise the elements of the
 * arrays named by `array_keys` (NULL-terminated) are distributed in order
 * over parts, each a complete document carrying every other field, with
 * "part"/"parts" set. *parts is an array of *n_parts malloc'd strings (free
 * with rs_message_parts_free). Returns 0, RS_ERR_LIMIT_EXCEEDED when the
 * document without those arrays or a single element does not fit (errstr
 * names it), RS_ERR_INVALID when doc is not an object, RS_ERR_INTERNAL. */
int rs_message_split(const json_t *doc, const char *const *array_keys, size_t max_bytes,
                     char ***parts, size_t *n_parts, char *errstr, size_t errstr_size);
void rs_message_parts_free(char **parts, size_t n_parts);

/* ---- base: the image's base image in its report (docs/contracts.md, "Base
 * images"): the layer chain ids a base image is looked up by, the "base"
 * object, each finding's "origin" (base or application, by the layer that
 * introduced its package), summary.base / summary.application, and the newer
 * tag of the base's repository whose report no longer has the base findings.
 *
 * Pure: the worker reads Redis (basechain:, basetags:, basevulns:) and hands
 * the result over in an rs_base; the embedded scan knows only annotations. */

#define RS_BASE_MAX_CANDIDATES 64 /* newer tags of a base's repository looked at */
#define RS_BASE_MAX_IDS 20000     /* vulnerability ids kept of one base image's report */

/* The chain id of every layer prefix of `layers` (n manifest layer digests,
 * bottom first), as 64 hex digits into out[k-1] for the first k layers: the
 * OCI ChainID recursion over layer digests, chain(1) = layers[0],
 * chain(k) = sha256(chain(k-1) + " " + layers[k-1]). Returns 0, or
 * RS_ERR_INVALID when a digest is not a sha256 digest. */
int rs_base_chain_ids(char *const *layers, size_t n, char (*out)[65]);

/* A newer tag of the base's repository and the vulnerability ids (ids and
 * aliases, sorted) its last report had. */
typedef struct rs_base_candidate {
    char name[700]; /* "registry/repository:tag" */
    char digest[RS_DIGEST_SIZE];
    int64_t created; /* seconds since the epoch */
    char **ids;
    size_t n_ids;
} rs_base_candidate;

/* What is known of an image's base. Zero-initialise; rs_base_clear frees. */
typedef struct rs_base {
    int found;
    char name[700]; /* "registry/repository:tag", "…@sha256:…", or the annotation */
    char digest[RS_DIGEST_SIZE];
    long layers;        /* layers of the image that are the base's; -1: unknown */
    const char *source; /* "annotation" or "layers" (static strings) */
    rs_base_candidate *newer;
    size_t n_newer, cap_newer;
} rs_base;

void rs_base_clear(rs_base *b);

/* Sets b from the inventory's base annotations when it has a name or a
 * digest: source "annotation", layers -1. Returns 1 when it did, else 0. */
int rs_base_from_annotation(rs_base *b, const rs_inventory *inv);

/* Adds a newer tag: its report's JSON as rs_base_vulns_json wrote it
 * (untrusted: a malformed one is ignored with 0), kept only when written with
 * vulndb_version >= min_vulndb and for `platform` ("" matches any). Returns 0
 * or RS_ERR_INTERNAL. */
int rs_base_add_candidate(rs_base *b, const char *name, const char *digest, int64_t created,
                          const char *vulns_json, size_t len, int64_t min_vulndb,
                          const char *platform);

/* The `basevulns:` value of a base image's report: {"vulndb_version", "platform",
 * "ids": [every id and alias of m's findings, sorted, unique]} (malloc'd;
 * NULL when out of memory). m may be NULL (no findings). */
char *rs_base_vulns_json(const rs_match_result *m, int64_t vulndb_version, const char *platform);

/* Adds "base" (null when b is NULL or not found), each entry of
 * "vulnerabilities" and "suppressed" its "origin", summary.base and
 * summary.application, and for the base findings the newer tag that fixes
 * them ("base.newer", their remediation). inv gives the layer order. Returns
 * 0 or RS_ERR_INTERNAL. */
int rs_report_base_apply(json_t *report, const rs_base *b, const rs_inventory *inv);

/* Mixes what b says into a findings fingerprint (in and out may be the same
 * buffer), so that a rematch whose base changed is reported again. */
void rs_base_fingerprint(const rs_base *b, const char *in, char out[RS_DIGEST_SIZE]);

#endif
