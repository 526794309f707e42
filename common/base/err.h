/* err.h - status codes shared by every module.
 *
 * Fallible functions return 0 on success or a negative rs_err, and fill a
 * caller-supplied `char *errstr, size_t errstr_size` with a one-line message
 * (lowercase, error first, subject quoted, never a secret). The codes map to
 * the `error.code` strings of regscan.image-report/v1 (DESIGN.md §4) and to
 * the process exit codes (DESIGN.md §2). */
#ifndef RS_ERR_H
#define RS_ERR_H

#include <stddef.h>

typedef enum rs_err {
    RS_OK = 0,
    RS_ERR_INTERNAL = -1,         /* a bug or out of memory */
    RS_ERR_CONFIG = -2,           /* bad configuration or usage (exit 2) */
    RS_ERR_UNREACHABLE = -3,      /* network, refused, timeout, 5xx after retries (exit 3) */
    RS_ERR_UNAUTHORIZED = -4,     /* 401 / 403 / token refused */
    RS_ERR_MANIFEST_UNKNOWN = -5, /* manifest or tag not found (404) */
    RS_ERR_BLOB_UNKNOWN = -6,     /* blob not found (404) */
    RS_ERR_DIGEST_MISMATCH = -7,  /* content does not hash to its digest */
    RS_ERR_LIMIT_EXCEEDED = -8,   /* a size, count, ratio or depth limit */
    RS_ERR_UNSUPPORTED = -9,      /* a media type or format we do not handle */
    RS_ERR_INVALID = -10,         /* malformed input: manifest, layer, JSON, database */
    RS_ERR_TOOMANYREQUESTS = -11, /* 429 after retries */
    RS_ERR_ANALYZER_CRASHED = -12,
    RS_ERR_CANCELLED = -13, /* shutdown or revoke asked us to stop */
    RS_ERR_STORE = -14,     /* the state or cache store (Redis) cannot be reached (exit 3) */
    RS_ERR_BROKER = -15,    /* Kafka cannot be reached or does not acknowledge (exit 3) */
} rs_err;

/* 1 for the failures of the infrastructure a worker cannot work without
 * (RS_ERR_STORE, RS_ERR_BROKER): retried within the outage budget, then the
 * worker stops. Everything else that a request causes ends as a report or a
 * dead letter. */
int rs_err_is_infra(int err);

/* Returns the report code for `err` ("UNAUTHORIZED", "MANIFEST_UNKNOWN", ...),
 * a static string; "INTERNAL" for unknown values. */
const char *rs_err_code(int err);

/* Returns the process exit code DESIGN.md §2 gives for `err`: 0, 2, 3 or 4. */
int rs_err_exit_code(int err);

/* Writes a formatted message into errstr (may be NULL) and returns `err`, so
 * that callers can write `return rs_errf(errstr, sz, RS_ERR_INVALID, "...")`. */
int rs_errf(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
