/* blobsrc_registry.c - the blob source interface over a registry client.
 *
 * A thin adapter: manifests and blobs come from rs_registry, which already
 * verifies digests and maps errors. Owns its client, or borrows one that
 * outlives it (a worker keeps one client per registry, and with it the tokens). */
#include "image.h"
#include "base.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

struct registry_src {
    rs_blobsrc base;
    rs_registry *reg;
    int owned; /* 0: borrowed (rs_blobsrc_registry_borrow) */
};

static int src_get_manifest(rs_blobsrc *s, const char *repository, const char *ref, char **body,
                            size_t *len, char media_type[128], char digest[RS_DIGEST_SIZE],
                            char *errstr, size_t errsz)
{
    struct registry_src *rs = (struct registry_src *)s;
    return rs_registry_get_manifest(rs->reg, repository, ref, body, len, media_type, digest, errstr,
                                    errsz);
}

static int src_open_blob(rs_blobsrc *s, const char *repository, const char *digest,
                         size_t max_bytes, rs_reader **out, char *errstr, size_t errsz)
{
    struct registry_src *rs = (struct registry_src *)s;
    return rs_registry_open_blob(rs->reg, repository, digest, max_bytes, out, errstr, errsz);
}

static void src_destroy(rs_blobsrc *s)
{
    if (((struct registry_src *)s)->owned)
        rs_registry_destroy(((struct registry_src *)s)->reg);
    free(s);
}

static rs_blobsrc *src_over(struct registry_src *rs)
{
    rs->base.kind = "registry";
    rs->base.get_manifest = src_get_manifest;
    rs->base.open_blob = src_open_blob;
    rs->base.destroy = src_destroy;
    return &rs->base;
}

rs_blobsrc *rs_blobsrc_registry_new(const rs_registry_conf *conf, char *errstr, size_t errsz)
{
    struct registry_src *rs = calloc(1, sizeof *rs);
    if (!rs || !(rs->reg = rs_registry_new(conf, errstr, errsz))) {
        if (!rs)
            rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        free(rs);
        return NULL;
    }
    rs->owned = 1;
    return src_over(rs);
}

rs_blobsrc *rs_blobsrc_registry_borrow(rs_registry *reg, char *errstr, size_t errsz)
{
    struct registry_src *rs = calloc(1, sizeof *rs);
    if (!rs) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    rs->reg = reg;
    return src_over(rs);
}

rs_registry *rs_blobsrc_registry_get(rs_blobsrc *s)
{
    if (!s || !s->kind || strcmp(s->kind, "registry") || s->destroy != src_destroy)
        return NULL;
    return ((struct registry_src *)s)->reg;
}
