/* vulndb_source.h - where `vulndb update --source` finds its data (DESIGN.md §9).
 *
 * A source is a local path (a directory of OSV .json records, an osv.dev
 * all.zip export, a single .json file), a file:// URL, or an http(s) URL that
 * is downloaded through http.h into a cache directory: <sha256 of the URL>
 * with .zip or .json after it (decided by the content), next to a .etag file
 * holding the ETag and Last-Modified of that download, so that the next
 * download is a conditional GET and a 304 reuses the cached copy. Files are
 * written to a temporary name and renamed, so a failed or cut download leaves
 * the previous copy as it was. Plain http is accepted for loopback hosts only.
 * This module fetches; it does not parse records (vulndb.h does). */
#ifndef RS_VULNDB_SOURCE_H
#define RS_VULNDB_SOURCE_H

#include <stddef.h>

#include "registry.h"

/* Largest download accepted by default: osv.dev's biggest all.zip is far below. */
#define RS_VULNDB_SOURCE_MAX_BYTES (4ull * 1024 * 1024 * 1024)

typedef struct rs_vulndb_source_opts {
    rs_http *http;                /* client to use (NULL: one of our own for this call) */
    const rs_http_policy *policy; /* for our own client (NULL: RS_HTTP_POLICY_DEFAULT) */
    unsigned long long max_bytes; /* download limit (0: RS_VULNDB_SOURCE_MAX_BYTES) */
} rs_vulndb_source_opts;

/* Resolves `source` to a local path written into local_path. A local path or
 * file:// URL is returned as is once it exists (a missing one is
 * RS_ERR_CONFIG). An http(s) URL is downloaded into `cache_dir` (created when
 * missing; required for URLs) and *from_cache (may be NULL) says whether a 304
 * let the cached copy be used. Errors: RS_ERR_CONFIG (missing path, plain http
 * to a non-loopback host, 404/410), RS_ERR_UNAUTHORIZED (401/403),
 * RS_ERR_TOOMANYREQUESTS (429 after retries), RS_ERR_UNREACHABLE (network,
 * 5xx after retries, other statuses), RS_ERR_LIMIT_EXCEEDED, RS_ERR_UNSUPPORTED
 * (another scheme, content neither zip nor JSON); messages name the host and
 * never carry the URL's credentials or query string. */
int rs_vulndb_source_resolve(const char *source, const char *cache_dir, char *local_path,
                             size_t local_path_size, int *from_cache, char *errstr,
                             size_t errstr_size);

/* rs_vulndb_source_resolve with options (NULL: the defaults). */
int rs_vulndb_source_resolve_opts(const char *source, const char *cache_dir,
                                  const rs_vulndb_source_opts *opts, char *local_path,
                                  size_t local_path_size, int *from_cache, char *errstr,
                                  size_t errstr_size);

/* Returns 1 when `source` is an http:// or https:// URL (case-insensitive). */
int rs_vulndb_source_is_url(const char *source);

#endif
