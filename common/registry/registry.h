/* registry.h - talking to registries: HTTP (libcurl), the registry auth
 * flows, the Docker v2 / OCI distribution client and its blob source.
 *
 * The one public header of common/registry. */
#ifndef RS_REGISTRY_H
#define RS_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "image.h"
#include "config.h"
#include "base.h"

/* ---- http: a small HTTP client over libcurl for registry traffic.
 *
 * GET and HEAD with bounded bodies, captured response headers, redirects
 * followed by this module (the Authorization value goes only to the host the
 * request was made to, never to the host of a redirect), retries with
 * exponential backoff and jitter that honour Retry-After, and a pull-style
 * streaming reader for blobs. TLS is always verified; plain HTTP only when a
 * URL says http://. Neither URLs with query strings nor header values of
 * Authorization are ever logged. Knows nothing about registries or tokens. */

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
    /* The overall deadline of one attempt (every hop of it): floor + size / rate, the size
     * being the larger of Content-Length and the bytes received so far; 0: no deadline. */
    long deadline_floor_ms; /* 30000 */
    long deadline_rate;     /* bytes per second (1048576) */
} rs_http_policy;

#define RS_HTTP_POLICY_DEFAULT                                                                     \
    {                                                                                              \
        4, 200, 10000, 60000, 10000, 1024, 30, 5, 30000, 1048576                                   \
    }

/* A non-2xx answer's body is kept up to this many bytes; then the connection is dropped. */
#define RS_HTTP_ERROR_BODY_MAX 8192

