/* registry.h - a client of one OCI / Docker v2 registry (DESIGN.md §3, §11).
 *
 * Lists repositories and tags (following Link headers), fetches and checks
 * manifests, streams blobs through a verifying reader, and answers the
 * registry's authentication challenges through auth.c. Thread-safe: one
 * client serves every thread pulling from that registry. Also parses
 * Docker-style image references and reads the Docker config file's `auths`.
 * Knows nothing about tenants, Kafka or Redis. */
#ifndef RS_REGISTRY_H
#define RS_REGISTRY_H

#include <stddef.h>

#include "blobsrc.h"
#include "config.h"
#include "http.h"
#include "reader.h"
#include "sha256.h"

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
/* The client under a registry blob source; NULL for other kinds. */
rs_registry *rs_blobsrc_registry_get(rs_blobsrc *s);

#endif
