/* image.h - image manifests, indexes and configs (OCI and Docker v2), image
 * references, and the blob sources that read layers from an OCI layout or a
 * docker archive (the registry's own source lives in common/registry).
 *
 * The one public header of common/image. */
#ifndef RS_IMAGE_H
#define RS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base.h"

/* ---- manifest: OCI / Docker image manifests and indexes: parse and classify.
 *
 * Parses the four media types regscan scans (OCI image index and manifest,
 * Docker manifest list and schema 2) and recognises what is not an image to
 * scan (schema 1, cosign signatures and attestations, other OCI artifacts,
 * Helm charts, Windows images, foreign layers). Input is untrusted: every
 * field is checked, sizes are bounded. Does no I/O. */

#define RS_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define RS_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define RS_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define RS_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define RS_MT_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define RS_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
/* The Accept header value every manifest request sends (distribution 2.8
 * answers 404 to an OCI manifest asked for without its type). */
#define RS_MANIFEST_ACCEPT                                                                         \
    RS_MT_OCI_INDEX ", " RS_MT_OCI_MANIFEST ", " RS_MT_DOCKER_LIST ", " RS_MT_DOCKER_MANIFEST      \
                    ", " RS_MT_DOCKER_V1_SIGNED ", " RS_MT_DOCKER_V1

#define RS_MANIFEST_MAX_BYTES (4u * 1024 * 1024) /* distribution's own limit */
#define RS_MANIFEST_MAX_LAYERS 256
#define RS_MANIFEST_MAX_ENTRIES 1024

typedef enum {
    RS_MANIFEST_INDEX = 1, /* OCI index or Docker manifest list */
    RS_MANIFEST_IMAGE,     /* OCI manifest or Docker schema 2 */
} rs_manifest_kind;

typedef enum {
    RS_SKIP_NONE = 0,
    RS_SKIP_SIGNATURE,    /* cosign signature (tag sha256-….sig, or its media type) */
    RS_SKIP_ATTESTATION,  /* in-toto / buildkit attestation manifest, tag sha256-….att */
    RS_SKIP_SBOM,         /* tag sha256-….sbom or an SBOM artifact */
    RS_SKIP_HELM,         /* Helm chart (config media type) */
    RS_SKIP_ARTIFACT,     /* any other OCI artifact (artifactType or non-image config) */
    RS_SKIP_WINDOWS,      /* platform os windows */
    RS_SKIP_PLATFORM,     /* filtered out by the tenant's platform patterns */
    RS_SKIP_SCHEMA1,      /* Docker schema 1 */
    RS_SKIP_FOREIGN,      /* foreign (non-distributable) layers */
    RS_SKIP_UNKNOWN_TYPE, /* a media type we do not know */
    RS_SKIP__COUNT
} rs_skip_reason;

/* "signature", "attestation", ... for summaries and logs. */
const char *rs_skip_reason_name(rs_skip_reason r);

typedef struct rs_platform {
    char os[32];
    char architecture[32];
    char variant[32];
    char os_version[64];
} rs_platform;

typedef struct rs_descriptor {
    char media_type[128];
    char digest[RS_DIGEST_SIZE];
    int64_t size;
    rs_platform platform; /* index entries only */
    int has_platform;
    int is_attestation; /* index entry annotated vnd.docker.reference.type=attestation-manifest */
} rs_descriptor;

typedef struct rs_manifest {
    rs_manifest_kind kind;
    char media_type[128];    /* as declared in the document (or given by the caller) */
    char artifact_type[128]; /* OCI artifactType, "" if none */
    rs_descriptor config;    /* images only */
    rs_descriptor *layers;   /* images only */
    size_t n_layers;
    rs_descriptor *manifests; /* indexes only */
    size_t n_manifests;
    rs_skip_reason skip; /* set by rs_manifest_parse for a whole document */
    /* images only: the OCI annotations org.opencontainers.image.base.name
     * ("docker.io/library/alpine:3.18") and .base.digest; "" when absent or
     * unusable (a name over 255 bytes or with characters a reference cannot
     * have, a digest that is not sha256): they never fail a manifest */
    char base_name[256];
    char base_digest[RS_DIGEST_SIZE];
} rs_manifest;

/* Parses `data` (untrusted). `content_type` is the HTTP Content-Type or the
 * descriptor's media type (may be NULL: the document's mediaType is used).
 * Returns 0 with *out filled (free with rs_manifest_free), including for
 * documents that are recognised but skipped (schema 1, Helm, ...: out->skip
 * says why); RS_ERR_INVALID for malformed JSON or fields,
 * RS_ERR_LIMIT_EXCEEDED over the size or count limits. */
int rs_manifest_parse(const void *data, size_t len, const char *content_type, rs_manifest **out,
                      char *errstr, size_t errstr_size);
void rs_manifest_free(rs_manifest *m);

/* Returns 1 when a tag names a cosign signature, attestation or SBOM
 * (sha256-<hex>.sig/.att/.sbom) and sets *reason. */
int rs_manifest_tag_is_artifact(const char *tag, rs_skip_reason *reason);