typedef struct rs_http_request {
    const char *method; /* "GET" (NULL too) or "HEAD" */
    const char *url;
    const char *const *headers; /* "Name: value" strings, NULL-terminated; may be NULL */
    const char *authorization;  /* Authorization value for the original host; may be NULL */
    size_t max_body; /* response bodies larger than this: RS_ERR_LIMIT_EXCEEDED (0: 1 MiB) */
    /* "POST" only: the body (never logged) and its Content-Type. A POST is never
     * redirected: a 3xx answer is returned as it is, its body never re-sent. */
    const char *body;
    size_t body_len;
    const char *content_type;
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
    char content_range[128];  /* Content-Range of a 206 (a resumed stream) */
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

/* A gate asked before every attempt at one origin: a request budget that a
 * pool of processes shares (worker and coordinator install a Redis rate
 * limit). acquire returns 0 to go on, or a negative rs_err that ends the
 * request with that error, unretried; pause (may be NULL) hears of a 429 from
 * that origin and the delay before the retry, so the whole pool can wait. */
typedef struct rs_http_gate {
    int (*acquire)(void *ctx, const char *name, char *errstr, size_t errstr_size);
    void (*pause)(void *ctx, const char *name, long delay_ms);
    void *ctx;
} rs_http_gate;

/* Installs `gate` (copied; NULL removes it) for every attempt and redirect
 * hop whose URL has the scheme, host and port of `origin_url`; hops to other
 * origins (a blob redirect to storage) pass ungated. `name` is handed to the
 * gate. Call before the client is shared between threads. 0 or RS_ERR_INVALID. */
int rs_http_set_gate(rs_http *h, const char *origin_url, const char *name,
                     const rs_http_gate *gate);

/* Overlays the REGSCAN_HTTP_* environment variables on `p` (docs/reliability.md,
 * "Network"): RETRIES, BACKOFF_MS, RETRY_AFTER_CAP (s), CONNECT_TIMEOUT (s), STALL_RATE
 * (bytes/s), STALL_TIME (s), DEADLINE_FLOOR (s), DEADLINE_RATE (bytes/s). Returns 0 or
 * RS_ERR_CONFIG naming the variable (p is then left partly updated). */
int rs_http_policy_env(rs_http_policy *p, char *errstr, size_t errstr_size);

/* The deadline in ms of an attempt that has `declared` bytes to come (Content-Length or
 * a descriptor's size; <= 0: unknown) and has received `received`: floor + max(declared,
 * received) / rate, saturating; 0 when the policy sets no deadline. */
long long rs_http_deadline_ms(const rs_http_policy *p, long long declared, long long received);

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
/* Returns 1 when absolute URL `url` names host `host` ("name" or "name:port", the port
 * ignored; case-insensitive), 0 otherwise or when unparsable. */
int rs_http_url_on_host(const char *url, const char *host);

/* Appends "name=value" to an application/x-www-form-urlencoded body (with '&'
 * when b is not empty), both percent-encoded. Returns 0 or RS_ERR_INTERNAL. */
int rs_http_form_add(rs_buf *b, const char *name, const char *value);
/* Zeroes and frees a posted form and the answer to it (both hold credentials or
 * tokens). Either may be NULL. */
void rs_http_form_free(rs_buf *form, rs_http_response *resp);

/* ---- entra: Microsoft Entra ID access tokens (client credentials: a secret or a
 * certificate; AKS workload identity) for one identity, cached per scope until shortly
 * before they expire. Thread-safe. Never logs or returns a secret or a token in errstr. */
typedef struct rs_entra rs_entra;
/* A client for the identity `conf` (copied; the certificate file is read here: NULL
 * with errstr when it is unusable, when conf names no or several credential kinds, or
 * out of memory). `http` is borrowed and must outlive the client. */
rs_entra *rs_entra_new(const rs_azure_conf *conf, rs_http *http, char *errstr, size_t errsz);
void rs_entra_destroy(rs_entra *e);
/* An access token for `scope` ("https://management.azure.com/.default"); *token malloc'd.
 * RS_ERR_UNAUTHORIZED when Entra refuses (errstr: tenant, client id, Entra's AADSTS code and
 * a short reason), RS_ERR_UNREACHABLE when it cannot be reached, RS_ERR_CONFIG for an
 * unusable certificate file. */
int rs_entra_token(rs_entra *e, const char *scope, char **token, char *errstr, size_t errsz);

/* ---- auth: registry authentication: challenges, the Docker token flow, caching.
 *
 * Parses WWW-Authenticate challenges (Basic and Bearer), runs the Docker
 * token flow (distribution's spec/auth/token) against the challenge's realm
 * with Basic credentials when configured, and caches one token per (realm,
 * service, scope) until shortly before it expires. Static bearer tokens and
 * direct Basic are supported. Never logs or puts a credential or token into
 * a message. The `azure` flow (AAD exchange) is not handled here. */

typedef enum { RS_CHALLENGE_NONE = 0, RS_CHALLENGE_BASIC, RS_CHALLENGE_BEARER } rs_challenge_scheme;

typedef struct rs_auth_challenge {
    rs_challenge_scheme scheme;
    char realm[1024];
    char service[256];
    char scope[1024];
    char error[64];
} rs_auth_challenge;

/* Parses a WWW-Authenticate value (several comma-separated challenges may be
 * given: Bearer is preferred, then Basic). Returns 0, or RS_ERR_INVALID for
 * an unparsable value or an unknown scheme. */
int rs_auth_challenge_parse(const char *header, rs_auth_challenge *out);

/* Parses a token endpoint's JSON answer: `token` or `access_token`,
 * `expires_in` (default 60 s) counted from `issued_at` (RFC 3339) or `now`;
 * without expires_in, the JWT's `exp` claim when present. *token is malloc'd.
 * Returns 0 or RS_ERR_INVALID. */
int rs_auth_token_parse(const char *json, size_t len, time_t now, char **token, time_t *expires_at,
                        char *errstr, size_t errstr_size);

/* Reads the `exp` claim of a JWT's payload (no signature check). Returns 0 or
 * RS_ERR_INVALID. */
int rs_auth_jwt_exp(const char *jwt, int64_t *exp);


typedef struct rs_auth rs_auth;

/* A client for one registry. `conf` is copied; `http` is borrowed and must
 * outlive the client. `registry` names the registry in messages; plain HTTP
 * realms are accepted only when `insecure`. NULL when out of memory. */
rs_auth *rs_auth_new(const rs_auth_conf *conf, rs_http *http, const char *registry, int insecure);
void rs_auth_destroy(rs_auth *a);

/* The Authorization value to send now for `scope` (may be NULL), before any
 * challenge: a cached or fetchable token once the registry's challenge is
 * known, Basic, or the static bearer. *value is malloc'd, NULL when nothing
 * is to be sent. Returns 0 or a negative rs_err. */
int rs_auth_header(rs_auth *a, const char *scope, char **value, char *errstr, size_t errstr_size);

/* Handles a 401 answer's challenge: forgets the cached token for the scope,
 * fetches a fresh one and sets *value (malloc'd). RS_ERR_UNAUTHORIZED when the
 * challenge cannot be met (no credentials for Basic, token refused). */
int rs_auth_challenge_answer(rs_auth *a, const char *www_authenticate, const char *scope,
                             char **value, char *errstr, size_t errstr_size);

/* ---- registry: a client of one OCI / Docker v2 registry (DESIGN.md §3, §11).
 *
 * Lists repositories and tags (following Link headers), fetches and checks
 * manifests, streams blobs through a verifying reader, and answers the
 * registry's authentication challenges through auth.c. Thread-safe: one
 * client serves every thread pulling from that registry. Also parses
 * Docker-style image references and reads the Docker config file's `auths`.
 * Knows nothing about tenants, Kafka or Redis. */

#define RS_REGISTRY_PAGE_SIZE 1000   /* `n` of listings (distribution refuses more) */
#define RS_REGISTRY_MAX_PAGES 100000 /* a listing longer than this is an error */

typedef struct rs_registry rs_registry;

/* A client for `conf` (fields copied: url, host, insecure, auth). NULL with
 * errstr on a bad url or out of memory. */
rs_registry *rs_registry_new(const rs_registry_conf *conf, char *errstr, size_t errstr_size);
/* As rs_registry_new with an explicit retry / timeout policy (tests). */
rs_registry *rs_registry_new_with_policy(const rs_registry_conf *conf, const rs_http_policy *policy,
                                         char *errstr, size_t errstr_size);
void rs_registry_destroy(rs_registry *r);

/* The host the registry is named by in messages and keys ("127.0.0.1:5000"). */
const char *rs_registry_host(const rs_registry *r);

/* Puts every request to the registry's own origin (token requests to it
 * included) behind `gate`, named by the registry's host (rs_http_set_gate). */
int rs_registry_set_gate(rs_registry *r, const rs_http_gate *gate);

/* GET /v2/, authenticating when challenged. Returns 0 or a negative rs_err. */
int rs_registry_ping(rs_registry *r, char *errstr, size_t errstr_size);

/* Called once per repository or tag name; a non-zero return stops the
 * listing and is returned by the listing function. */
typedef int (*rs_registry_name_cb)(const char *name, void *opaque);

/* Lists every repository (scope registry:catalog:*), page by page. */
int rs_registry_catalog(rs_registry *r, rs_registry_name_cb cb, void *opaque, char *errstr,
                        size_t errstr_size);
/* Lists every tag of `repo`, page by page. */
int rs_registry_tags(rs_registry *r, const char *repo, rs_registry_name_cb cb, void *opaque,
                     char *errstr, size_t errstr_size);

/* Fetches manifest `ref` (tag or digest) of `repo`: *body malloc'd (at most
 * RS_MANIFEST_MAX_BYTES), media_type from Content-Type (or the document),
 * digest = sha256 of the bytes; RS_ERR_DIGEST_MISMATCH when it differs from a
 * digest `ref` or from Docker-Content-Digest. */
int rs_registry_get_manifest(rs_registry *r, const char *repo, const char *ref, char **body,
                             size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                             char *errstr, size_t errstr_size);
/* HEAD of a manifest: its digest (Docker-Content-Digest, or computed by a GET
 * when the registry does not send it) and media type. */
int rs_registry_head_manifest(rs_registry *r, const char *repo, const char *ref,
                              char digest[RS_DIGEST_SIZE], char media_type[128], char *errstr,
                              size_t errstr_size);
/* Opens blob `digest` of `repo` as a verifying reader (checked at the end,
 * failing past max_bytes, 0: no limit). */
int rs_registry_open_blob(rs_registry *r, const char *repo, const char *digest, size_t max_bytes,
                          rs_reader **out, char *errstr, size_t errstr_size);
/* HEAD of a blob: returns 1 when present, 0 when the registry says 404, or a
 * negative rs_err. */
int rs_registry_blob_exists(rs_registry *r, const char *repo, const char *digest, char *errstr,
                            size_t errstr_size);

/* Finds the rel="next" target of a Link header value. Returns 1 with out set,
 * 0 when there is none, RS_ERR_INVALID for an unparsable value. */
int rs_registry_link_next(const char *link, char *out, size_t out_size);

/* Returns 1 for a valid repository name (lowercase path components). */
int rs_registry_valid_repository(const char *repo);
/* Returns 1 for a valid tag. */
int rs_registry_valid_tag(const char *tag);

typedef struct rs_imageref {
    char host[256];              /* "127.0.0.1:5000"; "docker.io" when the reference names none */
    char repository[256];        /* "team/web"; Docker Hub's official images get "library/" */
    char tag[129];               /* "" when only a digest was given; "latest" when neither */
    char digest[RS_DIGEST_SIZE]; /* "" when none */
    int insecure;                /* loopback host or listed by the caller: plain HTTP */
} rs_imageref;

/* Parses "registry/repo:tag", "registry/repo@sha256:…" or "repo:tag" (Docker
 * Hub). `insecure_hosts` (may be NULL) lists hosts reached over plain HTTP
 * besides loopback ones. Returns 0 or RS_ERR_CONFIG naming the problem. */
int rs_imageref_parse(const char *ref, char *const *insecure_hosts, size_t n_insecure,
                      rs_imageref *out, char *errstr, size_t errstr_size);

/* Looks `host` up in $DOCKER_CONFIG/config.json or ~/.docker/config.json
 * `auths` (base64 "user:pass" in `auth`, or `username` / `password`).
 * Returns 1 with *username and *password malloc'd, 0 when none is found,
 * RS_ERR_CONFIG for an unreadable or malformed file. */
int rs_docker_config_auth(const char *host, char **username, char **password);

/* A blob source over a new registry client for `conf`. NULL with errstr. */
rs_blobsrc *rs_blobsrc_registry_new(const rs_registry_conf *conf, char *errstr, size_t errstr_size);
/* A blob source over `reg`, which it does not own: reg must outlive it (a
 * client kept for many requests keeps its tokens). NULL with errstr. */
rs_blobsrc *rs_blobsrc_registry_borrow(rs_registry *reg, char *errstr, size_t errstr_size);
/* The client under a registry blob source; NULL for other kinds. */
rs_registry *rs_blobsrc_registry_get(rs_blobsrc *s);

/* ---- acrtags: Azure Container Registry's tag listing,
 * GET /acr/v1/{repository}/_tags?orderby=timedesc (DESIGN.md §11): tags
 * newest first with their digests and lastUpdateTime, pages followed through
 * the Link header as the v2 listings are (same origin, no page twice, at most
 * RS_REGISTRY_MAX_PAGES). Scope repository:<repo>:metadata_read,pull. */

#define RS_ACR_TAGS_PAGE_SIZE 100      /* `n` of a _tags request */
#define RS_ACR_TAGS_PAGE_MAX 1000      /* more tags in one page is an error */
#define RS_ACR_TAGS_BODY_MAX (4u << 20) /* a larger page is an error */

typedef struct rs_acr_tag {
    const char *name;   /* a valid tag */
    const char *digest; /* "sha256:…" (checked) */
    int64_t updated;    /* lastUpdateTime, seconds since the epoch */
} rs_acr_tag;

/* Called once per tag, newest first: 0 goes on, RS_ACR_STOP ends the listing
 * (no further page is fetched), a negative rs_err fails it. */
#define RS_ACR_STOP 1
typedef int (*rs_acr_tag_cb)(const rs_acr_tag *tag, void *opaque);

/* Parses one _tags page of `repo`: calls cb for each tag in order. Checks the
 * answer names `repo` (imageName), types, names, digests and times, and that
 * times never increase after *prev (INT64_MAX before the first page; updated).
 * Returns 0, RS_ACR_STOP when cb stopped, cb's error, or RS_ERR_INVALID /
 * RS_ERR_LIMIT_EXCEEDED with errstr naming the field ("tags[3].digest"). */
int rs_acr_tags_parse(const char *body, size_t len, const char *repo, int64_t *prev,
                      rs_acr_tag_cb cb, void *opaque, char *errstr, size_t errstr_size);

/* Lists `repo`'s tags newest first through _tags. *pages (may be NULL) counts
 * the pages fetched. Returns 0 (listed to the end, or cb stopped),
 * RS_ERR_UNSUPPORTED when the registry does not offer _tags (400, 401, 403,
 * 404 or 405 on the first page), or the error of the request / page. */
int rs_registry_acr_tags(rs_registry *r, const char *repo, rs_acr_tag_cb cb, void *opaque,
                         long *pages, char *errstr, size_t errstr_size);

#endif
