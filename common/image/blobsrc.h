/* blobsrc.h - where an image's manifests and blobs come from.
 *
 * One interface, three implementations: a registry (blobsrc_registry.c, over
 * registry.c), an OCI image layout directory (blobsrc_oci.c) and a
 * `docker save` archive (blobsrc_docker.c). The scan engine sees only this,
 * so unit tests run the whole engine on OCI layouts without a registry.
 * Implementations are safe to call from several threads at once (layers are
 * pulled in parallel). */
#ifndef RS_BLOBSRC_H
#define RS_BLOBSRC_H

#include <stddef.h>

#include "reader.h"
#include "sha256.h"

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

/* A `docker save` archive (manifest.json, config and layer tars, legacy or
 * OCI-style paths). Presents a synthesised Docker schema 2 manifest whose
 * layers are the uncompressed layer tars (digest = their sha256). */
rs_blobsrc *rs_blobsrc_docker_new(const char *path, char *errstr, size_t errstr_size);

/* Fetches a blob fully into memory (config blobs), at most `max` bytes. */
int rs_blobsrc_fetch(rs_blobsrc *s, const char *repository, const char *digest, size_t max,
                     char **out, size_t *out_len, char *errstr, size_t errstr_size);

#endif