/* Returns 1 when `p` matches one of the patterns "os/arch[/variant]" with
 * '*' wildcards (os "linux", any architecture: linux then a slash and a star); an
 * empty list matches everything. */
int rs_platform_match(const rs_platform *p, char *const *patterns, size_t n_patterns);

/* Writes "linux/arm64/v8" (no trailing slash when variant is empty). */
void rs_platform_format(const rs_platform *p, char *out, size_t out_size);

/* Why an index entry is not scanned: attestation, schema 1, an unknown media
 * type, Windows, or a platform outside `patterns` (see rs_platform_match);
 * RS_SKIP_NONE when it is to be scanned. */
rs_skip_reason rs_manifest_entry_skip(const rs_descriptor *d, char *const *patterns,
                                      size_t n_patterns);

/* ---- blobsrc: where an image's manifests and blobs come from.
 *
 * One interface, three implementations: a registry (blobsrc_registry.c, over
 * registry.c), an OCI image layout directory (blobsrc_oci.c) and a
 * `docker save` archive (blobsrc_docker.c). The scan engine sees only this,
 * so unit tests run the whole engine on OCI layouts without a registry.
 * Implementations are safe to call from several threads at once (layers are
 * pulled in parallel). */

typedef struct rs_blobsrc rs_blobsrc;
struct rs_blobsrc {
    const char *kind; /* "registry", "oci-layout", "docker-archive" */
    /* Fetches manifest `ref` (a tag or a digest; "" for the only / default
     * manifest of a local source) of `repository` (ignored by local sources).
     * *body is malloc'd (at most RS_MANIFEST_MAX_BYTES); media_type is the
     * served Content-Type (or the descriptor's); digest is computed locally
     * and, when `ref` is a digest, equal to it (else RS_ERR_DIGEST_MISMATCH).
     * Errors: RS_ERR_MANIFEST_UNKNOWN, RS_ERR_UNAUTHORIZED, RS_ERR_UNREACHABLE, ... */
    int (*get_manifest)(rs_blobsrc *s, const char *repository, const char *ref, char **body,
                        size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                        char *errstr, size_t errstr_size);
    /* Opens blob `digest` for streaming. The reader verifies the digest at
     * the end and fails past `max_bytes` (0: no limit). Errors:
     * RS_ERR_BLOB_UNKNOWN, RS_ERR_UNAUTHORIZED, RS_ERR_UNREACHABLE, ... */
    int (*open_blob)(rs_blobsrc *s, const char *repository, const char *digest, size_t max_bytes,
                     rs_reader **out, char *errstr, size_t errstr_size);
    void (*destroy)(rs_blobsrc *s);
};

static inline void rs_blobsrc_destroy(rs_blobsrc *s)
{
    if (s)
        s->destroy(s);
}

/* An OCI image layout directory (oci-layout, index.json, blobs/sha256/...).
 * A `ref` that is not a digest is matched against the index's
 * org.opencontainers.image.ref.name annotations. */
rs_blobsrc *rs_blobsrc_oci_new(const char *dir, char *errstr, size_t errstr_size);

/* What a `docker save` archive (`| gzip` or not) may hold: it is read once
 * through at creation, and each limit ends that with RS_ERR_LIMIT_EXCEEDED
 * naming it. 0 means "no limit" for each field. */
typedef struct rs_docker_limits {
    uint64_t max_bytes;       /* tar bytes (after gunzip): REGSCAN_LIMIT_ARCHIVE_BYTES */
    double max_ratio;         /* tar / compressed bytes: REGSCAN_LIMIT_ARCHIVE_RATIO */
    uint64_t ratio_min_bytes; /* the ratio is checked past this many tar bytes */
    uint64_t max_entries;     /* tar entries: REGSCAN_LIMIT_ARCHIVE_ENTRIES */
    uint64_t max_json_bytes;  /* manifest.json and each image config:
                               * REGSCAN_LIMIT_ARCHIVE_JSON_BYTES */
} rs_docker_limits;

/* 32 GiB, 1000 past 16 MiB, 100000 entries, 4 MiB (RS_MANIFEST_MAX_BYTES). */
#define RS_DOCKER_LIMITS_DEFAULT                                                                 \
    {(uint64_t)32 << 30, 1000.0, (uint64_t)16 << 20, 100000, RS_MANIFEST_MAX_BYTES}

/* A `docker save` archive (manifest.json, config and layer tars, legacy or
 * OCI-style paths), plain or gzip-compressed, a regular file only. Presents a
 * synthesised Docker schema 2 manifest whose layers are the uncompressed
 * layer tars (digest = their sha256). limits may be NULL (defaults). */
rs_blobsrc *rs_blobsrc_docker_open(const char *path, const rs_docker_limits *limits, char *errstr,
                                   size_t errstr_size);
/* rs_blobsrc_docker_open with the default limits. */
rs_blobsrc *rs_blobsrc_docker_new(const char *path, char *errstr, size_t errstr_size);

/* Fetches a blob fully into memory (config blobs), at most `max` bytes. */
int rs_blobsrc_fetch(rs_blobsrc *s, const char *repository, const char *digest, size_t max,
                     char **out, size_t *out_len, char *errstr, size_t errstr_size);

#endif
