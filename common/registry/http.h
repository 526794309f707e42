/* http.h - a small HTTP client over libcurl for registry traffic.
 *
 * GET and HEAD with bounded bodies, captured response headers, redirects
 * followed by this module (the Authorization value goes only to the host the
 * request was made to, never to the host of a redirect), retries with
 * exponential backoff and jitter that honour Retry-After, and a pull-style
 * streaming reader for blobs. TLS is always verified; plain HTTP only when a
 * URL says http://. Neither URLs with query strings nor header values of
 * Authorization are ever logged. Knows nothing about registries or tokens. */
#ifndef RS_HTTP_H
#define RS_HTTP_H

#include <stddef.h>

#include "reader.h"
#include "sha256.h"

/* Retry and timeout policy; tests make it fast. */
typedef struct rs_http_policy {
    int max_retries;         /* retries after the first attempt (4) */
    long backoff_base_ms;    /* first backoff (200); doubles each retry */
    long backoff_cap_ms;     /* largest computed backoff (10000) */
    long retry_after_cap_ms; /* largest honoured Retry-After (60000) */
    long connect_timeout_ms; /* 10000 */
    long low_speed_limit;    /* bytes per second under which ... (1024) */
    long low_speed_time;     /* ... for this many seconds the transfer is aborted (30) */
    int max_redirects;       /* 5 */
} rs_http_policy;

#define RS_HTTP_POLICY_DEFAULT                                                                     \
    {                                                                                              \
        4, 200, 10000, 60000, 10000, 1024, 30, 5                                                   \
    }

typedef struct rs_http_request {
    const char *method; /* "GET" (NULL too) or "HEAD" */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *authorization;  /* Authorization value for the original host; may be NULL */
    size_t max_body; /* response bodies larger than this: RS_ERR_LIMIT_EXCEEDED (0: 1 MiB) */
} rs_http_request;

typedef struct rs_http_response {
    long status; /* final HTTP status after redirects */
    char *body;  /* malloc'd, NUL-terminated (NULL for HEAD / stream) */
    size_t body_len;
    char content_type[256]; /* without leading/trailing spaces, parameters kept */
    char docker_content_digest[RS_DIGEST_SIZE + 64];
    char www_authenticate[2048];
    char link[2048];
    char retry_after[64];
    char location[4096];      /* of the last response; never log it unredacted */
    long long content_length; /* -1 when unknown */
    int attempts;             /* attempts made (1 + retries) */
    char etag[512];           /* ETag of the final response, as sent (conditional GETs) */
    char last_modified[128];  /* Last-Modified of the final response */
} rs_http_response;

typedef struct rs_http rs_http;

/* Returns a client with its own pool of connections, or NULL when out of
 * memory. `policy` is copied (NULL: RS_HTTP_POLICY_DEFAULT). Thread-safe. */
rs_http *rs_http_new(const rs_http_policy *policy);
void rs_http_destroy(rs_http *h);

/* Performs `req`, following redirects and retrying transient failures (429,
 * 500, 502, 503, 504, connection errors, timeouts). Returns 0 when a response
 * was received (whatever its status: look at resp->status; a 429 or 5xx means
 * the retries were spent), RS_ERR_UNREACHABLE when none could be,
 * RS_ERR_LIMIT_EXCEEDED for a body over the limit, RS_ERR_INVALID for a bad
 * URL or redirect. Free resp with rs_http_response_free. */
int rs_http_do(rs_http *h, const rs_http_request *req, rs_http_response *resp, char *errstr,
               size_t errstr_size);

/* Opens a streaming GET. Retries and redirects happen here, before the first
 * byte is handed out. Returns 0 when a response arrived: with a 2xx status
 * *out is a reader of the body (destroy it; bounded memory; read errors are
 * RS_ERR_UNREACHABLE), otherwise *out is NULL and resp->status and a short
 * resp->body say why. A Content-Length above `max_bytes` (0: no limit) is
 * RS_ERR_LIMIT_EXCEEDED. Errors as rs_http_do. */
int rs_http_open(rs_http *h, const rs_http_request *req, size_t max_bytes, rs_reader **out,
                 rs_http_response *resp, char *errstr, size_t errstr_size);

void rs_http_response_free(rs_http_response *resp);

/* Returns 1 for statuses worth a retry: 429, 500, 502, 503, 504. */
int rs_http_status_retryable(long status);

/* Parses a Retry-After value (delta seconds or an HTTP date) into
 * milliseconds from `now` (seconds since the epoch); -1 when unparsable. */
long rs_http_retry_after_ms(const char *value, long long now);

/* The backoff before retry number `attempt` (0-based): a random value in
 * [d/2, d] with d = min(cap, base * 2^attempt). */
long rs_http_backoff_ms(const rs_http_policy *p, int attempt);

/* Returns 1 when two absolute URLs have the same scheme, host and port. */
int rs_http_same_origin(const char *a, const char *b);

#endif
